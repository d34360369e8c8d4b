import { request, type Page } from '../../api.js';

export const SCOPES = ['contacts:read', 'contacts:write', 'mfa:manage', 'mfa:bulk', 'audit:read', 'settings:write', 'staff:manage', 'tickets:read', 'tickets:write'] as const;

/** The staff member a token acts as. */
export interface TokenOwner {
  id: string;
  name: string;
  email: string;
}

export interface APIToken {
  id: string;
  staffId: string;
  /** Whose it is (null only if the staff member cannot be found). */
  owner: TokenOwner | null;
  /** Who made it (an admin may make one in a colleague's name); null: the CLI, or not recorded. */
  createdBy: string | null;
  creator: TokenOwner | null;
  name: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export const tokensApi = {
  /** One page, newest first; needs a fresh step-up (`step_up_required` otherwise). */
  list: (cursor?: string | null) => request<Page<APIToken>>('GET', `/api/v1/api-tokens${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`),
  create: (body: { name: string; scopes: string[]; expiresInDays: number }) =>
    request<{ id: string; token: string; expiresAt: string; scopes: string[] }>('POST', '/api/v1/api-tokens', body),
  revoke: (id: string) => request<void>('DELETE', `/api/v1/api-tokens/${encodeURIComponent(id)}`),
};
