import type { Generated, Kysely, Transaction } from 'kysely';

// Column conventions, chosen so that one schema runs on SQLite and PostgreSQL alike:
// times are ISO-8601 UTC text (lexical order = time order), booleans are integers 0/1,
// structured details are JSON text. Secrets are only ever stored as hashes or ciphertext.

export interface ContactsTable {
  seq: Generated<number>;
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  email_verified_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface StaffTable {
  seq: Generated<number>;
  id: string;
  email: string;
  name: string;
  role: 'agent' | 'supervisor' | 'admin';
  password_hash: string | null;
  active: number;
  created_at: string;
  updated_at: string;
}

export interface SessionsTable {
  id_hash: string;
  kind: 'contact' | 'staff';
  subject_id: string;
  /** mfa = password passed, second step pending; enrollment = may only enroll; full. */
  level: 'mfa' | 'enrollment' | 'full';
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  step_up_at: string | null;
  ip: string | null;
  user_agent: string | null;
}

export interface EmailTokensTable {
  token_hash: string;
  purpose: string;
  subject_kind: 'contact' | 'staff';
  subject_id: string;
  data: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface TicketsTable {
  seq: Generated<number>;
  id: string;
  contact_id: string;
  subject: string;
  status: 'open' | 'pending' | 'solved';
  recovery: number;
  created_at: string;
  updated_at: string;
}

export interface TicketMessagesTable {
  seq: Generated<number>;
  id: string;
  ticket_id: string;
  author_kind: 'contact' | 'staff' | 'system';
  author_id: string | null;
  body: string;
  created_at: string;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface AuditEventsTable {
  seq: number;
  id: string;
  at: string;
  actor_type: 'contact' | 'staff' | 'token' | 'cli' | 'system';
  actor_id: string | null;
  contact_id: string | null;
  staff_id: string | null;
  action: string;
  reason: string | null;
  verification: string | null;
  ip: string | null;
  user_agent: string | null;
  details: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface OutboxTable {
  seq: Generated<number>;
  id: string;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string;
  created_at: string;
  attempts: Generated<number>;
  next_attempt_at: string;
  sent_at: string | null;
  last_error: string | null;
  locked_until: string | null;
  priority: Generated<number>;
  /** JSON naming a renderer and its values, for an email rendered when it is sent (bodies empty until then). */
  rendered_at_delivery: string | null;
}

export interface RateLimitsTable {
  key: string;
  window_start: string;
  count: number;
}

export interface MFAFactorsTable {
  id: string;
  owner_kind: 'contact' | 'staff';
  owner_id: string;
  type: 'totp' | 'webauthn';
  name: string;
  status: 'pending' | 'active';
  secret_sealed: string | null;
  last_used_step: number | null;
  credential_id: string | null;
  public_key: string | null;
  counter: number | null;
  transports: string | null;
  aaguid: string | null;
  device_type: string | null;
  backed_up: number | null;
  created_at: string;
  last_used_at: string | null;
}

export interface RecoveryCodesTable {
  id: string;
  owner_kind: 'contact' | 'staff';
  owner_id: string;
  code_hash: string;
  created_at: string;
  used_at: string | null;
}

export interface RememberedDevicesTable {
  id: string;
  owner_kind: 'contact' | 'staff';
  owner_id: string;
  token_hash: string;
  browser: string;
  ip: string | null;
  created_at: string;
  last_used_at: string | null;
  expires_at: string;
}

export interface MFAChallengesTable {
  session_hash: string;
  purpose: 'sign_in' | 'step_up' | 'register';
  challenge: string | null;
  attempts: Generated<number>;
  expires_at: string;
}

export interface MFAAccountsTable {
  owner_kind: 'contact' | 'staff';
  owner_id: string;
  failures: Generated<number>;
  locked_until: string | null;
  hard_locked: Generated<number>;
  enrollment_required: Generated<number>;
  retire_factor_ids: string | null;
  setup_required: Generated<number>;
  updated_at: string;
}

export interface TemporaryCodesTable {
  id: string;
  owner_kind: 'contact' | 'staff';
  owner_id: string;
  code_hash: string;
  retire_factor_ids: string;
  issued_by: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  voided_at: string | null;
  /** Set when the waiting period delays the code: unusable before this time. */
  valid_from: string | null;
  /** Once used: the session it opened, whose enrollment retires `retire_factor_ids` (migration 009). */
  session_hash: Generated<string | null>;
}

export interface IdentityChecksTable {
  id: string;
  owner_kind: 'contact' | 'staff';
  owner_id: string;
  staff_id: string | null;
  code_hash: string;
  attempts: Generated<number>;
  created_at: string;
  expires_at: string;
  verified_at: string | null;
  used_at: string | null;
}

export interface APITokensTable {
  id: string;
  staff_id: string;
  name: string;
  token_hash: string;
  scopes: string;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** The staff member who created it (migration 008); null for the CLI and older tokens. */
  created_by: string | null;
}

export interface BulkJobsTable {
  id: string;
  /** 'preparing' while its targets are being frozen: never shown, never run (src/recovery/bulk-targets.ts). */
  status: 'preparing' | 'queued' | 'running' | 'completed' | 'cancelled' | 'failed';
  filter: string;
  reason: string;
  require_enrollment: number;
  actor_type: 'staff' | 'token' | 'cli';
  actor_id: string | null;
  total: number;
  done: Generated<number>;
  failed: Generated<number>;
  unknown_emails: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  lease_owner: string | null;
  lease_until: string | null;
}

export interface BulkJobItemsTable {
  seq: Generated<number>;
  job_id: string;
  contact_id: string;
  status: 'pending' | 'done' | 'failed' | 'skipped';
  error: string | null;
  finished_at: string | null;
}

export interface PendingActionsTable {
  id: string;
  kind: 'reset' | 'temporary_code' | 'remove_factor';
  owner_kind: 'contact' | 'staff';
  owner_id: string;
  params: string;
  reason: string;
  verification: string | null;
  actor_type: 'staff' | 'token' | 'cli' | 'contact' | 'system';
  actor_id: string | null;
  status: 'pending' | 'done' | 'cancelled' | 'failed';
  created_at: string;
  effective_at: string;
  finished_at: string | null;
  cancelled_by: string | null;
  cancel_token_hash: string;
}

export interface Database {
  bulk_jobs: BulkJobsTable;
  bulk_job_items: BulkJobItemsTable;
  pending_actions: PendingActionsTable;
  temporary_codes: TemporaryCodesTable;
  identity_checks: IdentityChecksTable;
  api_tokens: APITokensTable;
  mfa_factors: MFAFactorsTable;
  recovery_codes: RecoveryCodesTable;
  remembered_devices: RememberedDevicesTable;
  mfa_challenges: MFAChallengesTable;
  mfa_accounts: MFAAccountsTable;
  contacts: ContactsTable;
  staff: StaffTable;
  sessions: SessionsTable;
  email_tokens: EmailTokensTable;
  tickets: TicketsTable;
  ticket_messages: TicketMessagesTable;
  settings: SettingsTable;
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
  outbox: OutboxTable;
  rate_limits: RateLimitsTable;
}

export type DB = Kysely<Database>;
/** Either the database or a transaction: store functions take this first. */
export type Executor = Kysely<Database> | Transaction<Database>;
export type Dialect = 'sqlite' | 'postgres';
