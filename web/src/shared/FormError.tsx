import type { ReactNode } from 'react';
import { ApiError } from '../api.js';

/** The words a form uses for the API's field names (the last part of the field's path). */
const FIELD_LABELS: Record<string, string> = {
  rememberDeviceDays: 'Remember a browser for (days)',
  waitingPeriodHours: 'Waiting period (hours)',
  requireEmailVerification: 'Require an emailed identity check',
  policy: 'MFA policy',
  allowSignup: 'Allow customers to sign up',
  reason: 'Reason',
  filter: 'Which customers',
  methods: 'With this method',
  enrolledBefore: 'Enrolled before',
  emails: 'Email addresses',
  contactId: 'Contact id',
  staffId: 'Staff id',
  action: 'Action',
  actor: 'Done by',
  since: 'Since',
  until: 'Until',
  email: 'Email',
  password: 'Password',
  newPassword: 'New password',
  currentPassword: 'Current password',
  name: 'Name',
  subject: 'Subject',
  message: 'Message',
  code: 'Code',
  ttlMinutes: 'Valid for',
  scopes: 'Scopes',
  expiresInDays: 'Expires in (days)',
  role: 'Role',
  note: 'Note on the check',
  cursor: 'Page',
};

/** The API's name for the field at `path`: its last part ("body.filter.emails.3" → "emails"), or '' for none. */
function fieldName(path: string): string {
  const parts = path.split('.').filter((p) => p && !/^(body|querystring|params|headers)$/.test(p) && !/^\d+$/.test(p));
  return parts[parts.length - 1] ?? '';
}

/** "body.settings.rememberDeviceDays" → "Remember a browser for (days)"; an unknown name in words. */
export function fieldLabel(path: string): string {
  const last = fieldName(path);
  if (!last) return '';
  if (FIELD_LABELS[last]) return FIELD_LABELS[last];
  const words = last.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The validator's wording made plain ("Too big: expected number to be <=90" → "must be at most 90"). */
export function plainMessage(message: string): string {
  const rules: Array<[RegExp, (m: RegExpExecArray) => string]> = [
    [/^Too big: expected number to be <=?\s*(\S+)$/, (m) => `must be at most ${m[1]}`],
    [/^Too small: expected number to be >=?\s*(\S+)$/, (m) => `must be at least ${m[1]}`],
    [/^Too big: expected string to have <=?\s*(\d+) characters?$/, (m) => `must be at most ${m[1]} characters`],
    [/^Too small: expected string to have >=?\s*(\d+) characters?$/, (m) => (m[1] === '1' ? 'is required' : `must be at least ${m[1]} characters`)],
    [/^Too big: expected array to have <=?\s*(\d+) items?$/, (m) => `can have at most ${m[1]} entries`],
    [/^Too small: expected array to have >=?\s*(\d+) items?$/, (m) => `needs at least ${m[1]} ${m[1] === '1' ? 'entry' : 'entries'}`],
    [/^Invalid input: expected (\w+), received undefined$/, () => 'is required'],
    [/^Invalid input: expected (\w+), received (\w+)$/, (m) => `must be a ${m[1]}`],
  ];
  for (const [re, say] of rules) {
    const m = re.exec(message);
    if (m) return say(m);
  }
  return message;
}

/**
 * What the API's error says about one field (`field` is the API's name, matched against the last
 * part of each error's path as fieldLabel matches it), in plain words and without the label: the
 * field's own label says which it is. Empty when the error names no such field.
 */
export function fieldErrorMessages(error: unknown, field: string): string[] {
  if (!(error instanceof ApiError) || !error.errors?.length || !field) return [];
  return error.errors.filter((f) => fieldName(f.field) === field).map((f) => plainMessage(f.message));
}

/** One line per field: its label in words (the form's own label for it when given), then what is wrong. */
function line(f: { field: string; message: string }, labels?: Record<string, string>): string {
  const label = labels?.[fieldName(f.field)] ?? fieldLabel(f.field);
  return label ? `${label}: ${plainMessage(f.message)}` : plainMessage(f.message);
}

/**
 * The API's `detail` (and each field's message, with the field named in words) next to the form
 * that failed. `labels` maps an API field name to the form's label where the two differ ("email"
 * → "New email address"), so the alert names the field the person sees.
 */
export function FormError({ error, labels }: { error: unknown; labels?: Record<string, string> }): ReactNode {
  if (!error) return null;
  const detail = error instanceof ApiError ? error.detail : error instanceof Error ? error.message : String(error);
  const fields = error instanceof ApiError && error.errors?.length ? error.errors : null;
  return (
    <div role="alert" className="error">
      {fields && fields.length > 1 ? (
        <ul>
          {fields.map((f) => (
            <li key={f.field}>{line(f, labels)}</li>
          ))}
        </ul>
      ) : fields ? (
        line(fields[0], labels)
      ) : (
        detail
      )}
    </div>
  );
}
