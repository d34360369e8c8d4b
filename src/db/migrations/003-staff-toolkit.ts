import type { Kysely } from 'kysely';
import type { Dialect } from '../types.js';

type AnyDB = Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The staff MFA toolkit: temporary access codes, identity checks, API tokens. */
export async function up(db: AnyDB, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('temporary_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_kind', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    // The factors that existed at issue: removed once the person enrolls a new one.
    .addColumn('retire_factor_ids', 'text', (c) => c.notNull())
    .addColumn('issued_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('voided_at', 'text')
    .execute();
  await db.schema.createIndex('temporary_codes_owner').on('temporary_codes').columns(['owner_kind', 'owner_id']).execute();

  await db.schema
    .createTable('identity_checks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_kind', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('staff_id', 'text')
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('verified_at', 'text')
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('identity_checks_owner').on('identity_checks').columns(['owner_kind', 'owner_id']).execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('staff_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('api_tokens_staff').on('api_tokens').columns(['staff_id']).execute();
}
