import { SCHEDULED_QUEUE_NAMES } from "@nchat/db";
import { z } from "zod";
import { router, superAdminProcedure } from "../../trpc";
import { adminActor } from "./context";

const jobName = z.object({ name: z.enum(SCHEDULED_QUEUE_NAMES) });

/** The scheduled background jobs: schedules, run history, "Run now" and retries (both audited). */
export const adminJobsRouter = router({
  /** Every job: its schedule, next run, last run and recent failures. */
  list: superAdminProcedure.query(({ ctx }) => ctx.services.scheduledJobs.overview()),

  /** A job's newest runs. */
  runs: superAdminProcedure
    .input(jobName.extend({ limit: z.number().int().min(1).max(100).default(20) }))
    .query(({ ctx, input }) => ctx.services.scheduledJobs.runs.recent(input.name, input.limit)),

  /** Queues a run of the job now (worked by the next free worker of any process). */
  runNow: superAdminProcedure
    .input(jobName)
    .mutation(({ ctx, input }) => ctx.services.scheduledJobs.runNow(input.name, adminActor(ctx))),

  /** Runs the job of a failed or partial run again. */
  retry: superAdminProcedure
    .input(z.object({ runId: z.uuid() }))
    .mutation(({ ctx, input }) => ctx.services.scheduledJobs.retry(input.runId, adminActor(ctx))),
});
