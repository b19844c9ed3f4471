import type { AddressInfo } from "node:net";
import { createDatabase, migratePublic, roleNames, throughPooler } from "@nchat/db";
import { createScratchDatabase } from "@nchat/db/scratch";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, inject } from "vitest";
import type { Services } from "../server";
import { testServices } from "../testing";

/**
 * A database of its own (on the run's server, migrated) for a test file whose services work on the
 * queue: workers of other test files, over the run's shared database, would otherwise take its jobs
 * (and send them to their own SMTP servers). Returns the environment to pass to `testServices`.
 */
export async function ownDatabase(label: string) {
  const run = inject("testDb");
  const scratch = await createScratchDatabase(run.adminUrl, label);
  const db = createDatabase(scratch);
  try {
    await migratePublic(db);
  } finally {
    await db.close();
  }
  const env: Record<string, string> = {
    DATABASE_URL: scratch.adminUrl,
    DB_ROLE_PREFIX: scratch.rolePrefix,
    DATABASE_APP_PASSWORD: scratch.appPassword,
  };
  // The run's app role goes through a transaction pooler: this database's does too.
  if (run.appUrl)
    env.DATABASE_APP_URL = throughPooler(scratch.adminUrl, run.appUrl, {
      user: roleNames(scratch.rolePrefix).app,
      password: scratch.appPassword,
    });
  return { env, drop: () => scratch.drop() };
}

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
  /** Answers each message this much later (a slow server). */
  constructor(private readonly delayMs = 0) {}

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
          .then(async (mail) => {
            if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
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

/**
 * Services that send mail, for the test file that calls this at its top level: a test SMTP server, a
 * database of their own (see ownDatabase) and queue workers polling every half second, started before
 * the file's tests and closed after; `env` adds or overrides settings. Read `services` in hooks and
 * tests (hooks registered after this call run after its set-up).
 */
export function mailTestServices(
  label: string,
  env: Record<string, string> = {},
): { readonly services: Services; readonly smtp: TestSmtp } {
  const smtp = new TestSmtp();
  let services: Services | undefined;
  let own: Awaited<ReturnType<typeof ownDatabase>> | undefined;
  beforeAll(async () => {
    await smtp.start();
    own = await ownDatabase(label);
    services = await testServices({
      ...own.env,
      SMTP_URL: smtp.url,
      QUEUE_WORKER: "true",
      QUEUE_POLL_SECONDS: "0.5",
      ...env,
    });
  });
  afterAll(async () => {
    await services?.close();
    await smtp.stop();
    await own?.drop();
  });
  return {
    get services() {
      if (!services)
        throw new Error("mailTestServices: services are set before the tests, read them in a hook or a test");
      return services;
    },
    smtp,
  };
}
