import type { Env } from "@nchat/config";
import { appUrlFor, type Database, type MasterKey } from "@nchat/db";
import { AccountService, type ResetRequestJob } from "../auth/account-service";
import type { AuthService } from "../auth/auth-service";
import type { Logger } from "../infra/log";
import { JobQueue } from "../jobs/queue";
import { type MailJob, MailService } from "./mail-service";
import { CaptureMailer, type Mailer, SmtpMailer } from "./mailer";

export type MailServices = { queue: JobQueue; mailer: Mailer; mail: MailService; accounts: AccountService };

/**
 * The queue, the mailer and what sends mail, from the environment: SMTP with SMTP_URL, else the
 * in-process capture (dev mailbox). The queue is started (and its workers with it, unless
 * QUEUE_WORKER=false); `stopMail` stops it gracefully.
 */
export async function startMail(deps: {
  env: Env;
  db: Database;
  masterKey: MasterKey;
  auth: AuthService;
  logger: Logger;
  /** More handlers on the same queue (the scheduled jobs), registered before it starts. */
  register?: (queue: JobQueue) => void;
  /** Seconds between the scheduler's checks (tests; pg-boss's default otherwise). */
  cronCheckSeconds?: number;
}): Promise<MailServices> {
  const { env, db, logger } = deps;
  const log = logger.child({ component: "mail" });
  const queue = new JobQueue({
    url: db.config.appUrl ?? appUrlFor(db.config.adminUrl, db.roles, db.config.appPassword),
    worker: env.QUEUE_WORKER,
    concurrency: env.QUEUE_CONCURRENCY,
    pollSeconds: env.QUEUE_POLL_SECONDS,
    schedule: env.JOBS_SCHEDULE ?? env.QUEUE_WORKER,
    cronCheckSeconds: deps.cronCheckSeconds,
    log: logger,
  });
  const mailer: Mailer = env.SMTP_URL
    ? new SmtpMailer(env.SMTP_URL)
    : new CaptureMailer({ log, production: env.NODE_ENV === "production" });
  if (!env.SMTP_URL && env.NODE_ENV === "production")
    log.error("SMTP_URL is not set: mail is captured, not sent (invitations, password resets, verification)");
  const mail = new MailService({
    db,
    queue,
    mailer,
    from: env.MAIL_FROM,
    masterKey: deps.masterKey,
    retry: { retryLimit: env.MAIL_RETRY_LIMIT, retryDelaySeconds: env.MAIL_RETRY_DELAY_SECONDS },
    log,
  });
  const accounts = new AccountService({ db, auth: deps.auth, mail, queue });
  queue
    .handle<MailJob>("mail", (job) => mail.deliver(job))
    .handle<ResetRequestJob>("password-reset", (job) => accounts.handleResetRequest(job));
  deps.register?.(queue);
  await queue.start();
  return { queue, mailer, mail, accounts };
}

/** Workers finish (or hand back) their jobs within `graceMs`; then the queue and mailer close. */
export async function stopMail(m: MailServices, graceMs: number): Promise<void> {
  await m.queue.stop(graceMs);
  m.mailer.close();
}
