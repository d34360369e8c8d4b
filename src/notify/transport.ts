import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { FastifyBaseLogger } from 'fastify';

export interface Email {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Hands one email to the outside world; throws when delivery failed (the outbox retries). */
export interface Transport {
  send(email: Email, id: string): Promise<void>;
  close(): void;
}

/** Real delivery over SMTP (SMTP_URL). */
export function createSMTPTransport(url: string, from: string): Transport {
  // A small pool of kept-open connections: a bulk incident sends thousands of notices.
  const t = nodemailer.createTransport(url, { pool: true, maxConnections: 4 } as never);
  return {
    async send(email) {
      // The recipient as one address, never parsed as a list: an address stored before Portico
      // refused list syntax (`x<sam@corp.example>`) must not reach the mailbox inside it.
      await t.sendMail({ from, to: { name: '', address: email.to }, subject: email.subject, text: email.text, html: email.html });
    },
    close: () => t.close(),
  };
}

/**
 * Without SMTP: each email becomes `<dataDir>/outbox/<id>.json`, so a person trying Portico on
 * a laptop can open the links. The log names recipient and subject only, never the body.
 */
export function createFileTransport(dir: string, log: FastifyBaseLogger): Transport {
  mkdirSync(dir, { recursive: true });
  return {
    async send(email, id) {
      const file = join(dir, `${id}.json`);
      writeFileSync(file, JSON.stringify({ ...email, sentAt: new Date().toISOString() }, null, 2));
      log.info({ to: email.to, subject: email.subject, file }, 'email written to the outbox folder');
    },
    close() {},
  };
}
