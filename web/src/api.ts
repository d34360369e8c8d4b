// The one way the web app talks to the Portico API (API.md). Every page goes through here, so
// CSRF tokens, problem+json errors and the two audiences (help center, console) are handled once.

/** Which session a request belongs to: the help center's (contact) or the console's (staff). */
export type Audience = 'contact' | 'staff';

export type SignInState = 'anonymous' | 'mfa_required' | 'enrollment_required' | 'authenticated';

export interface Contact {
  id: string;
  email: string;
  name: string;
  createdAt: string;
  emailVerified: boolean;
}

export type StaffRole = 'agent' | 'supervisor' | 'admin';

export interface StaffAccount {
  id: string;
  email: string;
  name: string;
  createdAt: string;
  role: StaffRole;
}

export interface Session {
  state: SignInState;
  csrfToken: string;
  /** Second-step methods while `state` is `mfa_required`. */
  methods?: string[];
  /** The signed-in customer (help-center sessions). */
  contact?: Contact;
  /** The signed-in staff member (console sessions). */
  staff?: StaffAccount;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type TicketStatus = 'open' | 'pending' | 'solved';

export interface Ticket {
  id: string;
  contactId: string;
  subject: string;
  status: TicketStatus;
  recovery: boolean;
  /** Console only: when the owner cancelled this MFA recovery request ("it was not me"). */
  recoveryCancelledAt?: string | null;
  createdAt: string;
  updatedAt: string;
  contact?: { id?: string; name: string; email: string } | null;
}

export interface TicketMessage {
  id: string;
  author: { type: 'contact' | 'staff' | 'system'; id: string | null; name: string | null };
  body: string;
  createdAt: string;
}

export interface TicketWithMessages extends Ticket {
  messages: TicketMessage[];
}

export interface ContactMFASummary {
  enrolled: boolean;
  methods: string[];
  enrollmentRequired: boolean;
  locked: boolean;
}

export interface ContactRecord extends Contact {
  invited: boolean;
  mfa: ContactMFASummary;
}

export type MFAFilter = 'enrolled' | 'not_enrolled' | 'locked' | 'enrollment_required';

export interface StaffRecord {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  active: boolean;
  invited: boolean;
  createdAt: string;
}

export interface LoginResult {
  state: SignInState;
  methods?: string[];
  csrfToken: string;
}

/** A problem+json answer (RFC 9457) with the API's stable `code`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors?: Array<{ field: string; message: string }>,
    readonly body?: Record<string, unknown>,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

const SESSION_PATH: Record<Audience, string> = {
  contact: '/api/v1/auth/session',
  staff: '/api/v1/staff-auth/session',
};

/** The server decides the audience from the path; this mirrors src/http/csrf.ts audienceOf. */
export function audienceOf(path: string): Audience {
  return /^\/api\/v1\/(auth|me)(\/|$|\?)/.test(path) ? 'contact' : 'staff';
}

const csrfTokens: Partial<Record<Audience, string>> = {};

/** Remembers the CSRF token a session or sign-in answer carried. */
export function rememberCSRFToken(audience: Audience, token: string): void {
  csrfTokens[audience] = token;
}

async function toApiError(res: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    body = (await res.json()) as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's error page, say): fall back to the status line.
  }
  const code = typeof body.code === 'string' ? body.code : `http_${res.status}`;
  const detail = typeof body.detail === 'string' ? body.detail : `The server answered ${res.status} ${res.statusText}`;
  const errors = Array.isArray(body.errors) ? (body.errors as Array<{ field: string; message: string }>) : undefined;
  return new ApiError(res.status, code, detail, errors, body);
}

async function send(method: string, path: string, body: unknown, csrf: string | undefined): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (csrf) headers['x-csrf-token'] = csrf;
  try {
    return await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network_error', 'Could not reach the server. Check your connection and try again.');
  }
}

const sessionsInFlight: Partial<Record<Audience, Promise<Session>>> = {};

