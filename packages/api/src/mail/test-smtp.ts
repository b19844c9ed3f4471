import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export const SMTP_USER = "mailer";
export const SMTP_PASSWORD = "smtp-test-secret";

/**
 * A real SMTP server for tests (smtp-server), keeping every message it received parsed (mailparser).
 * It can be stopped and started again on the same port, to make deliveries fail for a while.
 */
export class TestSmtp {
  readonly received: ParsedMail[] = [];
  private server: SMTPServer | null = null;
  port = 0;

  /** `smtp://user:password@127.0.0.1:port` (password authentication, no TLS). */
  get url() {
    return `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const server = new SMTPServer({
      disabledCommands: ["STARTTLS"],
      allowInsecureAuth: true,
      logger: false,
      onAuth: (auth, _session, cb) =>
        auth.username === SMTP_USER && auth.password === SMTP_PASSWORD
          ? cb(null, { user: auth.username })
          : cb(new Error("Invalid username or password")),
      onData: (stream, _session, cb) => {
        simpleParser(stream)
          .then((mail) => {
            this.received.push(mail);
            cb();
          })
          .catch((err: Error) => cb(err));
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The messages to an address so far. */
  to(address: string): ParsedMail[] {
    return this.received.filter((m) =>
      [m.to]
        .flat()
        .flatMap((a) => a?.value ?? [])
        .some((v) => v.address?.toLowerCase() === address.toLowerCase()),
    );
  }

  /** Waits for the `n`th message to an address (1 = the first). */
  async waitFor(address: string, n = 1, timeoutMs = 20_000): Promise<ParsedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.to(address);
      if (got.length >= n) return got[n - 1]!;
      if (Date.now() > deadline) throw new Error(`no mail #${n} to ${address} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** The first link in a mail's plain-text part that starts with `prefix`. */
export function linkIn(mail: ParsedMail, prefix: string): string {
  const link = (mail.text ?? "").match(/https?:\/\/\S+/g)?.find((l) => l.startsWith(prefix));
  if (!link) throw new Error(`no link to ${prefix} in: ${mail.text}`);
  return link;
}
