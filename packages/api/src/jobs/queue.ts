import { QUEUE_SCHEMA, type QueueName } from "@nchat/db";
import PgBoss from "pg-boss";
import { AppError } from "../errors";
import { componentLog, type Logger, throttle } from "../infra/log";

/** One job as a handler gets it: its data and where it stands among its tries. */
export type QueuedJob<T> = { id: string; data: T; retryCount: number; retryLimit: number };
export type JobHandler<T> = (job: QueuedJob<T>) => Promise<void>;
export type RetryPolicy = { retryLimit: number; retryDelaySeconds: number };

export type JobQueueConfig = {
  /** The app role's connection (a transaction pooler is fine: see README, Mail and background jobs). */
  url: string;
  /** Work on jobs in this process (else only queue them). */
  worker: boolean;
  /** Jobs worked at once (per queue) in this process. */
  concurrency: number;
  /** How often an idle worker looks for jobs. */
  pollSeconds: number;
  /**
   * Run pg-boss's scheduler in this process (cron, `schedule`): every scheduling process checks the
   * schedules, and pg-boss sends each due one once per tick whichever process gets there (jobs/README).
   */
  schedule?: boolean;
  /** Seconds between the scheduler's checks of the schedules (pg-boss's default 30; tests use less). */
  cronCheckSeconds?: number;
  log: Logger;
};

/** How one queue is worked (default: QUEUE_CONCURRENCY jobs at once per process). */
export type WorkOptions = { concurrency?: number };

/**
 * The background job queue: pg-boss over the app role's connection. pg-boss polls (no LISTEN), keeps
 * no session state and runs its maintenance as single transactions (`BEGIN; … COMMIT` in one
 * message), so it works through PgBouncer in transaction mode. Its schema and queues are installed
 * by the migrations (`installQueue`): here it only checks the version (`migrate: false`).
 *
 * Jobs are tried again on failure with exponential back-off (retryDelay · 2^n, pg-boss's jitter). On
 * `stop` the workers take no new job, the ones running get `graceMs` to finish, and those still
 * running then are failed back to the queue (retried later, by any process).
 */
export class JobQueue {
  private readonly boss: PgBoss;
  private readonly handlers = new Map<QueueName, { handler: JobHandler<unknown>; work: WorkOptions }>();
  private started = false;
  private readonly log: Logger;

  constructor(private readonly config: JobQueueConfig) {
    this.log = config.log.child({ component: "queue" });
    this.boss = new PgBoss({
      connectionString: config.url,
      schema: QUEUE_SCHEMA,
      max: 3,
      application_name: "nchat-queue",
      // Handed to node-postgres's pool (pg-boss passes its options on): never wait forever for a
      // connection while PostgreSQL is unreachable.
      ...({ connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 } as object),
      migrate: false,
      // Expiry, archiving and deletion of old jobs; every process may run it (pg-boss takes turns).
      supervise: config.worker,
      schedule: config.schedule ?? false,
      ...(config.cronCheckSeconds
        ? {
            cronMonitorIntervalSeconds: config.cronCheckSeconds,
            cronWorkerIntervalSeconds: config.cronCheckSeconds,
          }
        : {}),
    });
    // While PostgreSQL is down every poll fails: at most one line per 10 s, with how many (the
    // other components' rule for a dependency that is down).
    const warn = throttle(componentLog(config.log, "queue"));
    this.boss.on("error", (err) => warn("queue: pg-boss error", err));
  }

  /** Registers the handler of a queue (before `start`). */
  handle<T>(name: QueueName, handler: JobHandler<T>, work: WorkOptions = {}): this {
    this.handlers.set(name, { handler: handler as JobHandler<unknown>, work });
    return this;
  }

  async start(): Promise<this> {
    await this.boss.start();
    this.started = true;
    if (!this.config.worker) return this;
    for (const [name, { handler, work }] of this.handlers) {
      for (let i = 0; i < (work.concurrency ?? this.config.concurrency); i++) {
        await this.boss.work<unknown>(
          name,
          { batchSize: 1, pollingIntervalSeconds: this.config.pollSeconds, includeMetadata: true },
          async (jobs) => {
            for (const job of jobs)
              await handler({
                id: job.id,
                data: job.data,
                retryCount: job.retryCount,
                retryLimit: job.retryLimit,
              });
          },
        );
      }
    }
    return this;
  }

  /** Queues a job; its id may be given (e.g. recorded in a log row before). */
  async send(name: QueueName, data: object, retry: RetryPolicy, id?: string): Promise<string> {
    let jobId: string | null;
    try {
      jobId = await this.boss.send(name, data, {
        ...(id ? { id } : {}),
        retryLimit: retry.retryLimit,
        retryDelay: retry.retryDelaySeconds,
        retryBackoff: true,
        expireInSeconds: 15 * 60,
      });
    } catch (err) {
      this.log.warn({ err, queue: name }, "queue: job not queued");
      throw new AppError("UNAVAILABLE", "The request could not be queued. Try again in a moment.", {
        retryAfterSeconds: 1,
      });
    }
    if (!jobId) throw new Error(`queue ${name}: job not created`);
    return jobId;
  }

  /**
   * Queues a job with pg-boss's options as they are; null when the queue's policy refused it (a
   * "stately" queue that already has a job waiting).
   */
  async trySend(name: QueueName, data: object, options: PgBoss.SendOptions): Promise<string | null> {
    try {
      return await this.boss.send(name, data, options);
    } catch (err) {
      this.log.warn({ err, queue: name }, "queue: job not queued");
      throw new AppError("UNAVAILABLE", "The request could not be queued. Try again in a moment.", {
        retryAfterSeconds: 1,
      });
    }
  }

  /** Sends `data` to the queue at every tick of `cron` (UTC), from whichever scheduling process is first. */
  async schedule(
    name: QueueName,
    cron: string,
    data: object,
    options: PgBoss.ScheduleOptions,
  ): Promise<void> {
    await this.boss.schedule(name, cron, data, { ...options, tz: "UTC" });
  }

  async unschedule(name: QueueName): Promise<void> {
    await this.boss.unschedule(name);
  }

  /** The schedules as stored (every process may read them, scheduling or not). */
  async schedules(): Promise<{ name: string; cron: string }[]> {
    return (await this.boss.getSchedules()).map((s) => ({ name: s.name, cron: s.cron }));
  }

  /** One job as pg-boss keeps it (until its retention ends), or null. */
  async job(name: QueueName, id: string): Promise<{ state: string; retryCount: number } | null> {
    const j = await this.boss.getJobById(name, id);
    return j ? { state: j.state, retryCount: j.retryCount } : null;
  }

  /** Jobs of a queue by state (tests and checks). */
  async size(name: QueueName): Promise<number> {
    return this.boss.getQueueSize(name);
  }

  /** Stops taking jobs, lets running ones finish within `graceMs`, fails the rest back, closes. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, wait: true, timeout: Math.max(1000, graceMs), close: true });
  }
}