/**
 * GET …/session: the sign-in state, the signed-in person and a fresh CSRF token. Calls made
 * while one is in flight share it: on a first visit each answer would otherwise set its own
 * anonymous CSRF seed cookie, and the token of the losing answer would not match.
 */
export function fetchSession(audience: Audience): Promise<Session> {
  sessionsInFlight[audience] ??= (async () => {
    try {
      const res = await send('GET', SESSION_PATH[audience], undefined, undefined);
      if (!res.ok) throw await toApiError(res);
      const session = (await res.json()) as Session;
      rememberCSRFToken(audience, session.csrfToken);
      return session;
    } finally {
      delete sessionsInFlight[audience];
    }
  })();
  return sessionsInFlight[audience];
}

/**
 * Calls the API and returns the parsed JSON (undefined for 204). Unsafe requests carry the
 * audience's CSRF token; a `csrf_failed` answer (the session changed under us) refreshes the
 * token once and retries.
 *
 * A request that left with the cookie of a session renewed meanwhile (a step-up or a password
 * change renews the session id; a progress poll may be on its way at that moment) finds no
 * session and answers 401 `unauthenticated`, having changed nothing. When the browser now holds
 * a signed-in session, the request is sent once more under it; otherwise the 401 stands.
 */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const unsafe = !['GET', 'HEAD'].includes(method);
  const audience = audienceOf(path);
  if (unsafe && !csrfTokens[audience]) await fetchSession(audience);
  let res = await send(method, path, body, unsafe ? csrfTokens[audience] : undefined);
  if (unsafe && res.status === 403) {
    const err = await toApiError(res.clone());
    if (err.code === 'csrf_failed') {
      await fetchSession(audience);
      res = await send(method, path, body, csrfTokens[audience]);
    }
  }
  if (res.status === 401 && path !== SESSION_PATH[audience]) {
    const err = await toApiError(res.clone());
    const now = err.code === 'unauthenticated' ? await fetchSession(audience).catch(() => null) : null;
    if (now?.state === 'authenticated') res = await send(method, path, body, unsafe ? csrfTokens[audience] : undefined);
  }
  if (!res.ok) throw await toApiError(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const data = (text ? JSON.parse(text) : undefined) as T;
  if (data && typeof data === 'object' && 'csrfToken' in data && typeof (data as { csrfToken: unknown }).csrfToken === 'string') {
    rememberCSRFToken(audience, (data as { csrfToken: string }).csrfToken);
  }
  return data;
}

function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const authBase = (a: Audience) => (a === 'contact' ? '/api/v1/auth' : '/api/v1/staff-auth');
const meBase = (a: Audience) => (a === 'contact' ? '/api/v1/me' : '/api/v1/staff-me');

/** Sign-in, sign-out, passwords, invitations and profile: the same for both audiences. */
export const auth = {
  login: (a: Audience, email: string, password: string) => request<LoginResult>('POST', `${authBase(a)}/login`, { email, password }),
  logout: (a: Audience) => request<void>('POST', `${authBase(a)}/logout`),
  logoutEverywhere: (a: Audience) => request<void>('POST', `${authBase(a)}/logout-everywhere`),
  forgotPassword: (a: Audience, email: string) => request<{ status: string }>('POST', `${authBase(a)}/password/forgot`, { email }),
  resetPassword: (a: Audience, token: string, password: string) => request<{ reset: true }>('POST', `${authBase(a)}/password/reset`, { token, password }),
  lookupInvitation: (a: Audience, token: string) =>
    request<{ email: string; name: string; firstAdmin: boolean }>('POST', `${authBase(a)}/invitations/lookup`, { token }),
  acceptInvitation: (a: Audience, body: { token: string; password: string; name?: string; email?: string }) =>
    request<{ accepted: true; email: string }>('POST', `${authBase(a)}/invitations/accept`, body),
  confirmEmailChange: (a: Audience, token: string) => request<{ changed: true }>('POST', `${authBase(a)}/email-change/confirm`, { token }),
  updateName: (a: Audience, name: string) => request<Contact | StaffAccount>('PATCH', meBase(a), { name }),
  changePassword: (a: Audience, currentPassword: string, newPassword: string) =>
    request<{ changed: true; sessionsRevoked: number }>('POST', `${meBase(a)}/password`, { currentPassword, newPassword }),
  changeEmail: (a: Audience, email: string, password: string) => request<{ status: string }>('POST', `${meBase(a)}/email`, { email, password }),
};

