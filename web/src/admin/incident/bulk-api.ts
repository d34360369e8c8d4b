import { request } from '../../api.js';

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
  finishedAt: string | null;
  ratePerSecond: number | null;
  secondsLeft: number | null;
}

export const bulkApi = {
  dryRun: (filter: BulkFilter, reason: string) => request<DryRun>('POST', '/api/v1/mfa/bulk-resets', { filter, reason, dryRun: true }),
  start: (filter: BulkFilter, reason: string, requireEnrollment: boolean) => request<BulkJob>('POST', '/api/v1/mfa/bulk-resets', { filter, reason, requireEnrollment }),
  get: (id: string) => request<BulkJob>('GET', `/api/v1/mfa/bulk-resets/${id}`),
  list: () => request<{ items: BulkJob[] }>('GET', '/api/v1/mfa/bulk-resets'),
  cancel: (id: string) => request<BulkJob>('POST', `/api/v1/mfa/bulk-resets/${id}/cancel`),
};

/** Emails from pasted text or a file: anything that looks like an address, one per match. */
export function parseEmails(text: string): string[] {
  return [...new Set((text.match(/[^\s,;<>"']+@[^\s,;<>"']+/g) ?? []).map((e) => e.toLowerCase()))];
}
