import type { Executor } from '../db/index.js';
import { sql, type Selectable } from 'kysely';
import type { TicketMessagesTable, TicketsTable } from '../db/types.js';

export type TicketStatus = TicketsTable['status'];

export interface Ticket {
  seq: number;
  id: string;
  contactID: string;
  subject: string;
  status: TicketStatus;
  recovery: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface TicketMessage {
  id: string;
  authorKind: TicketMessagesTable['author_kind'];
  authorID: string | null;
  body: string;
  createdAt: string;
}

function toTicket(r: Selectable<TicketsTable>): Ticket {
  return {
    seq: Number(r.seq),
    id: r.id,
    contactID: r.contact_id,
    subject: r.subject,
    status: r.status,
    recovery: r.recovery === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function insertTicket(db: Executor, t: Omit<TicketsTable, 'seq'>): Promise<void> {
  await db.insertInto('tickets').values(t).execute();
}

export async function insertMessage(db: Executor, m: Omit<TicketMessagesTable, 'seq'>): Promise<void> {
  await db.insertInto('ticket_messages').values(m).execute();
}

export async function findTicket(db: Executor, id: string): Promise<Ticket | null> {
  const r = await db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toTicket(r) : null;
}

/**
 * When the owner cancelled this recovery request from the emailed link ("it was not me"), from
 * the audit entry the cancel writes (it names the ticket); null when they did not.
 */
export async function recoveryCancelledAt(db: Executor, ticket: Ticket): Promise<string | null> {
  if (!ticket.recovery) return null;
  const rows = await db
    .selectFrom('audit_events')
    .select(['at', 'details'])
    .where('action', '=', 'mfa.recovery_request.cancelled')
    .where('contact_id', '=', ticket.contactID)
    .orderBy('seq')
    .execute();
  for (const r of rows) {
    const details = r.details ? (JSON.parse(r.details) as { ticketId?: unknown }) : null;
    if (details?.ticketId === ticket.id) return r.at;
  }
  return null;
}

export async function listMessages(db: Executor, ticketID: string): Promise<TicketMessage[]> {
  const rows = await db.selectFrom('ticket_messages').selectAll().where('ticket_id', '=', ticketID).orderBy('seq').execute();
  return rows.map((r) => ({ id: r.id, authorKind: r.author_kind, authorID: r.author_id, body: r.body, createdAt: r.created_at }));
}

export async function listTickets(
  db: Executor,
  opts: { contactID?: string; status?: TicketStatus; recovery?: boolean; beforeSeq?: number; limit: number },
): Promise<{ items: Ticket[]; nextCursor: string | null }> {
  let q = db.selectFrom('tickets').selectAll();
  if (opts.contactID) q = q.where('contact_id', '=', opts.contactID);
  if (opts.status) q = q.where('status', '=', opts.status);
  if (opts.recovery !== undefined) q = q.where('recovery', '=', opts.recovery ? 1 : 0);
  if (opts.beforeSeq !== undefined) q = q.where('seq', '<', opts.beforeSeq);
  const rows = await q.orderBy('seq', 'desc').limit(opts.limit + 1).execute();
  const items = rows.slice(0, opts.limit).map(toTicket);
  return { items, nextCursor: rows.length > opts.limit ? String(items[items.length - 1].seq) : null };
}

export async function updateTicket(db: Executor, id: string, fields: { status?: TicketStatus }, at: string): Promise<void> {
  await db.updateTable('tickets').set({ ...fields, updated_at: at }).where('id', '=', id).execute();
}

/**
 * A staff reply's move of an open ticket to pending (waiting for the customer), decided by the
 * status as it is at the write, not as read before: a ticket solved meanwhile stays solved.
 */
export async function markRepliedByStaff(db: Executor, id: string, at: string): Promise<void> {
  await db
    .updateTable('tickets')
    .set({ updated_at: at, status: sql<TicketStatus>`case when status = 'open' then 'pending' else status end` })
    .where('id', '=', id)
    .execute();
}
