import { type Kysely } from 'kysely';
import type { Dialect } from '../types.js';

type AnyDB = Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * A used temporary access code names the enrollment-only session it opened (PRODUCT.md §4.4):
 * the factors of the code's issue are retired by an enrollment in that session and in no
 * other. Before, using a code copied its list onto the person's MFA state, where it waited
 * for any later enrollment, one the owner made in an ordinary session included.
 *
 * Lists left on the state row by codes used before this migration are dropped: the state row
 * now holds only the list of a required enrollment (§4.3), which keeps its flag set.
 */
export async function up(db: AnyDB, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('temporary_codes').addColumn('session_hash', 'text').execute();
  await db.schema.createIndex('temporary_codes_session').on('temporary_codes').column('session_hash').execute();
  await db.updateTable('mfa_accounts').set({ retire_factor_ids: null }).where('enrollment_required', '=', 0).where('retire_factor_ids', 'is not', null).execute();
}
