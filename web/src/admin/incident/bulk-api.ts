import { ApiError, fetchSession, request, type Page } from '../../api.js';

export interface BulkFilter {
  all?: boolean;
  methods?: Array<'totp' | 'webauthn'>;
  enrolledBefore?: string;
  emails?: string[];
}

export interface DryRun {
  matched: number;
  unknownEmails: string[];
  notEnrolled: number;
  /** Customer accounts at the acting admin's own mailbox: a bulk reset leaves them out, as the single action refuses them. */
  ownAccountsLeftOut: number;
  sample: Array<{ id: string; email: string; name: string }>;
}

/** A job's status in words (API.md: queued|running|completed|cancelled|failed). */
export const BULK_STATUS: Record<BulkJob['status'], string> = {
  queued: 'queued',
  running: 'running',
  completed: 'completed',
  cancelled: 'cancelled',
  failed: 'failed',
};

export interface BulkJob {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'cancelled' | 'failed';
  total: number;
  done: number;
  failed: number;
  unknownEmails: string[];
  reason: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  ratePerSecond: number | null;
  secondsLeft: number | null;
}

/** A contact a job could not reset (GET /mfa/bulk-resets/{id}/failures). */
export interface BulkJobFailure {
  contactId: string;
  /** Null when the contact no longer exists. */
  email: string | null;
  /** Why, in words. */
  error: string;
  at: string | null;
}

const cursorQuery = (cursor: string | null | undefined) => (cursor ? `?cursor=${encodeURIComponent(cursor)}` : '');

/**
 * Every contact the dry run's filter matches, as the server's CSV (email,contactId). A POST (the
 * filter can hold a long pasted list) answering a file, not JSON, so it is sent here rather than
 * through `request`, with the console's CSRF token as every unsafe request carries it.
 */
async function matchesCSV(filter: BulkFilter): Promise<Blob> {
  const session = await fetchSession('staff');
  let res: Response;
  try {
    res = await fetch('/api/v1/mfa/bulk-resets/matches', {
      method: 'POST',
      headers: { accept: 'text/csv, application/problem+json', 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
      body: JSON.stringify({ filter }),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network_error', 'Could not reach the server. Check your connection and try again.');
  }
  if (!res.ok) {
    let body: Record<string, unknown> = {};
    try {
      body = (await res.json()) as Record<string, unknown>;
    } catch {
      // Not JSON (a proxy's error page): the status line says enough.
    }
    throw new ApiError(res.status, typeof body.code === 'string' ? body.code : `http_${res.status}`, typeof body.detail === 'string' ? body.detail : `The server answered ${res.status} ${res.statusText}`, undefined, body);
  }
  return res.blob();
}

/** Saves a blob as a file (a blob: download, which the CSP allows). */
export function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export const bulkApi = {
  dryRun: (filter: BulkFilter, reason: string) => request<DryRun>('POST', '/api/v1/mfa/bulk-resets', { filter, reason, dryRun: true }),
  matchesCSV,
  start: (filter: BulkFilter, reason: string, requireEnrollment: boolean) => request<BulkJob>('POST', '/api/v1/mfa/bulk-resets', { filter, reason, requireEnrollment }),
  get: (id: string) => request<BulkJob>('GET', `/api/v1/mfa/bulk-resets/${id}`),
  list: (cursor?: string | null) => request<Page<BulkJob>>('GET', `/api/v1/mfa/bulk-resets${cursorQuery(cursor)}`),
  failures: (id: string, cursor?: string | null) => request<Page<BulkJobFailure>>('GET', `/api/v1/mfa/bulk-resets/${encodeURIComponent(id)}/failures${cursorQuery(cursor)}`),
  cancel: (id: string) => request<BulkJob>('POST', `/api/v1/mfa/bulk-resets/${id}/cancel`),
};

/** Emails from pasted text or a file: anything that looks like an address, one per match. */
export function parseEmails(text: string): string[] {
  return [...new Set((text.match(/[^\s,;<>"']+@[^\s,;<>"']+/g) ?? []).map((e) => e.toLowerCase()))];
}
