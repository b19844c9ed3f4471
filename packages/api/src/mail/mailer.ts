import nodemailer, { type Transporter } from "nodemailer";
import type { Logger } from "../infra/log";
import type { RenderedMail } from "./templates";

export type OutgoingMail = RenderedMail & { to: string; from: string };
export type SentMail = { messageId: string };

/** Where mail goes: an SMTP server, or (without SMTP_URL) the process's own capture. */
export interface Mailer {
  send(mail: OutgoingMail): Promise<SentMail>;
  close(): void;
}

/** Mail through SMTP (nodemailer): `smtp://` (STARTTLS when offered) or `smtps://`. */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
  constructor(url: string) {
    // Short timeouts: a stuck server fails the try (the queue retries it), it does not hold a worker.
    this.transport = nodemailer.createTransport(url, {
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    } as object);
  }

  async send(mail: OutgoingMail): Promise<SentMail> {
    const info = await this.transport.sendMail({
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      ...(mail.headers ? { headers: mail.headers } : {}),
    });
    return { messageId: String(info.messageId ?? "") };
  }

  close() {
    this.transport.close();
  }
}

export type CapturedMail = OutgoingMail & { id: string; at: string };

/** The mails captured by this process (all module graphs share it), newest last, at most 100. */
const box = globalThis as { nchatCapturedMail?: CapturedMail[] };
const captured = () => {
  box.nchatCapturedMail ??= [];
  return box.nchatCapturedMail;
};

/** Mail captured instead of sent, newest first (the dev mailbox). */
export const capturedMail = (): CapturedMail[] => [...captured()].reverse();

const LINK = /https?:\/\/[^\s<>"']+/g;

/**
 * Without SMTP_URL: every mail is kept in the process (the dev mailbox page reads it) and announced
 * on the log with its links, so a developer can follow them — never silently dropped. In production
 * the mailbox is refused and the log line carries no link (links hold single-use tokens): it says
 * that mail is not configured.
 */
export class CaptureMailer implements Mailer {
  private seq = 0;
  constructor(private readonly deps: { log: Logger; production: boolean }) {}

  async send(mail: OutgoingMail): Promise<SentMail> {
    const id = `captured-${process.pid}-${Date.now()}-${++this.seq}`;
    const list = captured();
    list.push({ ...mail, id, at: new Date().toISOString() });
    if (list.length > 100) list.splice(0, list.length - 100);
    if (this.deps.production)
      this.deps.log.error({ to: mail.to, subject: mail.subject }, "mail not sent: SMTP_URL is not set");
    else
      console.info(
        `mail to ${mail.to}: ${mail.subject} — ${[...new Set(mail.text.match(LINK) ?? [])].join(" ")} (dev mailbox: /dev/mailbox)`,
      );
    return { messageId: `<${id}@captured>` };
  }

  close() {}
}
