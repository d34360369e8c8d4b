import type { AuditEvent } from './service.js';

/** Cells a spreadsheet would run as a formula start with one of these. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: formula-looking text is defused with a leading quote, then RFC 4180 quoting. */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = ['id', 'at', 'actorType', 'actorId', 'contactId', 'staffId', 'action', 'reason', 'verification', 'ip', 'userAgent', 'details'] as const;

export function csvRow(e: AuditEvent): string {
  return (
    [e.id, e.at, e.actor.type, e.actor.id, e.contactId, e.staffId, e.action, e.reason, e.verification, e.ip, e.userAgent, e.details].map(csvCell).join(',') + '\r\n'
  );
}
