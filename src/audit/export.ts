import type { AuditEvent } from './service.js';

/**
 * Cells a spreadsheet would run as a formula start with one of these: after spaces too (an
 * import that trims them), and in their full-width forms (which some spreadsheets, set to East
 * Asian input, read as the ASCII ones).
 */
const FORMULA_START = /^[^\S\r\n]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]|^[\t\r]/;
/**
 * A semicolon, tab or line break followed by what would start a formula. Spreadsheets in
 * locales whose list separator is ";" (German, French, …) split a comma-separated row at every
 * ";" and line break, and a quote protects only a field that begins with it: `x;=1+1` in one
 * cell becomes a cell "=1+1" of its own there, and runs.
 */
const FORMULA_AFTER_SEPARATOR = /([;\t\r\n])(?=[^\S\r\n]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/g;

/**
 * One CSV cell: formula-looking text is defused with a quote before it (at the start, and after
 * any ";", tab or line break a spreadsheet might split at), then RFC 4180 quoting.
 */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  s = s.replace(FORMULA_AFTER_SEPARATOR, "$1'");
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = ['id', 'at', 'actorType', 'actorId', 'contactId', 'staffId', 'action', 'reason', 'verification', 'ip', 'userAgent', 'details'] as const;

export function csvRow(e: AuditEvent): string {
  return (
    [e.id, e.at, e.actor.type, e.actor.id, e.contactId, e.staffId, e.action, e.reason, e.verification, e.ip, e.userAgent, e.details].map(csvCell).join(',') + '\r\n'
  );
}
