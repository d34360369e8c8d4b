import { DAY } from '../clock.js';
import type { Context } from '../context.js';
import type { DeliveryRenderer, RenderedAtDelivery } from '../notify/mailer.js';
import { issueEmailToken } from '../accounts/email-tokens.js';
import { link } from '../accounts/service.js';
import { findAccountByID } from '../accounts/store.js';
import { findMFAAccount } from '../mfa/state-store.js';
import { takeMFAAdvisoryLock } from '../mfa/store.js';
import { resetNotice, setupPath } from './service.js';

/**
 * The email a bulk reset sends each contact, queued as what it says and rendered when the
 * mailer sends it (notify/mailer.ts): a job queues ~200 bytes a contact instead of ~2 KB of
 * text and HTML, which on SQLite was a seventh of the pages each batch wrote.
 *
 * The setup link is issued at delivery too. Emails go out at a bounded rate, so a big job's
 * last emails may leave hours after the job; issued then, the link's 24 hours start when the
 * customer can first read it. It is only issued while the reset still asks for setup: a
 * customer who has set up a new method since (with a temporary code from support) gets the
 * notice without a link.
 */
export const BULK_RESET_NOTICE = 'bulk_reset_notice';

export interface BulkResetNoticeValues {
  contactId: string;
  factorsRemoved: number;
  /** When the contact was reset (ISO). */
  at: string;
  /** Whether the job requires setup (a link is issued when sent). */
  setup: boolean;
}

export function bulkResetNotice(values: BulkResetNoticeValues): string {
  return JSON.stringify({ renderer: BULK_RESET_NOTICE, values: { ...values } } satisfies RenderedAtDelivery);
}

export function bulkResetNoticeRenderer(ctx: Context): DeliveryRenderer {
  return async (values, recipient) => {
    const v = values as unknown as BulkResetNoticeValues;
    const owner = { kind: 'contact' as const, id: v.contactId };
    // Under the person's MFA lock, as an enrollment clears the setup and voids the links under it:
    // a link is issued only while a setup is still asked for, never just after it was done.
    const { token, to } = await ctx.db.transaction().execute(async (trx) => {
      if (ctx.dialect === 'postgres') await takeMFAAdvisoryLock(trx, owner);
      const token = v.setup && (await findMFAAccount(trx, owner))?.setup_required ? await issueEmailToken(ctx, trx, 'mfa_setup', 'contact', v.contactId, DAY) : null;
      // The address as it stands now, read once issuing the link has queued this transaction
      // with an email change's (see confirmEmailChange): the notice may leave hours after the
      // job stored the address, and a move confirmed since must not send a live link to the
      // mailbox the customer left. The email is for the account, so it follows the move.
      const to = (await findAccountByID(trx, 'contact', v.contactId))?.email ?? recipient;
      return { token, to };
    });
    const setupURL = token ? link(ctx, `${setupPath(owner)}?token=${token}`) : null;
    return resetNotice(to, { at: new Date(v.at), ip: null, userAgent: null, actor: 'our support team' }, v.factorsRemoved, setupURL, true);
  };
}
