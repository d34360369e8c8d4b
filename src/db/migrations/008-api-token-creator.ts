import { type Kysely } from 'kysely';
import type { Dialect } from '../types.js';

type AnyDB = Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Who created an API token (an admin may create one for another staff member). No staff member
 * may run MFA actions on their own account, and a token made by them for someone else must not
 * become the way around that rule. Tokens created before this column (and by the CLI) have none.
 */
export async function up(db: AnyDB, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('api_tokens').addColumn('created_by', 'text').execute();
}
