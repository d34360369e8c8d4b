import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';

export interface ReceivedEmail {
  to: string;
  /** The envelope's recipients (RCPT TO): the mailboxes the message was delivered to. */
  recipients: string[];
  subject: string;
  text: string;
  html: string;
}

/**
 * A real SMTP server on a random local port that keeps what it receives, so tests exercise
 * the same SMTP path as production. `refuse` makes it reject mail (a down provider).
 */
export class MailSink {
  readonly messages: ReceivedEmail[] = [];
  refuse = false;
  private server: SMTPServer;
  private waiters: Array<() => void> = [];
  port = 0;

  constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onRcptTo: (_address, _session, cb) => {
        if (this.refuse) return cb(Object.assign(new Error('mailbox unavailable'), { responseCode: 451 }));
        cb();
      },
      onData: (stream, session, cb) => {
        const recipients = session.envelope.rcptTo.map((a) => a.address);
        simpleParser(stream)
          .then((m) => {
            const to = Array.isArray(m.to) ? m.to[0]?.text : m.to?.text;
            this.messages.push({ to: to ?? '', recipients, subject: m.subject ?? '', text: m.text ?? '', html: typeof m.html === 'string' ? m.html : '' });
            for (const w of this.waiters.splice(0)) w();
            cb();
          })
          .catch(cb);
      },
    });
    // A client that dies mid-conversation (a `portico serve` killed with SIGKILL while it
    // delivers mail) resets its connection; a real SMTP server logs that and carries on.
    this.server.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') this.errors.push(error);
    });
  }

  /** Errors other than a client vanishing; none are expected. */
  readonly errors: Error[] = [];

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
    return `smtp://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Waits (up to `ms`) for an email to `to` whose subject matches, and returns it. */
  async waitFor(to: string, subject: RegExp | string = /.*/, ms = 5000): Promise<ReceivedEmail> {
    const deadline = Date.now() + ms;
    const matches = (m: ReceivedEmail) =>
      m.to.toLowerCase().includes(to.toLowerCase()) && (typeof subject === 'string' ? m.subject.includes(subject) : subject.test(m.subject));
    for (;;) {
      const found = this.messages.find(matches);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no email to ${to} matching ${subject} within ${ms} ms; got: ${this.messages.map((m) => `${m.to}: ${m.subject}`).join(' | ') || 'none'}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Emails to an address so far. */
  to(address: string): ReceivedEmail[] {
    return this.messages.filter((m) => m.to.toLowerCase().includes(address.toLowerCase()));
  }

  /** The first link in an email whose path starts with `path`. */
  static link(email: ReceivedEmail, path: string): string {
    const m = email.text.match(new RegExp(`https?://[^\\s]+${path.replace(/[/?]/g, (c) => `\\${c}`)}[^\\s]*`));
    if (!m) throw new Error(`no ${path} link in email "${email.subject}": ${email.text}`);
    return m[0];
  }

  static token(email: ReceivedEmail, path: string): string {
    return new URL(MailSink.link(email, path)).searchParams.get('token')!;
  }
}
