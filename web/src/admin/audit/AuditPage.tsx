import { useEffect, useState, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { FormError } from '../../shared/FormError.js';
import { Loading } from '../../shared/Loading.js';
import { useAction } from '../../shared/useAction.js';
import { useLoad } from '../../shared/useLoad.js';
import { useSession } from '../../shared/session.js';
import { useTitle } from '../../shared/useTitle.js';
import type { AuditEvent } from '../security/toolkit-api.js';
import { auditApi, type AuditFilter } from './audit-api.js';
import { AuditEntry } from './AuditEntry.js';
import { AuditFilters } from './AuditFilters.js';
import { VerifyChain } from './VerifyChain.js';
import { useStaffDirectory } from '../security/useActorLabel.js';
import { contactIdsOf, usePeople } from './people.js';
import { useContactNames } from './useContactNames.js';

const KEYS = ['contactId', 'staffId', 'actorType', 'actorId', 'action', 'since', 'until'] as const;

/** The audit log (PRODUCT.md §5): filters in the URL, newest first, keyset "Load more". */
export function AuditPage(): ReactNode {
  useTitle('Audit log', 'Portico console');
  const { session } = useSession();
  const [params, setParams] = useSearchParams();
  const filter: AuditFilter = Object.fromEntries(KEYS.map((k) => [k, params.get(k) ?? undefined]).filter(([, v]) => v));
  const key = KEYS.map((k) => params.get(k) ?? '').join('|');
  const [more, setMore] = useState<{ key: string; items: AuditEvent[]; cursor: string | null } | null>(null);
  // Each answer names the filter it is for: a filter that fails (or is still loading) never
  // shows the rows or the "Load more" cursor of the one before.
  const first = useLoad(async () => ({ key, page: await auditApi.list(filter) }), [key]);
  const loadMore = useAction();
  const { clear: clearMoreError } = loadMore;
  useEffect(() => clearMoreError(), [key, clearMoreError]);
  const isAdmin = session?.staff?.role === 'admin';

  const firstPage = !first.error && first.data?.key === key ? first.data.page : null;
  const extra = firstPage && more?.key === key ? more : null;
  const items = [...(firstPage?.items ?? []), ...(extra?.items ?? [])];
  const cursor = !firstPage ? null : extra ? extra.cursor : firstPage.nextCursor;
  // Names for the ids on the page: staff from the staff list (admins), customers looked up once each.
  const directory = useStaffDirectory();
  const contacts = useContactNames(contactIdsOf(items, [filter.actorId, filter.contactId]));
  const people = usePeople(directory, contacts);

  function apply(f: AuditFilter) {
    const next = new URLSearchParams();
    for (const k of KEYS) if (f[k]?.trim()) next.set(k, f[k]!.trim());
    setParams(next);
  }

  return (
    <section>
      <div className="page-head">
        <h1>Audit log</h1>
      </div>
      <AuditFilters key={key} initial={filter} onApply={apply} people={people} directory={directory} />
      {isAdmin && (
        <div className="actions">
          <a className="button" href={auditApi.exportURL(filter, 'csv')}>
            Export CSV
          </a>
          <a className="button" href={auditApi.exportURL(filter, 'ndjson')}>
            Export NDJSON
          </a>
          <VerifyChain />
        </div>
      )}
      {first.error && !first.loading ? (
        <FormError error={first.error} />
      ) : !firstPage ? (
        <Loading />
      ) : items.length === 0 ? (
        <p className="empty">No audit entry matches.</p>
      ) : (
        <div style={{ overflowX: 'auto' }}>
          <table className="table" aria-label="Audit entries">
            <thead>
              <tr>
                {['Time', 'Done by', 'Concerning', 'Action', 'Reason', 'Identity check', 'IP', 'Browser', 'Details'].map((h) => (
                  <th scope="col" key={h}>
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <AuditEntry key={e.id} e={e} people={people} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <FormError error={loadMore.error} />
      {cursor && (
        <button
          type="button"
          className="secondary"
          disabled={loadMore.busy}
          onClick={() =>
            loadMore.run(async () => {
              const page = await auditApi.list(filter, cursor);
              setMore({ key, items: [...(extra?.items ?? []), ...page.items], cursor: page.nextCursor });
            })
          }
        >
          Load more
        </button>
      )}
    </section>
  );
}