/** The help center's own calls. */
export const helpCenter = {
  settings: () => request<{ allowSignup: boolean; mfaPolicy: string; rememberDeviceDays: number }>('GET', '/api/v1/help-center'),
  signup: (body: { email: string; password: string; name: string }) => request<{ status: string; detail: string }>('POST', '/api/v1/auth/signup', body),
  verifyEmail: (token: string) => request<{ verified: true }>('POST', '/api/v1/auth/verify-email', { token }),
  resendVerification: () => request<{ sent: true }>('POST', '/api/v1/auth/verify-email/resend'),
  listTickets: (cursor?: string) => request<Page<Ticket>>('GET', `/api/v1/me/tickets${query({ cursor })}`),
  openTicket: (subject: string, message: string) => request<Ticket>('POST', '/api/v1/me/tickets', { subject, message }),
  getTicket: (id: string) => request<TicketWithMessages>('GET', `/api/v1/me/tickets/${encodeURIComponent(id)}`),
  reply: (id: string, message: string) => request<TicketMessage>('POST', `/api/v1/me/tickets/${encodeURIComponent(id)}/replies`, { message }),
};

/** The admin console's calls. */
export const consoleApi = {
  listContacts: (p: { query?: string; mfa?: MFAFilter | ''; cursor?: string | null; limit?: number }) =>
    request<Page<ContactRecord>>('GET', `/api/v1/contacts${query(p)}`),
  getContact: (id: string) => request<ContactRecord>('GET', `/api/v1/contacts/${encodeURIComponent(id)}`),
  createContact: (body: { email: string; name: string; invite: boolean }) => request<ContactRecord>('POST', '/api/v1/contacts', body),
  listTickets: (p: { status?: TicketStatus | ''; recovery?: 'true' | 'false' | ''; contactId?: string; cursor?: string | null }) =>
    request<Page<Ticket>>('GET', `/api/v1/tickets${query(p)}`),
  getTicket: (id: string) => request<TicketWithMessages>('GET', `/api/v1/tickets/${encodeURIComponent(id)}`),
  reply: (id: string, message: string) => request<TicketMessage>('POST', `/api/v1/tickets/${encodeURIComponent(id)}/replies`, { message }),
  setTicketStatus: (id: string, status: TicketStatus) => request<Ticket>('PATCH', `/api/v1/tickets/${encodeURIComponent(id)}`, { status }),
  /** One page of staff, newest first; `cursor` is the `nextCursor` of the page before. */
  listStaffPage: (p: { cursor?: string | null; limit?: number } = {}) => request<Page<StaffRecord>>('GET', `/api/v1/staff${query(p)}`),
  /** Every staff member (for looking people up by id): follows `nextCursor` to the last page. */
  listStaff: async (): Promise<Page<StaffRecord>> => {
    const items: StaffRecord[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<StaffRecord> = await consoleApi.listStaffPage({ cursor, limit: 200 });
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return { items, nextCursor: null };
  },
  inviteStaff: (body: { email: string; name: string; role: StaffRole }) => request<StaffRecord>('POST', '/api/v1/staff', body),
  updateStaff: (id: string, body: { role?: StaffRole; active?: boolean }) => request<StaffRecord>('PATCH', `/api/v1/staff/${encodeURIComponent(id)}`, body),
  generalSettings: () => request<{ allowSignup: boolean }>('GET', '/api/v1/settings/general'),
  updateGeneralSettings: (body: { allowSignup: boolean; reason?: string }) => request<{ allowSignup: boolean }>('PUT', '/api/v1/settings/general', body),
};

/** A readable message for anything a page caught. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  if (err instanceof Error) return err.message;
  return 'Something went wrong';
}
