import { useId, useState, type ReactNode } from 'react';
import type { StaffDirectory } from '../security/useActorLabel.js';
import type { AuditFilter } from './audit-api.js';
import { KNOWN_ACTIONS, readableAction } from './action-names.js';
import { actorName, resolveActor, type People } from './people.js';

const FIELDS: Array<{ key: 'contactId' | 'staffId' | 'action' | 'since' | 'until'; label: string; type: string; hint?: string }> = [
  { key: 'contactId', label: 'Contact id', type: 'text', hint: 'A customer’s id (ct_…): everything about their account.' },
  {
    key: 'staffId',
    label: 'Concerning staff member',
    type: 'text',
    // What the API's staffId matches (src/audit/routes.ts): their own acts, and acts on their account.
    hint: 'A staff id (st_…): what they did themselves (not through an API token) and what was done to their account.',
  },
  { key: 'action', label: 'Action', type: 'text', hint: 'Pick one from the list, or type a group such as mfa.*' },
  { key: 'since', label: 'Since', type: 'datetime-local' },
  { key: 'until', label: 'Until', type: 'datetime-local' },
];

/** Who acted (API.md's actor types), as the filter offers them. */
const ACTOR_TYPES: Array<[string, string]> = [
  ['', 'Anyone'],
  ['contact', 'A customer'],
  ['staff', 'A staff member'],
  ['token', 'An API token'],
  ['cli', 'The command line'],
  ['system', 'Portico itself'],
];

/**
 * The audit log's filters; applied on submit. Action takes a name or a prefix like `mfa.*`. "Done
 * by" narrows to a kind of actor; "Person or API token" to one actor (`actorId`), given by id or,
 * for a staff member or a customer, by email (looked up here, the URL keeps the id).
 */
export function AuditFilters({
  initial,
  onApply,
  people,
  directory,
}: {
  initial: AuditFilter;
  onApply(f: AuditFilter): void;
  people: People;
  directory: StaffDirectory;
}): ReactNode {
  const base = useId();
  const [f, setF] = useState<AuditFilter>(initial);
  const [actorError, setActorError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const actorHint = `${base}-actor-hint`;
  const actorErrorID = `${base}-actor-error`;
  const actorShown = `${base}-actor-shown`;
  const showing = initial.actorId && f.actorId === initial.actorId ? actorName(people, initial.actorId) : null;

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setActorError(null);
    setBusy(true);
    try {
      const actorId = await resolveActor(f.actorId ?? '', directory);
      onApply({ ...f, actorId });
    } catch (err) {
      setActorError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="filters" aria-label="Audit filters" onSubmit={submit}>
      {FIELDS.map(({ key, label, type, hint }) => (
        <div className="field" key={key}>
          <label htmlFor={`audit-${key}`}>{label}</label>
          <input
            id={`audit-${key}`}
            type={type}
            value={f[key] ?? ''}
            list={key === 'action' ? 'audit-actions' : undefined}
            aria-describedby={hint ? `audit-${key}-hint` : undefined}
            onChange={(e) => setF({ ...f, [key]: e.target.value })}
          />
          {hint && (
            <small id={`audit-${key}-hint`} className="hint">
              {hint}
            </small>
          )}
        </div>
      ))}
      <div className="field">
        <label htmlFor="audit-actorType">Done by</label>
        <select id="audit-actorType" value={f.actorType ?? ''} onChange={(e) => setF({ ...f, actorType: e.target.value || undefined })}>
          {ACTOR_TYPES.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="audit-actorId">Person or API token</label>
        <input
          id="audit-actorId"
          type="text"
          value={f.actorId ?? ''}
          list={directory.staff?.length ? 'audit-staff' : undefined}
          aria-invalid={actorError ? true : undefined}
          aria-describedby={[actorError ? actorErrorID : null, actorHint, showing ? actorShown : null].filter(Boolean).join(' ')}
          autoComplete="off"
          onChange={(e) => {
            setF({ ...f, actorId: e.target.value });
            setActorError(null);
          }}
        />
        {actorError && (
          <small id={actorErrorID} className="hint field-error" role="alert">
            {actorError}
          </small>
        )}
        <small id={actorHint} className="hint">
          Only what one actor did: a staff member’s email or id (st_…), an API token’s id (tok_…), or a customer’s email or id (ct_…).
        </small>
        {showing && (
          <small id={actorShown} className="hint">
            Showing what {showing} did.
          </small>
        )}
      </div>
      <datalist id="audit-actions">
        {KNOWN_ACTIONS.map((a) => (
          <option key={a} value={a}>
            {readableAction(a)}
          </option>
        ))}
      </datalist>
      {!!directory.staff?.length && (
        <datalist id="audit-staff">
          {directory.staff.map((s) => (
            <option key={s.id} value={s.email}>
              {s.name}
            </option>
          ))}
        </datalist>
      )}
      <button type="submit" disabled={busy}>
        Filter
      </button>
      <button
        type="button"
        className="secondary"
        onClick={() => {
          setF({});
          setActorError(null);
          onApply({});
        }}
      >
        Clear
      </button>
    </form>
  );
}
