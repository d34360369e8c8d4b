import type { Kysely } from 'kysely';
import type { Dialect } from '../types.js';

type AnyDB = Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Customer and staff MFA: factors, recovery codes, remembered devices, challenges, lockout state. */
export async function up(db: AnyDB, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('mfa_factors')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_kind', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // TOTP: the sealed (AES-256-GCM) seed and the last accepted time step (replay guard).
    .addColumn('secret_sealed', 'text')
    .addColumn('last_used_step', 'bigint')
    // WebAuthn: credential id, COSE public key, signature counter, transports, model.
    .addColumn('credential_id', 'text', (c) => c.unique())
    .addColumn('public_key', 'text')
    .addColumn('counter', 'bigint')
    .addColumn('transports', 'text')
    .addColumn('aaguid', 'text')
    .addColumn('device_type', 'text')
    .addColumn('backed_up', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .execute();
  await db.schema.createIndex('mfa_factors_owner').on('mfa_factors').columns(['owner_kind', 'owner_id', 'status']).execute();

  await db.schema
    .createTable('recovery_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_kind', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('recovery_codes_owner').on('recovery_codes').columns(['owner_kind', 'owner_id']).execute();

  await db.schema
    .createTable('remembered_devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_kind', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('browser', 'text', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('remembered_devices_owner').on('remembered_devices').columns(['owner_kind', 'owner_id']).execute();

  // Per-session challenges: a WebAuthn challenge for one purpose, and the wrong-code count of
  // a pending sign-in. Keyed by the session's hash, so they die with the session.
  await db.schema
    .createTable('mfa_challenges')
    .addColumn('session_hash', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('challenge', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('mfa_challenges_pk', ['session_hash', 'purpose'])
    .execute();

  // One row per account that has MFA state: the code-failure counter and locks, and what staff
  // asked for (enrollment required, factors to retire, setup through an emailed link).
  await db.schema
    .createTable('mfa_accounts')
    .addColumn('owner_kind', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'text')
    .addColumn('hard_locked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('enrollment_required', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('retire_factor_ids', 'text')
    .addColumn('setup_required', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('mfa_accounts_pk', ['owner_kind', 'owner_id'])
    .execute();
}
