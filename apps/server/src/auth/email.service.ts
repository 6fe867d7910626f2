import nodemailer, { type Transporter } from 'nodemailer';
import type { ServerConfig } from '../config.ts';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** Minimal logger shape so the service works with Fastify's logger or none. */
interface Log {
  error: (obj: object, msg: string) => void;
}

// A stuck SMTP server must not hold a request open: every phase gives up after this long.
const TIMEOUT_MS = 10_000;

export function emailEnabled(config: ServerConfig): boolean {
  return Boolean(config.smtpHost && config.smtpFrom);
}

/** Outgoing mail over SMTP; a no-op sender when email is not configured. */
export class EmailService {
  private readonly transport?: Transporter;

  constructor(
    private readonly config: ServerConfig,
    private readonly log?: Log,
  ) {
    if (!emailEnabled(config)) return;
    this.transport = nodemailer.createTransport({
      host: config.smtpHost,
      port: config.smtpPort,
      secure: config.smtpSecure,
      auth: config.smtpUsername ? { user: config.smtpUsername, pass: config.smtpPassword ?? '' } : undefined,
      connectionTimeout: TIMEOUT_MS,
      greetingTimeout: TIMEOUT_MS,
      socketTimeout: TIMEOUT_MS,
    });
  }

  get enabled(): boolean {
    return this.transport !== undefined;
  }

  /** Links in mails point at the public URL users reach the server at. */
  link(path: string): string {
    return `${this.config.publicUrl.replace(/\/+$/, '')}${path}`;
  }

  /** Sends a mail; SMTP failures are logged, never thrown, so a mail problem cannot fail the request. */
  async send(mail: Mail): Promise<boolean> {
    if (!this.transport) return false;
    try {
      await this.transport.sendMail({ from: this.config.smtpFrom, ...mail });
      return true;
    } catch (err) {
      this.log?.error({ err, to: mail.to, subject: mail.subject }, 'sending email failed');
      return false;
    }
  }

  close(): void {
    this.transport?.close();
  }
}
