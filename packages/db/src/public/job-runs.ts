import { index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * The run history of the scheduled background jobs (billing, reconcile, domain re-verification,
 * purge after retention): one row per attempt — who or what started it, when it started and ended,
 * its outcome and summary. A platform table: only the platform-admin role reads or writes it.
 */
export const jobRuns = pgTable(
  "job_runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** The job's name in the catalog (also its queue's name). */
    job: text("job").notNull(),
    /** The queue's job id (one per schedule tick or request; its retries share it). */
    queueJobId: text("queue_job_id"),
    /** schedule, manual ("Run now"), retry (of a failed run, from the admin app). */
    trigger: text("trigger").notNull(),
    /** The super admin who asked for a manual run or a retry. */
    requestedBy: text("requested_by"),
    /** The run a retry repeats. */
    retryOf: uuid("retry_of"),
    /** 1 for the first try, then one more per automatic retry of the same queue job. */
    attempt: integer("attempt").notNull().default(1),
    /** running, ok, partial (some tenants failed), failed, skipped (another run was still going). */
    status: text("status").notNull().default("running"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    /** Counts of what the run did (per job: tenants changed, domains checked, …). */
    summary: jsonb("summary").$type<Record<string, number | string | null>>(),
    /** Per-tenant failures of a partial run. */
    errors: jsonb("errors").$type<{ tenant: string; error: string }[]>(),
    /** Why a failed run failed (first line of the error). */
    error: text("error"),
  },
  (t) => [
    index("job_runs_job_started_idx").on(t.job, t.startedAt),
    index("job_runs_status_started_idx").on(t.status, t.startedAt),
  ],
);

export type JobRun = typeof jobRuns.$inferSelect;
