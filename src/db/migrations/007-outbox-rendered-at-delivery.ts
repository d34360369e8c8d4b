import { type Kysely } from 'kysely';
import type { Dialect } from '../types.js';

type AnyDB = Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * An email can be queued as what it says rather than as its rendered text: `rendered_at_delivery`
 * holds a small JSON description that the mailer renders when it sends the email (its bodies
 * stay empty until then). A bulk reset queues one email per contact this way: ~200 bytes a row
 * instead of ~2 KB of text and HTML, and the setup link in it is issued when the email goes
 * out, so its 24 hours start when the customer can first read it.
 */
export async function up(db: AnyDB, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('outbox').addColumn('rendered_at_delivery', 'text').execute();
}
