import { randomBytes } from "node:crypto";
import { appUrlFor } from "@nchat/db";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM } from "../audit/actor";
import { ownDatabase } from "../mail/test-kit";
import type { Services } from "../server";
import { TestClient, tenantWithOwner, testServices } from "../testing";
import { JOBS, type JobDefinition } from "./catalog";
import { JobQueue } from "./queue";
import { ScheduledJobs } from "./service";

// Its own database: the scheduler and the workers of this file's services work only its jobs.
let own: Awaited<ReturnType<typeof ownDatabase>>;
let services: Services;
let admin: TestClient;
let adminEmail: string;

const worker = { QUEUE_WORKER: "true", QUEUE_POLL_SECONDS: "0.5" };
/** Every job's schedule off (each cron variable of the catalog). */
const ALL_CRONS_OFF = Object.fromEntries(JOBS.map((j) => [j.cronVar, "off"])) as Record<
  JobDefinition["cronVar"],
  string
>;

beforeAll(async () => {
  own = await ownDatabase("jobs");
  services = await testServices({ ...own.env, ...worker, JOB_PURGE_CRON: "off" });
  adminEmail = `sa-${randomBytes(4).toString("hex")}@platform.test`;
  const password = "super-admin-password-1";
  await services.superAdmins.create({ email: adminEmail, name: "Root", password }, SYSTEM);
  admin = new TestClient(services, "localhost:3001", "admin");
  await admin.call((c) => c.adminAuth.signIn({ email: adminEmail, password }));
});
afterAll(async () => {
  await services?.close();
  await own?.drop();
});

async function waitFor<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

type RunRow = {
  id: string;
  status: string;
  trigger: string;
  attempt: number;
  summary: unknown;
  error: string | null;
  retry_of: string | null;
};
const runsOf = (s: Services, queueJobId: string) =>
  s.db.admin<RunRow[]>`
    select id, status, trigger, attempt, summary, error, retry_of from public.job_runs
    where queue_job_id = ${queueJobId} order by started_at`;

const finished = (s: Services, queueJobId: string, n = 1) =>
  waitFor(async () => {
    const rows = await runsOf(s, queueJobId);
    return rows.length >= n && rows.every((r) => r.status !== "running") ? rows : null;
  });

describe("the catalog on pg-boss's scheduler", () => {
  it("schedules each job with its cron; an 'off' job is not scheduled", async () => {
    const schedules = await services.jobs.queue.schedules();
    expect(Object.fromEntries(schedules.map((s) => [s.name, s.cron]))).toEqual({
      "billing-jobs": "5 * * * *",
      "billing-reconcile": "30 3 * * *",
      "domains-recheck": "15 */6 * * *",
      "mention-digests": "*/5 * * * *",
      "billing-notices": "20 * * * *",
    });
    const list = await admin.call((c) => c.admin.jobs.list());
    expect(list.map((j) => j.name)).toEqual(JOBS.map((j) => j.name));
    const purge = list.find((j) => j.name === "tenants-purge")!;
    expect(purge).toMatchObject({ cron: null, nextRunAt: null, configuredCron: "off" });
    const billing = list.find((j) => j.name === "billing-jobs")!;
    expect(billing.nextRunAt!.getUTCMinutes()).toBe(5);
    expect(billing.nextRunAt!.getTime()).toBeGreaterThan(Date.now());
  });

  it("keeps the run history from every role but the platform admin's", async () => {
    const denied = (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: { code?: string }) => e.code,
      );
    expect(await denied(services.db.app.unsafe("select * from public.job_runs"))).toBe("42501");
    const { tenant } = await tenantWithOwner(services, uniqueSlug("jobrls"));
    const role = tenant.dbRole;
    const probe = services.db.admin;
    const out = await probe
      .begin(async (tx) => {
        await tx.unsafe(`set local role "${role}"`);
        await tx.unsafe("select * from public.job_runs");
      })
      .then(
        () => "ok",
        (e: { code?: string }) => e.code,
      );
    expect(out).toBe("42501");
  });
});

