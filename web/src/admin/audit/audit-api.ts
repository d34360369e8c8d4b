import { request, type Page } from '../../api.js';
import type { AuditEvent } from '../security/toolkit-api.js';

export interface AuditFilter {
  contactId?: string;
  staffId?: string;
  /** contact, staff, token, cli or system. */
  actorType?: string;
  /** One actor: a staff id, an API token id, or a customer's id (their own acts). */
  actorId?: string;
  action?: string;
  since?: string;
  until?: string;
}

function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** A datetime-local value ("2025-01-02T10:00") as an ISO instant in the browser's time zone. */
function instant(local: string | undefined): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

function params(f: AuditFilter): Record<string, string | undefined> {
  return { contactId: f.contactId?.trim(), staffId: f.staffId?.trim(), actorType: f.actorType, actorId: f.actorId?.trim(), action: f.action?.trim(), since: instant(f.since), until: instant(f.until) };
}

export const auditApi = {
  list: (f: AuditFilter, cursor?: string | null, limit?: number) => request<Page<AuditEvent>>('GET', `/api/v1/audit-events${query({ ...params(f), cursor, limit })}`),
  exportURL: (f: AuditFilter, format: 'csv' | 'ndjson') => `/api/v1/audit-events/export${query({ format, ...params(f) })}`,
  verify: () => request<{ ok: boolean; checked: number; headHash: string | null; firstBrokenId?: string; problem?: string }>('GET', '/api/v1/audit-events/verify'),
};
