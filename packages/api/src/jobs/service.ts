import { createHash, randomUUID } from "node:crypto";
import { appUrlFor, connect, type Database, withPlatformAdmin } from "@nchat/db";
import cronParser from "cron-parser";
import { type Actor, audit } from "../audit/actor";
import { AppError } from "../errors";
import type { Logger } from "../infra/log";
import { firstLine, JOBS, type JobDefinition, type JobDeps } from "./catalog";
import type { JobQueue, QueuedJob } from "./queue";
import { type JobData, JobRuns } from "./runs";

export type ScheduledJobsConfig = {
  /** Each job's cron (UTC) or "off", by its environment variable. */
  crons: Record<JobDefinition["cronVar"], string>;
  /** This process registers the schedules (its queue runs pg-boss's scheduler). */
  schedule: boolean;
};

/** The next tick of a cron (UTC) after `from`, or null for "off". */
export function nextTick(cron: string | null, from = new Date()): Date | null {
  if (!cron || cron === "off") return null;
  return cronParser.parseExpression(cron, { tz: "UTC", currentDate: from }).next().toDate();
}

/**
 * The scheduled background jobs: their handlers on the queue, their schedules on pg-boss's scheduler,
 * their run history, "Run now" and retries from the admin app.
 *
 * At most one run of a job at a time: the queue is "stately" (one job waiting, one running), and the
 * handler also holds a PostgreSQL advisory lock for the job while it runs (a run that outlived its
 * expiry, which pg-boss fails and retries without stopping it, keeps the next one out: that one is
 * recorded `skipped`).
 */
export class ScheduledJobs {
  readonly runs: JobRuns;
  private lockSql: ReturnType<typeof connect> | null = null;
  private readonly log: Logger;
  /** Jobs running in this process (pg-boss may hand out the next try of a job it expired meanwhile). */
  private readonly running = new Set<string>();
  readonly jobs: readonly JobDefinition[];

  constructor(
    private readonly deps: {
      db: Database;
      queue: JobQueue;
      config: ScheduledJobsConfig;
      logger: Logger;
      /** The services the handlers call (read when a job runs: the composition root builds them later). */
      services: () => JobDeps;
      /** The catalog (tests put other handlers on the same queues). */
      jobs?: readonly JobDefinition[];
    },
  ) {
    this.jobs = deps.jobs ?? JOBS;
    this.runs = new JobRuns(deps.db);
    this.log = deps.logger.child({ component: "jobs" });
    for (const job of this.jobs) {
      const cron = deps.config.crons[job.cronVar];
      if (cron !== "off") {
        try {
          nextTick(cron);
        } catch (err) {
          throw new Error(`${job.cronVar}: not a cron expression (${firstLine(err)})`);
        }
      }
    }
  }

  /** Registers the handlers (before the queue starts): one job at a time per process and queue. */
  register(): this {
    for (const job of this.jobs)
      this.deps.queue.handle<JobData>(job.name, (j) => this.execute(job, j), { concurrency: 1 });
    return this;
  }

  /** Puts the crons on pg-boss's scheduler (after the queue started); "off" removes a job's schedule. */
  async schedule(): Promise<void> {
    if (!this.deps.config.schedule) return;
    for (const job of this.jobs) {
      const cron = this.deps.config.crons[job.cronVar];
      if (cron === "off") await this.deps.queue.unschedule(job.name);
      else await this.deps.queue.schedule(job.name, cron, { trigger: "schedule" }, this.sendOptions(job));
    }
  }

  private sendOptions(job: JobDefinition) {
    return {
      retryLimit: job.retryLimit,
      retryDelay: job.retryDelaySeconds,
      retryBackoff: true,
      expireInSeconds: job.expireInSeconds,
    };
  }

  /** One run: recorded, guarded by the job's lock; a failure is recorded and thrown (pg-boss retries). */
  async execute(job: JobDefinition, j: QueuedJob<JobData>): Promise<void> {
    const data = j.data ?? {};
    const unlock = this.running.has(job.name) ? null : await this.lock(job.name);
    const runId = await this.runs.start({
      job: job.name,
      queueJobId: j.id,
      data,
      attempt: j.retryCount + 1,
    });
    if (!unlock) {
      await this.runs.finish(runId, { status: "skipped", error: "Another run of this job was still going." });
      return;
    }
    this.running.add(job.name);
    try {
      const result = await job.run(this.deps.services());
      await this.runs.finish(runId, { status: result.errors.length ? "partial" : "ok", result });
      this.log.info(
        { job: job.name, summary: result.summary, errors: result.errors.length },
        "job: run finished",
      );
    } catch (err) {
      this.log.warn({ err, job: job.name, attempt: j.retryCount + 1 }, "job: run failed");
      await this.runs.finish(runId, { status: "failed", error: firstLine(err) });
      throw err;
    } finally {
      this.running.delete(job.name);
      await unlock();
      await this.runs
        .prune(job.name)
        .catch((err) => this.log.warn({ err, job: job.name }, "job: old runs not pruned"));
    }
  }

