import { type Database, withPlatformAdmin } from "@nchat/db";
import { type JobRun, jobRuns } from "@nchat/db/public";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { JobResult } from "./catalog";

export type RunTrigger = "schedule" | "manual" | "retry";
export type RunStatus = "running" | "ok" | "partial" | "failed" | "skipped";

/** Days a run stays in the history. */
export const RUN_HISTORY_DAYS = 180;

/** What a queued job carries: why it runs (a scheduled tick carries `{}`: a schedule). */
export type JobData = { trigger?: RunTrigger; requestedBy?: string; retryOf?: string };

/**
 * The run history (`public.job_runs`), written and read under the platform-admin role: one row per
 * attempt, started as `running` and finished with its outcome.
 */
export class JobRuns {
  constructor(private readonly db: Database) {}

  async start(r: { job: string; queueJobId: string; data: JobData; attempt: number }): Promise<string> {
    const [row] = await withPlatformAdmin(this.db, (tx) =>
      tx
        .insert(jobRuns)
        .values({
          job: r.job,
          queueJobId: r.queueJobId,
          trigger: r.data.trigger ?? "schedule",
          requestedBy: r.data.requestedBy ?? null,
          retryOf: r.data.retryOf ?? null,
          attempt: r.attempt,
        })
        .returning({ id: jobRuns.id }),
    );
    return row!.id;
  }

  finish(id: string, outcome: { status: Exclude<RunStatus, "running">; result?: JobResult; error?: string }) {
    return withPlatformAdmin(this.db, (tx) =>
      tx
        .update(jobRuns)
        .set({
          status: outcome.status,
          finishedAt: new Date(),
          summary: outcome.result?.summary ?? null,
          errors: outcome.result?.errors.length ? outcome.result.errors : null,
          error: outcome.error ?? null,
        })
        .where(eq(jobRuns.id, id)),
    );
  }

  /** Forgets a job's runs that started more than `days` ago (the history is kept for half a year). */
  prune(job: string, days = RUN_HISTORY_DAYS) {
    return withPlatformAdmin(this.db, (tx) =>
      tx
        .delete(jobRuns)
        .where(and(eq(jobRuns.job, job), sql`${jobRuns.startedAt} < now() - make_interval(days => ${days})`)),
    );
  }

  get(id: string): Promise<JobRun | undefined> {
    return withPlatformAdmin(this.db, async (tx) => {
      const [row] = await tx.select().from(jobRuns).where(eq(jobRuns.id, id));
      return row;
    });
  }

  /** The runs of one queue job (its tries), oldest first. */
  byQueueJob(queueJobId: string): Promise<JobRun[]> {
    return withPlatformAdmin(this.db, (tx) =>
      tx.select().from(jobRuns).where(eq(jobRuns.queueJobId, queueJobId)).orderBy(jobRuns.startedAt),
    );
  }

  /** The newest runs of one job. */
  recent(job: string, limit = 20): Promise<JobRun[]> {
    return withPlatformAdmin(this.db, (tx) =>
      tx.select().from(jobRuns).where(eq(jobRuns.job, job)).orderBy(desc(jobRuns.startedAt)).limit(limit),
    );
  }

  /** Per job: its newest run, and its newest failed or partial runs (at most `failures`). */
  async latest(jobs: string[], failures = 5): Promise<Map<string, { last?: JobRun; failures: JobRun[] }>> {
    const out = new Map(
      jobs.map((j) => [j, { last: undefined as JobRun | undefined, failures: [] as JobRun[] }]),
    );
    await withPlatformAdmin(this.db, async (tx) => {
      const last = await tx
        .selectDistinctOn([jobRuns.job])
        .from(jobRuns)
        .where(inArray(jobRuns.job, jobs))
        .orderBy(jobRuns.job, desc(jobRuns.startedAt));
      for (const r of last) out.get(r.job)!.last = r;
      const failed = await tx
        .select()
        .from(jobRuns)
        .where(
          and(
            inArray(jobRuns.job, jobs),
            inArray(jobRuns.status, ["failed", "partial"]),
            sql`${jobRuns.startedAt} > now() - interval '30 days'`,
          ),
        )
        .orderBy(desc(jobRuns.startedAt))
        .limit(failures * jobs.length);
      for (const r of failed) {
        const f = out.get(r.job)!.failures;
        if (f.length < failures) f.push(r);
      }
    });
    return out;
  }
}
