import { seqCursor } from '../http/schemas.js';
import type { Context } from '../context.js';
import type { Executor } from '../db/index.js';
import { generateID } from '../crypto/random.js';
import { AppError } from '../http/errors.js';
import type { Account } from '../accounts/service.js';
import { getAccount, link } from '../accounts/service.js';
import { templates } from '../notify/templates.js';
import * as store from './store.js';
import type { Ticket, TicketMessage, TicketStatus } from './store.js';

export type { Ticket, TicketMessage, TicketStatus } from './store.js';

/** A customer opens a ticket. Text is stored as typed and only ever shown as plain text. */
export async function openTicket(
  ctx: Context,
  contact: Account,
  input: { subject: string; message: string },
  options: { recovery?: boolean; db?: Executor } = {},
): Promise<Ticket> {
  if (!contact.emailVerifiedAt && !options.recovery) {
    throw new AppError('forbidden', 'Confirm your email address before opening a ticket');
  }
  const now = ctx.clock.now();
  const id = generateID('tk', now);
  const write = async (trx: Executor) => {
    await store.insertTicket(trx, {
      id,
      contact_id: contact.id,
      subject: input.subject,
      status: 'open',
      recovery: options.recovery ? 1 : 0,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    });
    await store.insertMessage(trx, { id: generateID('tm', now), ticket_id: id, author_kind: 'contact', author_id: contact.id, body: input.message, created_at: now.toISOString() });
    return (await store.findTicket(trx, id))!;
  };
  return options.db ? write(options.db) : ctx.db.transaction().execute(write);
}

/** A customer's own ticket; another customer's is indistinguishable from a missing one. */
/**
 * A customer's own ticket, with the messages they may read: theirs and support's replies. The
 * system's notes are for staff (what to check before acting, that the owner cancelled a
 * request as "not me", the reason a staff member gave, the IP a request came from), as staff
 * notes are kept off the customer's security events.
 */
export async function getOwnTicket(ctx: Context, contact: Account, id: string): Promise<{ ticket: Ticket; messages: TicketMessage[] }> {
  const ticket = id.startsWith('tk_') ? await store.findTicket(ctx.db, id) : null;
  if (!ticket || ticket.contactID !== contact.id) throw new AppError('not_found', 'No ticket has this id');
  return { ticket, messages: (await store.listMessages(ctx.db, id)).filter((m) => m.authorKind !== 'system') };
}

export async function getTicket(ctx: Context, id: string): Promise<{ ticket: Ticket; messages: TicketMessage[] }> {
  const ticket = id.startsWith('tk_') ? await store.findTicket(ctx.db, id) : null;
  if (!ticket) throw new AppError('not_found', 'No ticket has this id');
  return { ticket, messages: await store.listMessages(ctx.db, id) };
}

/** When the owner cancelled this MFA recovery request ("it was not me"); null when not cancelled or not one. */
export function recoveryCancelledAt(ctx: Context, ticket: Ticket): Promise<string | null> {
  return store.recoveryCancelledAt(ctx.db, ticket);
}

export function listTickets(
  ctx: Context,
  opts: { contactID?: string; status?: TicketStatus; recovery?: boolean; cursor?: string; limit: number },
): Promise<{ items: Ticket[]; nextCursor: string | null }> {
  return store.listTickets(ctx.db, { ...opts, beforeSeq: seqCursor(opts.cursor) });
}

export async function replyAsContact(ctx: Context, contact: Account, id: string, message: string): Promise<TicketMessage> {
  const { ticket } = await getOwnTicket(ctx, contact, id);
  const now = ctx.clock.now();
  const m = { id: generateID('tm', now), ticket_id: ticket.id, author_kind: 'contact' as const, author_id: contact.id, body: message, created_at: now.toISOString() };
  await ctx.db.transaction().execute(async (trx) => {
    await store.insertMessage(trx, m);
    // A customer's reply reopens a solved or pending ticket.
    await store.updateTicket(trx, ticket.id, { status: 'open' }, now.toISOString());
  });
  return { id: m.id, authorKind: 'contact', authorID: contact.id, body: message, createdAt: m.created_at };
}

/** A staff reply; the customer is emailed a link (never the text, which stays in the help center). */
export async function replyAsStaff(ctx: Context, staff: Account, id: string, message: string): Promise<TicketMessage> {
  const { ticket } = await getTicket(ctx, id);
  const contact = await getAccount(ctx, 'contact', ticket.contactID);
  const now = ctx.clock.now();
  const m = { id: generateID('tm', now), ticket_id: ticket.id, author_kind: 'staff' as const, author_id: staff.id, body: message, created_at: now.toISOString() };
  await ctx.db.transaction().execute(async (trx) => {
    await store.insertMessage(trx, m);
    await store.markRepliedByStaff(trx, ticket.id, now.toISOString());
    if (contact) await ctx.mailer.enqueue(trx, templates.ticketReply(contact.email, ticket.subject, link(ctx, `/tickets/${ticket.id}`)));
  });
  return { id: m.id, authorKind: 'staff', authorID: staff.id, body: message, createdAt: m.created_at };
}

export async function addSystemNote(ctx: Context, db: Executor, ticketID: string, message: string): Promise<void> {
  const now = ctx.clock.now();
  await store.insertMessage(db, { id: generateID('tm', now), ticket_id: ticketID, author_kind: 'system', author_id: null, body: message, created_at: now.toISOString() });
}

export async function setTicketStatus(ctx: Context, id: string, status: TicketStatus): Promise<Ticket> {
  await getTicket(ctx, id);
  await store.updateTicket(ctx.db, id, { status }, ctx.clock.now().toISOString());
  return (await store.findTicket(ctx.db, id))!;
}
