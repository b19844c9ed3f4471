// `pnpm load [--tenants 100] [--users 3] [--duration 60] [--concurrency 32] [--processes 2]`
// Many tenants, several users each, concurrent sends and reads over loopback HTTP for a bounded time,
// spread round-robin over several app server processes (as behind a load balancer).
// Reports throughput and latency, then checks isolation: every message is in exactly its own tenant,
// none lost, none duplicated, none visible elsewhere. Exit code 1 on any error or violation.
import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { Agent, request as httpRequest } from "node:http";
import { parseArgs } from "node:util";
import { createServices, type Services, SYSTEM } from "@nchat/api";
import { loadEnv } from "@nchat/config";
import { createDatabase, migratePublic } from "@nchat/db";
import { createScratchDatabase } from "@nchat/db/scratch";
import { ms, percentile, printTable, type Row } from "../bench/lib/stats";
import { serveTrpc } from "./http-server";

type LoadUser = { cookie: string; userId: string };
type LoadTenant = { slug: string; host: string; channelId: string; users: LoadUser[]; sent: Set<string> };

export type LoadOptions = {
  tenants: number;
  users: number;
  durationS: number;
  concurrency: number;
  /** App server processes (each with its own services); 0 serves from this process. */
  processes: number;
  log?: (s: string) => void;
};

type AppServer = { port: number; close(): Promise<void> };

/** Starts one app server process and waits for its port. */
function startServerProcess(env: Record<string, string>): Promise<AppServer> {
  const child: ChildProcess = fork(new URL("./server-process.ts", import.meta.url).pathname, {
    env: { ...process.env, NCHAT_LOAD_ENV: JSON.stringify(env) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`app server process exited (${code})`)));
    child.once("message", (m: { port: number }) =>
      resolve({
        port: m.port,
        close: () =>
          new Promise<void>((done) => {
            child.removeAllListeners("exit");
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      }),
    );
  });
}

