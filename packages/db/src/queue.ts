import PgBoss from "pg-boss";
import type { Sql } from "postgres";
import type { RoleNames } from "./roles";

/**
 * The job queue (pg-boss) lives in its own schema of the same database. It is installed and its
 * queues are created here, on the privileged connection, with the control-plane migrations: at run
 * time the app role only reads and writes its rows (it owns nothing and creates no table), and no
 * tenant role can reach the schema at all.
 */
export const QUEUE_SCHEMA = "pgboss";

/**
 * The scheduled jobs' queues (packages/api/src/jobs/catalog.ts): "stately" — at most one job waiting
 * and one running per queue, so a run that outlasts its interval is never overlapped by the next tick
 * (which waits, once, behind it) and a "Run now" while one waits is the one that waits.
 */
export const SCHEDULED_QUEUE_NAMES = [
  "billing-jobs",
  "billing-reconcile",
  "domains-recheck",
  "tenants-purge",
  "mention-digests",
  "billing-notices",
] as const;

/**
 * Every queue the app works on, one per kind of background work: mails to send, "forgot password"
 * requests to look up, outgoing webhooks (one job per tenant pass over its due deliveries), the
 * scheduled jobs.
 */
export const QUEUE_NAMES = ["mail", "password-reset", "webhooks", ...SCHEDULED_QUEUE_NAMES] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];
export type ScheduledQueueName = (typeof SCHEDULED_QUEUE_NAMES)[number];

/**
 * pg-boss's own queue for cron: a scheduling process's timekeeper puts each due schedule in it (one
 * per schedule and minute, whichever process gets there first) and moves it to the job's queue.
 * Created here because creating a queue is DDL, which the app role may not do.
 */
const CRON_QUEUE = "__pgboss__send-it";

/** Installs or upgrades the queue's schema, creates missing queues and grants the app role its rows. */
export async function installQueue(adminUrl: string, admin: Sql, roles: RoleNames): Promise<void> {
  const boss = new PgBoss({
    connectionString: adminUrl,
    schema: QUEUE_SCHEMA,
    max: 1,
    migrate: true,
    supervise: false,
    schedule: false,
    application_name: "nchat-migrate",
  });
  let failure: Error | undefined;
  boss.on("error", (err) => {
    failure = err;
  });
  await boss.start();
  try {
    for (const name of QUEUE_NAMES) {
      const policy = (SCHEDULED_QUEUE_NAMES as readonly string[]).includes(name) ? "stately" : "standard";
      if (!(await boss.getQueue(name))) await boss.createQueue(name, { name, policy });
    }
    if (!(await boss.getQueue(CRON_QUEUE)))
      await boss.createQueue(CRON_QUEUE, { name: CRON_QUEUE, policy: "standard" });
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
  if (failure) throw failure;
  await admin.unsafe(queueGrantsSql(roles)).simple();
}

const q = (id: string) => `"${id.replaceAll('"', '""')}"`;

/** The app role reads and writes the queue's rows; nobody else (tenant roles included) reaches them. */
export function queueGrantsSql(r: RoleNames): string {
  const s = q(QUEUE_SCHEMA);
  return `
revoke all on schema ${s} from public;
revoke execute on all functions in schema ${s} from public;
grant usage on schema ${s} to ${q(r.app)};
grant select, insert, update, delete on all tables in schema ${s} to ${q(r.app)};
grant usage, select on all sequences in schema ${s} to ${q(r.app)};
`;
}
