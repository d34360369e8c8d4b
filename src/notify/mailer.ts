import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import type { DB, Executor } from '../db/index.js';
import { untilCommitted } from '../db/index.js';
import { generateID } from '../crypto/random.js';
import type { Email, Transport } from './transport.js';

export type { Email } from './transport.js';

/**
 * A durable outbox: `enqueue` writes the email in the caller's transaction (so an email goes
 * out exactly when the change it announces commits), and a background loop delivers due
 * emails with retries and exponential backoff. A slow or down SMTP server delays mail; it
 * never loses it and never holds up a request.
 */
export interface Mailer {
  enqueue(db: Executor, email: Email): Promise<void>;
  /**
   * How emails queued as `{ renderer: name, values }` (the `rendered_at_delivery` column, bodies
   * empty) become an email when they are sent. A renderer that throws is a failed delivery,
   * retried like one.
   */
  registerRenderer(name: string, render: DeliveryRenderer): void;
  /** Delivers what is due now; returns how many were sent. */
  deliverDue(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

/** Turns the stored values of an email rendered at delivery into the email to send; `recipient` is the address stored when it was queued, and the email goes to its own `to`. */
export type DeliveryRenderer = (values: Record<string, unknown>, recipient: string) => Promise<Email>;

/** What the `rendered_at_delivery` column holds. */
export interface RenderedAtDelivery {
  renderer: string;
  values: Record<string, unknown>;
}

export const MAX_ATTEMPTS = 12;
const CLAIM_FOR_MS = 60_000;
/** Emails sent in parallel per round, and the longest a pass runs before yielding. */
const ROUND = 8;
const PASS_BUDGET_MS = 1000;

export function backoffMs(attempts: number): number {
  return Math.min(30_000 * 2 ** (attempts - 1), 6 * 3600_000);
}

export function createMailer(db: DB, transport: Transport, clock: Clock, log: FastifyBaseLogger, pollMs = 1000): Mailer {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let stopped = true;
  const renderers = new Map<string, DeliveryRenderer>();

  function render(stored: string, recipient: string): Promise<Email> {
    const { renderer, values } = JSON.parse(stored) as RenderedAtDelivery;
    const r = renderers.get(renderer);
    if (!r) throw new Error(`no renderer "${renderer}" for this email`);
    return r(values, recipient);
  }

  /** Sends one claimed email and records the outcome; true when it went out. */
  async function deliverOne(id: string, now: Date, nowISO: string): Promise<boolean> {
    // Claim the row with one conditional write, so two instances never send it twice.
    const claimed = await db
      .updateTable('outbox')
      .set({ locked_until: new Date(now.getTime() + CLAIM_FOR_MS).toISOString() })
      .where('id', '=', id)
      .where('sent_at', 'is', null)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', nowISO)]))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return false;
    const row = await db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    try {
      // Never send an email whose row is not yet committed (src/db/sqlite-group-commit.ts).
      await untilCommitted(db);
      const email = row.rendered_at_delivery ? await render(row.rendered_at_delivery, row.recipient) : { to: row.recipient, subject: row.subject, text: row.text_body, html: row.html_body };
      await transport.send(email, row.id);
      // A sent email's bodies are not kept: they may hold a single-use link. Its recipient is the
      // one it went to (rendered at delivery, it follows an address changed since it was queued).
      await db
        .updateTable('outbox')
        .set({ sent_at: clock.now().toISOString(), recipient: email.to, attempts: row.attempts + 1, locked_until: null, last_error: null, text_body: '', html_body: '' })
        .where('id', '=', id)
        .execute();
      return true;
    } catch (error) {
      const attempts = row.attempts + 1;
      const message = error instanceof Error ? error.message : String(error);
      log.warn({ to: row.recipient, subject: row.subject, attempts, error: message }, 'email delivery failed; will retry');
      await db
        .updateTable('outbox')
        .set({ attempts, last_error: message.slice(0, 500), locked_until: null, next_attempt_at: new Date(clock.now().getTime() + backoffMs(attempts)).toISOString() })
        .where('id', '=', id)
        .execute();
      return false;
    }
  }

  /**
   * One delivery pass: small rounds of PARALLEL sends, re-reading the queue between rounds so
   * that a person's own email (priority 0) overtakes a bulk backlog within one round. A pass
   * ends after PASS_BUDGET_MS, which bounds the sending rate.
   */
  async function deliverOnce(): Promise<number> {
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < PASS_BUDGET_MS) {
      const now = clock.now();
      const nowISO = now.toISOString();
      const due = await db
        .selectFrom('outbox')
        .select(['id'])
        .where('sent_at', 'is', null)
        .where('next_attempt_at', '<=', nowISO)
        .where('attempts', '<', MAX_ATTEMPTS)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', nowISO)]))
        .orderBy('priority')
        .orderBy('seq')
        .limit(ROUND)
        .execute();
      if (!due.length) break;
      const results = await Promise.all(due.map(({ id }) => deliverOne(id, now, nowISO)));
      sent += results.filter(Boolean).length;
      if (due.length < ROUND) break;
    }
    return sent;
  }

  function deliverDue(): Promise<number> {
    // One delivery pass at a time per process.
    if (!running) running = deliverOnce().finally(() => (running = null));
    return running;
  }

  function schedule(delay: number): void {
    if (stopped) return;
    timer = setTimeout(async () => {
      try {
        await deliverDue();
      } catch (error) {
        log.error({ error: error instanceof Error ? error.message : String(error) }, 'outbox delivery pass failed');
      }
      schedule(pollMs);
    }, delay);
    timer.unref();
  }

  return {
    async enqueue(executor, email) {
      const now = clock.now();
      await executor
        .insertInto('outbox')
        .values({
          id: generateID('em', now),
          recipient: email.to,
          subject: email.subject,
          text_body: email.text,
          html_body: email.html,
          created_at: now.toISOString(),
          next_attempt_at: now.toISOString(),
          sent_at: null,
          last_error: null,
          locked_until: null,
        })
        .execute();
      // Deliver soon after the enclosing transaction commits rather than at the next poll.
      if (!stopped) setTimeout(() => void deliverDue().catch(() => undefined), 20).unref();
    },
    deliverDue,
    registerRenderer(name, r) {
      renderers.set(name, r);
    },
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (running) await running.catch(() => undefined);
      transport.close();
    },
  };
}