export async function runLoad(opts: LoadOptions): Promise<{ rows: Row[]; ok: boolean }> {
  const log = opts.log ?? (() => {});
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, "load");
  let services: Services | undefined;
  const servers: AppServer[] = [];
  try {
    const setup = createDatabase(scratch);
    await migratePublic(setup);
    await setup.close();
    const env: Record<string, string> = {
      NODE_ENV: "production",
      DATABASE_URL: scratch.adminUrl,
      DB_ROLE_PREFIX: scratch.rolePrefix,
      DATABASE_APP_PASSWORD: scratch.appPassword,
      MASTER_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString("base64"),
      NEXT_PUBLIC_BASE_DOMAIN: "load.test",
      ENABLE_MULTI_TENANCY: "true",
      DATABASE_POOL_MAX: "20",
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    };
    services = await createServices(loadEnv(env));
    const s = services;

    log(`creating ${opts.tenants} tenants × ${opts.users} users`);
    const tenants: LoadTenant[] = [];
    for (let i = 0; i < opts.tenants; i++) {
      const slug = `load-${i.toString().padStart(4, "0")}`;
      const { tenant, ownerId } = await s.tenants.createTenant(
        {
          name: `Load ${i}`,
          slug,
          ownerEmail: `owner@${slug}.test`,
          ownerName: "Owner",
          ownerPassword: "load-password-1",
        },
        SYSTEM,
        { plan: "custom" },
      );
      // Custom plan with request limits sized for the test: the limiter still runs on every call.
      await s.tenants.updateTenant(
        tenant.id,
        { limits: { ...tenant.limits, requestsPerMinute: 1_000_000, requestsPerHour: 10_000_000 } },
        { type: "super_admin", id: "load" },
      );
      const users: LoadUser[] = [];
      const ownerSession = await s.auth.createSession(tenant, ownerId, { ip: null, userAgent: "load" });
      users.push({ cookie: `nchat_session=${ownerSession.token}`, userId: ownerId });
      for (let u = 1; u < opts.users; u++) {
        const { token } = await s.members.invite(
          tenant,
          { type: "system" },
          { email: `u${u}@${slug}.test`, role: "member" },
        );
        const accepted = await s.members.accept(tenant, token, {
          name: `User ${u}`,
          password: "load-password-1",
        });
        users.push({ cookie: `nchat_session=${accepted.token}`, userId: accepted.session.user.id });
      }
      const [general] = await s.db.admin<{ id: string }[]>`
        select id from ${s.db.admin(tenant.schemaName)}.channels where is_default limit 1`;
      tenants.push({ slug, host: `${slug}.load.test`, channelId: general!.id, users, sent: new Set() });
    }

    if (opts.processes > 0) {
      log(`starting ${opts.processes} app server processes`);
      servers.push(
        ...(await Promise.all(Array.from({ length: opts.processes }, () => startServerProcess(env)))),
      );
    } else servers.push(await serveTrpc(s));
    const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
    let turn = 0;
    const call = (t: LoadTenant, u: LoadUser, path: string, body?: unknown) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const port = servers[turn++ % servers.length]!.port;
        const payload = body === undefined ? undefined : JSON.stringify({ json: body });
        const req = httpRequest(
          {
            host: "127.0.0.1",
            port,
            agent,
            method: payload ? "POST" : "GET",
            path: payload
              ? `/api/trpc/${path}`
              : `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: { channelId: t.channelId, limit: 20 } }))}`,
            headers: {
              host: t.host,
              cookie: u.cookie,
              origin: `http://${t.host}`,
              ...(payload
                ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
                : {}),
            },
          },
          (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (c) => (text += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on("error", reject);
        req.end(payload);
      });

    log(`running ${opts.concurrency} concurrent clients for ${opts.durationS} s`);
    const sendLatency: number[] = [];
    const readLatency: number[] = [];
    const errors = new Map<string, number>();
    const deadline = Date.now() + opts.durationS * 1000;
    let seq = 0;
    const worker = async () => {
      while (Date.now() < deadline) {
        const t = tenants[Math.floor(Math.random() * tenants.length)]!;
        const u = t.users[Math.floor(Math.random() * t.users.length)]!;
        const t0 = performance.now();
        if (Math.random() < 0.7) {
          const body = `load ${t.slug} ${seq++} ${randomUUID()}`;
          const r = await call(t, u, "chat.send", { channelId: t.channelId, body }).catch((e: Error) => ({
            status: 0,
            text: e.message,
          }));
          if (r.status === 200) {
            t.sent.add(body);
            sendLatency.push(performance.now() - t0);
          } else errors.set(`send ${r.status}`, (errors.get(`send ${r.status}`) ?? 0) + 1);
        } else {
          const r = await call(t, u, "chat.list").catch((e: Error) => ({ status: 0, text: e.message }));
          if (r.status === 200) {
            readLatency.push(performance.now() - t0);
            // Anything of another tenant in this response is an isolation failure.
            if (!r.text.includes(`load ${t.slug} `) && r.text.includes("load load-"))
              errors.set("foreign message", (errors.get("foreign message") ?? 0) + 1);
          } else errors.set(`read ${r.status}`, (errors.get(`read ${r.status}`) ?? 0) + 1);
        }
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const elapsed = (performance.now() - started) / 1000;
    agent.destroy();
    // Stopping the servers flushes their buffered usage and ends their connections.
    await Promise.all(servers.splice(0).map((x) => x.close()));

    log("verifying every message is in exactly its own tenant");
    let lost = 0;
    let duplicated = 0;
    let foreign = 0;
    for (const t of tenants) {
      const rows = await s.db.admin<{ body: string; n: number }[]>`
        select body, count(*)::int as n from ${s.db.admin(`tenant_${t.slug.replaceAll("-", "_")}`)}.messages group by body`;
      const stored = new Map(rows.map((r) => [r.body, r.n]));
      for (const body of t.sent) if (!stored.has(body)) lost++;
      for (const [body, n] of stored) {
        if (n > 1) duplicated += n - 1;
        if (!body.startsWith(`load ${t.slug} `)) foreign++;
      }
    }
    const totalErrors = [...errors.values()].reduce((a, b) => a + b, 0);
    const ok = totalErrors === 0 && lost === 0 && duplicated === 0 && foreign === 0;
    const sends = sendLatency.length;
    const reads = readLatency.length;
    const row = (op: string, xs: number[]): Row => ({
      bench: "load",
      metric: `${op} p50 / p95 / p99`,
      value: `${ms(percentile(xs, 50))} / ${ms(percentile(xs, 95))} / ${ms(percentile(xs, 99))}`,
      note: `${xs.length} requests`,
    });
    return {
      ok,
      rows: [
        {
          bench: "load",
          metric: "tenants × users",
          value: `${opts.tenants} × ${opts.users}`,
          note: `${opts.concurrency} concurrent clients, ${elapsed.toFixed(0)} s, ${opts.processes || "in-process"} app server${opts.processes === 1 ? "" : "s"}`,
        },
        {
          bench: "load",
          metric: "sends/s",
          value: (sends / elapsed).toFixed(0),
          note: "chat.send over loopback HTTP, rate limits + usage on",
        },
        {
          bench: "load",
          metric: "reads/s",
          value: (reads / elapsed).toFixed(0),
          note: "chat.list (20 messages)",
        },
        row("send", sendLatency),
        row("read", readLatency),
        {
          bench: "load",
          metric: "errors",
          value: String(totalErrors),
          note: [...errors].map(([k, v]) => `${k}: ${v}`).join(", ") || "none",
        },
        {
          bench: "load",
          metric: "lost / duplicated / foreign",
          value: `${lost} / ${duplicated} / ${foreign}`,
          note: "verified per tenant schema after the run",
        },
      ],
    };
  } finally {
    await Promise.all(servers.map((x) => x.close()));
    await services?.close();
    await scratch.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      tenants: { type: "string", default: "100" },
      users: { type: "string", default: "3" },
      duration: { type: "string", default: "60" },
      concurrency: { type: "string", default: "32" },
      processes: { type: "string", default: "2" },
    },
  });
  const { rows, ok } = await runLoad({
    tenants: Number(values.tenants),
    users: Number(values.users),
    durationS: Number(values.duration),
    concurrency: Number(values.concurrency),
    processes: Number(values.processes),
    log: (s) => console.log(`[load] ${s}`),
  });
  printTable(
    `Load test (${process.env.DATABASE_URL ? "PostgreSQL at DATABASE_URL" : "embedded PostgreSQL"}${process.env.REDIS_URL ? " + Redis" : ""})`,
    rows,
  );
  console.log(
    ok ? "\nload: OK — no errors, nothing lost, duplicated or visible elsewhere" : "\nload: FAILED",
  );
  process.exitCode = ok ? 0 : 1;
}
