import { useState, type ReactNode } from 'react';
import type { AuditFilter } from './audit-api.js';
import { KNOWN_ACTIONS, readableAction } from './action-names.js';

const FIELDS: Array<{ key: keyof AuditFilter; label: string; type: string }> = [
  { key: 'contactId', label: 'Contact id', type: 'text' },
  { key: 'staffId', label: 'Staff id', type: 'text' },
  { key: 'action', label: 'Action', type: 'text' },
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

/** The audit log's filters; applied on submit. Action takes a name or a prefix like `mfa.*`. */
export function AuditFilters({ initial, onApply }: { initial: AuditFilter; onApply(f: AuditFilter): void }): ReactNode {
  const [f, setF] = useState<AuditFilter>(initial);
  return (
    <form
      className="filters"
      aria-label="Audit filters"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(f);
      }}
    >
      {FIELDS.map(({ key, label, type }) => (
        <div className="field" key={key}>
          <label htmlFor={`audit-${key}`}>{label}</label>
          <input
            id={`audit-${key}`}
            type={type}
            value={f[key] ?? ''}
            list={key === 'action' ? 'audit-actions' : undefined}
            aria-describedby={key === 'action' ? 'audit-action-hint' : undefined}
            onChange={(e) => setF({ ...f, [key]: e.target.value })}
          />
          {key === 'action' && (
            <small id="audit-action-hint" className="hint">
              Pick one from the list, or type a group such as mfa.*
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
      <datalist id="audit-actions">
        {KNOWN_ACTIONS.map((a) => (
          <option key={a} value={a}>
            {readableAction(a)}
          </option>
        ))}
      </datalist>
      <button type="submit">Filter</button>
      <button
        type="button"
        className="secondary"
        onClick={() => {
          setF({});
          onApply({});
        }}
      >
        Clear
      </button>
    </form>
  );
}