describe("Run now from the admin app", () => {
  it("queues the job, a worker runs it, the run is recorded with its summary and the request audited", async () => {
    const { tenant } = await tenantWithOwner(services, uniqueSlug("purged"));
    await services.tenants.deleteTenant(tenant.id, SYSTEM);
    await services.db
      .admin`update public.tenants set deleted_at = now() - interval '40 days' where id = ${tenant.id}`;

    // A run older than the history's half year, forgotten after the next run.
    const [old] = await services.db.admin<{ id: string }[]>`
      insert into public.job_runs (job, trigger, status, started_at)
      values ('tenants-purge', 'schedule', 'ok', now() - interval '181 days') returning id`;

    const { queueJobId } = await admin.call((c) => c.admin.jobs.runNow({ name: "tenants-purge" }));
    const [run] = await finished(services, queueJobId);
    expect(run).toMatchObject({ status: "ok", trigger: "manual", attempt: 1 });
    expect(run!.summary).toMatchObject({ retentionDays: 30 });
    expect((run!.summary as { purged: number }).purged).toBeGreaterThanOrEqual(1);
    const left = await services.db.admin`select 1 from public.tenants where id = ${tenant.id}`;
    expect(left).toHaveLength(0);
    expect(await services.db.admin`select 1 from public.job_runs where id = ${old!.id}`).toHaveLength(0);

    const audit = await services.db.admin<{ actor_email: string; after: { queueJobId: string } }[]>`
      select actor_email, after from public.tenant_audit_logs
      where action = 'job.run_now' and resource_id = 'tenants-purge'`;
    expect(audit).toEqual([{ actor_email: adminEmail, after: { queueJobId } }]);

    const list = await admin.call((c) => c.admin.jobs.list());
    const purge = list.find((j) => j.name === "tenants-purge")!;
    expect(purge.lastRun).toMatchObject({ id: run!.id, status: "ok", requestedBy: adminEmail });
  });

  it("refuses an unknown job (VALIDATION_FAILED) and anyone but a super admin", async () => {
    await expect(
      admin.call((c) => c.admin.jobs.runNow({ name: "nope" as "tenants-purge" })),
    ).rejects.toMatchObject({ cause: { code: "VALIDATION_FAILED" } });
    const { client: owner } = await tenantWithOwner(services, uniqueSlug("notadmin"));
    await expect(owner.call((c) => c.admin.jobs.runNow({ name: "domains-recheck" }))).rejects.toMatchObject({
      cause: { code: "FORBIDDEN" },
    });
    const anon = new TestClient(services, "localhost:3001", "admin");
    await expect(anon.call((c) => c.admin.jobs.runNow({ name: "domains-recheck" }))).rejects.toMatchObject({
      cause: { code: "UNAUTHORIZED" },
    });
    const audit = await services.db.admin`
      select 1 from public.tenant_audit_logs where action = 'job.run_now' and resource_id = 'domains-recheck'`;
    expect(audit).toHaveLength(0);
  });
});

describe("two scheduling processes", () => {
  it("send a due schedule once: one run per tick, whichever process is first", async () => {
    const a = services.db.admin;
    // The tick: the current minute (UTC) of the database's clock, with time left in it.
    let [now] = await a<{ s: number; m: number; h: number }[]>`select extract(second from now())::int as s`;
    if (now!.s > 40) await new Promise((r) => setTimeout(r, (61 - now!.s) * 1000));
    [now] = await a<{ s: number; m: number; h: number }[]>`
      select extract(second from now())::int as s, extract(minute from now() at time zone 'utc')::int as m,
             extract(hour from now() at time zone 'utc')::int as h`;
    const cron = `${now!.m} ${now!.h} * * *`;
    const env = {
      ...own.env,
      ...worker,
      ...ALL_CRONS_OFF,
      JOB_DOMAINS_CRON: cron,
    };
    const one = await testServices(env, { cronCheckSeconds: 1 });
    const two = await testServices(env, { cronCheckSeconds: 1 });
    try {
      const scheduled = () => a<RunRow[]>`
        select id, status, trigger from public.job_runs where job = 'domains-recheck' and trigger = 'schedule'`;
      await waitFor(async () => (await scheduled()).some((r) => r.status === "ok"));
      // Both processes' schedulers check the due schedule again and again meanwhile.
      const cronOn = async () =>
        (await a<{ t: string }[]>`select cron_on::text as t from pgboss.version`)[0]!.t;
      const seen = new Set([await cronOn()]);
      await waitFor(async () => seen.add(await cronOn()).size >= 4);
      expect(await scheduled()).toHaveLength(1);
      const jobs = await a<{ retry_limit: number; expire_in: string }[]>`
        select retry_limit, expire_in::text from pgboss.job
        where name = 'domains-recheck' and data->>'trigger' = 'schedule'`;
      // One queue job, carrying the catalog's retry policy and expiry.
      expect(jobs).toEqual([{ retry_limit: 2, expire_in: "01:00:00" }]);
    } finally {
      await one.close();
      await two.close();
    }
  });
});

