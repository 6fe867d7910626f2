import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A mail as the sink saw it: envelope recipients (lower-cased), subject and decoded text body. */
export interface Received {
  to: string[];
  subject: string;
  text: string;
}

/** Decodes the single-part text bodies nodemailer writes (7bit, quoted-printable or base64). */
function bodyOf(raw: string): { subject: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1] ?? '';
  const cte = header('Content-Transfer-Encoding').toLowerCase();
  const text =
    cte === 'quoted-printable'
      ? body
          .replace(/=\r\n/g, '')
          .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
      : cte === 'base64'
        ? Buffer.from(body, 'base64').toString('utf8')
        : body;
  return { subject: header('Subject'), text: text.replace(/\r\n/g, '\n') };
}

/** A real SMTP server on loopback that keeps what it is sent. */
export class MailSink {
  readonly mails: Received[] = [];
  private waiters: { to: string; resolve: (m: Received) => void }[] = [];
  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream, session, done) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const mail = {
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          ...bodyOf(Buffer.concat(chunks).toString('utf8')),
        };
        this.mails.push(mail);
        this.waiters = this.waiters.filter((w) => {
          if (!mail.to.includes(w.to)) return true;
          w.resolve(mail);
          return false;
        });
        done();
      });
    },
  });

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The next mail to `to` that arrives after `seen` mails to it have already been taken. */
  next(to: string, seen = 0): Promise<Received> {
    const addr = to.toLowerCase();
    const have = this.mails.filter((m) => m.to.includes(addr));
    if (have.length > seen) return Promise.resolve(have[seen]);
    return new Promise((resolve) => this.waiters.push({ to: addr, resolve }));
  }

  count(to: string): number {
    return this.mails.filter((m) => m.to.includes(to.toLowerCase())).length;
  }
}
