import { z } from 'zod';
import type { Context } from '../context.js';
import type { App } from '../http/types.js';
import { requireContact, requireStaff } from '../http/guards.js';
import { listQuery } from '../http/schemas.js';
import { getAccount } from '../accounts/service.js';
import * as tickets from './service.js';
import type { Ticket, TicketMessage } from './service.js';

const subjectSchema = z.string().trim().min(1).max(200);
const messageSchema = z.string().trim().min(1).max(20000);
const idParams = z.object({ id: z.string().max(100) });

function presentTicket(t: Ticket): Record<string, unknown> {
  return { id: t.id, contactId: t.contactID, subject: t.subject, status: t.status, recovery: t.recovery, createdAt: t.createdAt, updatedAt: t.updatedAt };
}

/**
 * A ticket message. For the customer, support's replies carry the first name only, and not the
 * staff member's id: who in support answered is the help desk's business, not something a
 * reader of the customer's account (the owner, or someone who got into it) needs.
 */
function presentMessage(m: TicketMessage, names: Map<string, string>, forCustomer = false): Record<string, unknown> {
  const id = forCustomer && m.authorKind === 'staff' ? null : m.authorID;
  return {
    id: m.id,
    author: { type: m.authorKind, id, name: m.authorID ? (names.get(m.authorID) ?? null) : null },
    body: m.body,
    createdAt: m.createdAt,
  };
}

async function authorNames(ctx: Context, messages: TicketMessage[], forCustomer: boolean): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const m of messages) {
    if (!m.authorID || names.has(m.authorID)) continue;
    const a = await getAccount(ctx, m.authorKind === 'staff' ? 'staff' : 'contact', m.authorID);
    // Customers see the support team's first names only.
    if (a) names.set(m.authorID, forCustomer && a.kind === 'staff' ? `${a.name.split(' ')[0]} (support)` : a.name);
  }
  return names;
}

export function registerTicketRoutes(app: App, ctx: Context): void {
  const tags = ['tickets'];

  // The help center: a customer's own tickets.
  app.get('/api/v1/me/tickets', { schema: { tags, querystring: z.object(listQuery) } }, async (req) => {
    const { account } = await requireContact(ctx, req);
    const page = await tickets.listTickets(ctx, { contactID: account.id, limit: req.query.limit, cursor: req.query.cursor });
    return { items: page.items.map(presentTicket), nextCursor: page.nextCursor };
  });

  app.post('/api/v1/me/tickets', { schema: { tags, body: z.object({ subject: subjectSchema, message: messageSchema }) } }, async (req, reply) => {
    const { account } = await requireContact(ctx, req);
    const t = await tickets.openTicket(ctx, account, req.body);
    reply.code(201);
    return presentTicket(t);
  });

  app.get('/api/v1/me/tickets/:id', { schema: { tags, params: idParams } }, async (req) => {
    const { account } = await requireContact(ctx, req);
    const { ticket, messages } = await tickets.getOwnTicket(ctx, account, req.params.id);
    const names = await authorNames(ctx, messages, true);
    return { ...presentTicket(ticket), messages: messages.map((m) => presentMessage(m, names, true)) };
  });

  app.post('/api/v1/me/tickets/:id/replies', { schema: { tags, params: idParams, body: z.object({ message: messageSchema }) } }, async (req, reply) => {
    const { account } = await requireContact(ctx, req);
    const m = await tickets.replyAsContact(ctx, account, req.params.id, req.body.message);
    reply.code(201);
    return presentMessage(m, new Map([[account.id, account.name]]));
  });

  // The console: every ticket.
  app.get(
    '/api/v1/tickets',
    {
      schema: {
        tags,
        querystring: z.object({
          status: z.enum(['open', 'pending', 'solved']).optional(),
          recovery: z.enum(['true', 'false']).optional(),
          contactId: z.string().max(100).optional(),
          ...listQuery,
        }),
      },
    },
    async (req) => {
      await requireStaff(ctx, req, { scope: 'tickets:read' });
      const q = req.query;
      const page = await tickets.listTickets(ctx, {
        status: q.status,
        recovery: q.recovery === undefined ? undefined : q.recovery === 'true',
        contactID: q.contactId,
        limit: q.limit,
        cursor: q.cursor,
      });
      const contacts = new Map<string, { name: string; email: string }>();
      for (const t of page.items) {
        if (!contacts.has(t.contactID)) {
          const c = await getAccount(ctx, 'contact', t.contactID);
          if (c) contacts.set(t.contactID, { name: c.name, email: c.email });
        }
      }
      return { items: page.items.map((t) => ({ ...presentTicket(t), contact: contacts.get(t.contactID) ?? null })), nextCursor: page.nextCursor };
    },
  );

  app.get('/api/v1/tickets/:id', { schema: { tags, params: idParams } }, async (req) => {
    await requireStaff(ctx, req, { scope: 'tickets:read' });
    const { ticket, messages } = await tickets.getTicket(ctx, req.params.id);
    const contact = await getAccount(ctx, 'contact', ticket.contactID);
    const names = await authorNames(ctx, messages, false);
    return {
      ...presentTicket(ticket),
      // Staff only: a recovery request the owner cancelled must not be acted on.
      recoveryCancelledAt: await tickets.recoveryCancelledAt(ctx, ticket),
      contact: contact ? { id: contact.id, name: contact.name, email: contact.email } : null,
      messages: messages.map((m) => presentMessage(m, names)),
    };
  });

  app.post('/api/v1/tickets/:id/replies', { schema: { tags, params: idParams, body: z.object({ message: messageSchema }) } }, async (req, reply) => {
    const auth = await requireStaff(ctx, req, { scope: 'tickets:write' });
    const m = await tickets.replyAsStaff(ctx, auth.account, req.params.id, req.body.message);
    reply.code(201);
    return presentMessage(m, new Map([[auth.account.id, auth.account.name]]));
  });

  app.patch('/api/v1/tickets/:id', { schema: { tags, params: idParams, body: z.object({ status: z.enum(['open', 'pending', 'solved']) }) } }, async (req) => {
    await requireStaff(ctx, req, { scope: 'tickets:write' });
    return presentTicket(await tickets.setTicketStatus(ctx, req.params.id, req.body.status));
  });
}