describe("a failing job", () => {
  it("records the failure, is retried by its policy, and a failed run can be retried from the admin app", async () => {
    let calls = 0;
    const base = JOBS.find((j) => j.name === "domains-recheck")!;
    const failing: JobDefinition = {
      ...base,
      retryLimit: 1,
      retryDelaySeconds: 1,
      run: async () => {
        calls++;
        if (calls === 1) throw new Error("resolver exploded");
        return { summary: { checked: calls }, errors: [] };
      },
    };
    // No other worker of this queue may take the jobs: the file's services stop working it.
    await services.close();
    services = await testServices({ ...own.env, QUEUE_WORKER: "false" });
    admin = new TestClient(services, "localhost:3001", "admin");
    await admin.call((c) => c.adminAuth.signIn({ email: adminEmail, password: "super-admin-password-1" }));
    const db = services.db;
    const queue = new JobQueue({
      url: db.config.appUrl ?? appUrlFor(db.config.adminUrl, db.roles, db.config.appPassword),
      worker: true,
      concurrency: 1,
      pollSeconds: 0.5,
      log: services.log,
    });
    const jobs = new ScheduledJobs({
      db,
      queue,
      logger: services.log,
      config: {
        schedule: false,
        crons: ALL_CRONS_OFF,
      },
      services: () => ({ ...services, retentionDays: 30 }),
      jobs: [failing],
    }).register();
    await queue.start();
    try {
      const { queueJobId } = await jobs.runNow("domains-recheck", SYSTEM);
      const runs = await finished(services, queueJobId, 2);
      expect(runs.map((r) => [r.status, r.attempt, r.error])).toEqual([
        ["failed", 1, "resolver exploded"],
        ["ok", 2, null],
      ]);

      const retried = await admin.call((c) => c.admin.jobs.retry({ runId: runs[0]!.id }));
      const [again] = await finished(services, retried.queueJobId);
      expect(again).toMatchObject({ status: "ok", trigger: "retry", retry_of: runs[0]!.id });
      const audit = await db.admin`
        select 1 from public.tenant_audit_logs where action = 'job.retry' and actor_email = ${adminEmail}`;
      expect(audit).toHaveLength(1);
      // An ok run is not retried.
      await expect(admin.call((c) => c.admin.jobs.retry({ runId: again!.id }))).rejects.toMatchObject({
        cause: { code: "CONFLICT" },
      });
    } finally {
      await queue.stop(1000);
      await jobs.close();
    }
  });
});

describe("one run of a job at a time", () => {
  it("a run started while another process runs the job is recorded skipped (the job's lock)", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    const base = JOBS.find((j) => j.name === "tenants-purge")!;
    const slow: JobDefinition = {
      ...base,
      run: async () => {
        started();
        await gate;
        return { summary: { purged: 0 }, errors: [] };
      },
    };
    // Two instances: two processes, each with its own lock connection.
    const make = () =>
      new ScheduledJobs({
        db: services.db,
        queue: services.jobs.queue,
        logger: services.log,
        config: { schedule: false, crons: ALL_CRONS_OFF },
        services: () => ({ ...services, retentionDays: 30 }),
        jobs: [slow],
      });
    const [a, b] = [make(), make()];
    try {
      const first = a.runHere("tenants-purge", "command line");
      await running;
      const second = await b.runHere("tenants-purge", "command line");
      expect(second).toMatchObject({ status: "skipped", trigger: "manual", requestedBy: "command line" });
      release();
      expect(await first).toMatchObject({ status: "ok", summary: { purged: 0 } });
      // The lock is free again.
      expect(await b.runHere("tenants-purge", "command line")).toMatchObject({ status: "ok" });
      // A run where some workspaces failed is partial, with their errors; it can be retried.
      const partial = new ScheduledJobs({
        db: services.db,
        queue: services.jobs.queue,
        logger: services.log,
        config: { schedule: false, crons: ALL_CRONS_OFF },
        services: () => ({ ...services, retentionDays: 30 }),
        jobs: [
          {
            ...slow,
            run: async () => ({ summary: { purged: 1 }, errors: [{ tenant: "acme", error: "boom" }] }),
          },
        ],
      });
      const run = await partial.runHere("tenants-purge", "command line");
      expect(run).toMatchObject({ status: "partial", errors: [{ tenant: "acme", error: "boom" }] });
      const [overview] = await partial.overview();
      expect(overview!.failures.map((f) => f.id)).toContain(run.id);
      await partial.close();
    } finally {
      release();
      await a.close();
      await b.close();
    }
  });
});