  /** A session-level advisory lock on a connection of its own (released if the process dies). */
  private async lock(name: string): Promise<(() => Promise<void>) | null> {
    const db = this.deps.db;
    this.lockSql ??= connect(
      db.config.listenUrl ?? appUrlFor(db.config.adminUrl, db.roles, db.config.appPassword),
      { max: 1, name: "nchat-job-locks" },
    );
    const sql = this.lockSql;
    const key = createHash("sha256").update(`nchat:job:${name}`).digest().readBigInt64BE(0).toString();
    const [row] = await sql<{ ok: boolean }[]>`select pg_try_advisory_lock(${key}::bigint) as ok`;
    if (!row?.ok) return null;
    return async () => {
      await sql`select pg_advisory_unlock(${key}::bigint)`.catch(() => undefined);
    };
  }

  /** Queues a run now ("Run now" in the admin app); audited. CONFLICT when one is already waiting. */
  async runNow(name: string, actor: Actor, retryOf?: string): Promise<{ job: string; queueJobId: string }> {
    const job = this.jobs.find((j) => j.name === name);
    if (!job) throw new AppError("NOT_FOUND", "No such job.");
    const data: JobData = { trigger: retryOf ? "retry" : "manual", requestedBy: actor.email, retryOf };
    const id = await this.deps.queue.trySend(job.name, data, this.sendOptions(job));
    if (!id)
      throw new AppError("CONFLICT", "A run of this job is already waiting to start.", { job: job.name });
    await withPlatformAdmin(this.deps.db, (tx) =>
      audit(tx, null, actor, {
        action: retryOf ? "job.retry" : "job.run_now",
        resourceType: "job",
        resourceId: job.name,
        after: { queueJobId: id, ...(retryOf ? { retryOf } : {}) },
      }),
    );
    return { job: job.name, queueJobId: id };
  }

  /**
   * Runs a job in this process at once (`pnpm jobs:run`), recorded like a queued run (trigger
   * `manual`) and under the same lock: never at the same time as a queued run of the job.
   */
  async runHere(name: string, requestedBy: string) {
    const job = this.jobs.find((j) => j.name === name);
    if (!job) throw new AppError("NOT_FOUND", "No such job.");
    const id = randomUUID();
    await this.execute(job, { id, data: { trigger: "manual", requestedBy }, retryCount: 0, retryLimit: 0 });
    const [run] = await this.runs.byQueueJob(id);
    return run!;
  }

  /** Runs a failed or partial run's job again; audited. */
  async retry(runId: string, actor: Actor) {
    const run = await this.runs.get(runId);
    if (!run) throw new AppError("NOT_FOUND", "No such run.");
    if (run.status !== "failed" && run.status !== "partial")
      throw new AppError("CONFLICT", "Only a failed or partial run can be retried.");
    return this.runNow(run.job, actor, run.id);
  }

  /** Every job with its schedule (as pg-boss holds it), next tick, last run and recent failures. */
  async overview(now = new Date()) {
    const schedules = new Map(
      (await this.deps.queue.schedules().catch(() => [])).map((s) => [s.name, s.cron] as const),
    );
    const latest = await this.runs.latest(this.jobs.map((j) => j.name));
    return this.jobs.map((job) => {
      const scheduled = schedules.get(job.name) ?? null;
      const l = latest.get(job.name)!;
      return {
        name: job.name,
        title: job.title,
        description: job.description,
        configuredCron: this.deps.config.crons[job.cronVar],
        cron: scheduled,
        nextRunAt: nextTick(scheduled, now),
        retryLimit: job.retryLimit,
        lastRun: l.last ?? null,
        failures: l.failures,
      };
    });
  }

  async close(): Promise<void> {
    await this.lockSql?.end({ timeout: 5 });
    this.lockSql = null;
  }
}
