import type { ReactNode } from 'react';
import { request } from '../../api.js';
import { FormError } from '../../shared/FormError.js';
import { Loading } from '../../shared/Loading.js';
import { useLoad } from '../../shared/useLoad.js';
import { useTitle } from '../../shared/useTitle.js';

interface Overview {
  contacts: number;
  enrolled: number;
  singleFactor: number;
  byMethod: { totp: number; webauthn: number };
  locked: number;
  enrollmentRequired: number;
  resetsLast30Days: {
    byStaff: Array<{ staffId: string | null; name: string; actions: number }>;
    bulk: { jobs: number; contactsReset: number };
    daily: Array<{ day: string; resets: number }>;
  };
}

const pct = (n: number, of: number) => (of ? Math.round((n / of) * 100) : 0);

/** Horizontal bars, one per row, scaled to the largest value; the label says the numbers. */
function Bars({ label, rows }: { label: string; rows: Array<{ name: string; value: number; of?: number }> }): ReactNode {
  const max = Math.max(1, ...rows.map((r) => r.of ?? r.value));
  const h = 28;
  return (
    <svg viewBox={`0 0 320 ${rows.length * h + 4}`} role="img" aria-label={`${label}: ${rows.map((r) => `${r.name} ${r.value}${r.of !== undefined ? ` of ${r.of}` : ''}`).join(', ')}`}>
      {rows.map((r, i) => (
        <g key={r.name} transform={`translate(0 ${i * h})`}>
          <text x={0} y={17} fontSize={12} fill="#1f2933">
            {r.name}
          </text>
          <rect x={120} y={5} width={170} height={16} fill="#e4e7eb" rx={3} />
          <rect x={120} y={5} width={(170 * r.value) / max} height={16} fill="#2457c5" rx={3} />
          <text x={295} y={17} fontSize={12} fill="#1f2933">
            {r.value}
          </text>
        </g>
      ))}
    </svg>
  );
}

/** Resets per day for 30 days as columns. */
function Daily({ days }: { days: Array<{ day: string; resets: number }> }): ReactNode {
  const max = Math.max(1, ...days.map((d) => d.resets));
  const w = 10;
  return (
    <svg viewBox={`0 0 ${days.length * w} 110`} role="img" aria-label={`Resets per day, last 30 days: ${days.filter((d) => d.resets).map((d) => `${d.day} ${d.resets}`).join(', ') || 'none'}`}>
      {days.map((d, i) => {
        const height = (100 * d.resets) / max;
        return <rect key={d.day} x={i * w + 1} y={100 - height} width={w - 2} height={Math.max(height, 0.5)} fill={d.resets ? '#2457c5' : '#e4e7eb'} />;
      })}
      <line x1={0} y1={100.5} x2={days.length * w} y2={100.5} stroke="#9aa5b1" />
    </svg>
  );
}

/** Admins: how well the help center is protected, and how much resetting goes on. */
export function OverviewPage(): ReactNode {
  useTitle('MFA overview', 'Portico console');
  const o = useLoad(() => request<Overview>('GET', '/api/v1/mfa/overview'), []);
  if (o.loading && !o.data) return <Loading />;
  if (!o.data) return <FormError error={o.error} />;
  const d = o.data;
  const r = d.resetsLast30Days;
  return (
    <section>
      <h1>MFA overview</h1>
      {d.contacts === 0 && <p className="card">No customers yet: these charts fill in as customers sign up and enroll.</p>}
      <div className="charts">
        <section className="card chart" aria-label="Enrollment">
          <h2>Customers with two-step verification</h2>
          <p className="figure">{pct(d.enrolled, d.contacts)} %</p>
          <Bars label="Enrollment" rows={[{ name: 'Enrolled', value: d.enrolled, of: d.contacts }, { name: 'Not enrolled', value: d.contacts - d.enrolled, of: d.contacts }]} />
        </section>
        <section className="card chart" aria-label="By method">
          <h2>By method</h2>
          <Bars label="Customers by method" rows={[{ name: 'Authenticator app', value: d.byMethod.totp }, { name: 'Passkey / key', value: d.byMethod.webauthn }]} />
          <p className="hint">A customer with both counts in each.</p>
        </section>
        <section className="card chart" aria-label="At risk">
          <h2>Needs attention</h2>
          <Bars
            label="Customers needing attention"
            rows={[
              { name: 'Single factor', value: d.singleFactor },
              { name: 'Locked', value: d.locked },
              { name: 'Setup required', value: d.enrollmentRequired },
            ]}
          />
          <p className="hint">Customers with a single factor are one lost phone away from calling support.</p>
        </section>
        <section className="card chart" aria-label="Resets per day">
          <h2>Resets, last 30 days</h2>
          <Daily days={r.daily} />
          <p className="hint">
            {r.daily.reduce((a, x) => a + x.resets, 0)} resets, of which {r.bulk.contactsReset} in {r.bulk.jobs} bulk job{r.bulk.jobs === 1 ? '' : 's'}.
          </p>
        </section>
        <section className="card chart" aria-label="Bulk resets">
          <h2>Bulk resets, last 30 days</h2>
          <Bars
            label="Bulk resets, last 30 days"
            rows={[
              { name: 'Jobs', value: r.bulk.jobs },
              { name: 'Contacts reset', value: r.bulk.contactsReset },
            ]}
          />
          <p className="hint">Bulk resets are for incidents; they skip the waiting period.</p>
        </section>
        <section className="card chart" aria-label="By staff member">
          <h2>MFA actions by staff member, last 30 days</h2>
          {r.byStaff.length ? <Bars label="MFA actions by staff member" rows={r.byStaff.map((s) => ({ name: s.name, value: s.actions }))} /> : <p>No staff member changed anyone's MFA.</p>}
        </section>
      </div>
    </section>
  );
}
