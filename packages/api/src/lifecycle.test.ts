import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { createLifecycle } from "./lifecycle";
import { endOnDrain } from "./realtime/drain";
import type { Services } from "./server";
import { TEST_BASE_DOMAIN, tenantWithOwner, testServices } from "./testing";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

const MASTER_KEY = Buffer.alloc(32, 7).toString("base64"); // testServices' key: sessions are valid there

const childScript = fileURLToPath(new URL("./lifecycle-child.ts", import.meta.url));
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});

/** A server process serving the real handlers, with graceful shutdown installed. */
async function serverProcess(opts: { graceMs: number; nextLikeHandler?: boolean }) {
  const db = inject("testDb");
  const redisUrl = inject("redisUrl");
  const env: Record<string, string> = {
    DATABASE_URL: db.adminUrl,
    DB_ROLE_PREFIX: db.rolePrefix,
    DATABASE_APP_PASSWORD: db.appPassword,
    DATABASE_POOL_MAX: "4",
    MASTER_ENCRYPTION_KEY: MASTER_KEY,
    NEXT_PUBLIC_BASE_DOMAIN: TEST_BASE_DOMAIN,
    ENABLE_MULTI_TENANCY: "true",
    // A server process under test for its lifecycle: it must not work the jobs other tests queue in
    // the shared database (a captured mail of theirs would print on this process's stdout).
    QUEUE_WORKER: "false",
    ...(db.appUrl
      ? { DATABASE_APP_URL: db.appUrl, DATABASE_APP_POOL_MODE: db.appPoolMode ?? "session" }
      : {}),
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
  };
  const child = spawn(process.execPath, ["--import", "tsx", childScript], {
    env: { ...process.env, LIFECYCLE_CHILD_CONFIG: JSON.stringify({ env, ...opts }) },
  });
  children.push(child);
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += String(d);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  // The first JSON line is the child's report; anything else it prints is not part of the protocol.
  let port: number | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    if (!line.startsWith("{")) continue;
    port = (JSON.parse(line) as { port: number }).port;
    break;
  }
  if (port === undefined) throw new Error(`the server process did not start: ${stderr}`);
  return { child, port, exited, stderr: () => stderr };
}

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

/** One HTTP request on a connection of its own, with the Host of our choice. */
function send(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, headers, agent: false }, (res) => {
      let body = "";
      res.on("data", (d) => {
        body += String(d);
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** An event stream: its text so far, and when it ended. */
function openStream(port: number, headers: Record<string, string>) {
  let text = "";
  const ended = new Promise<string>((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path: "/api/trpc/realtime.events",
        headers: { ...headers, accept: "text/event-stream" },
        agent: false,
      },
      (res) => {
        res.on("data", (d) => {
          text += String(d);
        });
        res.on("end", () => resolve(text));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
  return { text: () => text, ended };
}

async function until(fn: () => boolean | Promise<boolean>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function usageByEndpoint(tenantId: string): Promise<Record<string, number>> {
  const [row] = await services.db.admin`
    select api_calls_by_endpoint from public.tenant_usage
    where tenant_id = ${tenantId} and period = ${new Date().toISOString().slice(0, 7)}`;
  return (row?.api_calls_by_endpoint ?? {}) as Record<string, number>;
}

/** A signed-in browser's headers for a tenant's host. */
async function signedIn(slug: string) {
  const { tenant, client } = await tenantWithOwner(services, slug);
  const headers = {
    host: client.host,
    origin: `http://${client.host}`,
    cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
    "x-nchat-client-address": client.ip,
  };
  return { tenant, headers };
}

describe("graceful shutdown of a server process", () => {
  it("on SIGTERM: readiness 503 at once, requests in flight finish, streams end with a reconnect hint, usage is written, exit 0 within the grace period", async () => {
    const graceMs = 5_000;
    const { tenant, headers } = await signedIn(uniqueSlug("sd"));
    const server = await serverProcess({ graceMs });
    // Ready once its connections are up (a Redis Cluster client needs a moment on a busy machine).
    await until(async () => (await send(server.port, "/api/health/ready")).status === 200, 20_000);
    for (let i = 0; i < 7; i++)
      expect((await send(server.port, "/api/trpc/tenant.get", headers)).status).toBe(200);
    const stream = openStream(server.port, headers);
    await until(() => stream.text().includes('"type":"ready"'));
    const slow = send(server.port, "/slow?ms=1500");
    await new Promise((r) => setTimeout(r, 100)); // it has arrived

    const signalledAt = Date.now();
    server.child.kill("SIGTERM");
    let ready: Reply;
    do ready = await send(server.port, "/api/health/ready");
    while (ready.status === 200 && Date.now() - signalledAt < 2_000);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toEqual({ status: "draining" });
    expect(ready.headers["retry-after"]).toBeDefined();
    expect((await send(server.port, "/api/health")).status).toBe(200); // still alive
    // A request arriving while draining is still served (and counted).
    expect((await send(server.port, "/api/trpc/tenant.get", headers)).status).toBe(200);

    // The stream ends at once, between events, with a retry hint and without tRPC's `return` (after
    // which the client would not reconnect); the id it resumes from stays the ready marker's.
    const text = await stream.ended;
    expect(Date.now() - signalledAt).toBeLessThan(1_500);
    expect(text).toMatch(/\n\nretry: \d+\n\n$/);
    expect(text).not.toContain("event: return");
    expect(text).toMatch(/\nid: \d+\n/);

    expect(await slow).toMatchObject({ status: 200, body: "done" });
    const exit = await server.exited;
    expect(exit, server.stderr()).toMatchObject({ code: 0, signal: null });
    expect(exit.at - signalledAt).toBeLessThan(graceMs);
    expect((await usageByEndpoint(tenant.id))["tenant.get"]).toBe(8);
  });

  it("a stream opened while draining gets only the reconnect hint", async () => {
    const { headers } = await signedIn(uniqueSlug("sd2"));
    const server = await serverProcess({ graceMs: 5_000 });
    const slow = send(server.port, "/slow?ms=1000"); // keeps the process draining for a while
    await new Promise((r) => setTimeout(r, 100));
    server.child.kill("SIGTERM");
    await until(async () => (await send(server.port, "/api/health/ready")).status === 503);
    const text = await openStream(server.port, headers).ended;
    expect(text).toMatch(/^retry: \d+\n\n$/);
    await slow;
    expect((await server.exited).code).toBe(0);
  });

  it("requests still running when the grace period is over do not hold the exit; counts are written", async () => {
    const { tenant, headers } = await signedIn(uniqueSlug("sd3"));
    const server = await serverProcess({ graceMs: 1_000 });
    for (let i = 0; i < 3; i++) await send(server.port, "/api/trpc/tenant.get", headers);
    const stuck = send(server.port, "/slow?ms=30000").then(
      (r) => r.status,
      () => "cut",
    );
    await new Promise((r) => setTimeout(r, 100));
    const signalledAt = Date.now();
    server.child.kill("SIGTERM");
    const exit = await server.exited;
    expect(exit, server.stderr()).toMatchObject({ code: 0 });
    expect(exit.at - signalledAt).toBeGreaterThanOrEqual(1_000);
    // Not held by the stuck request (30 s): the bound leaves room for a loaded machine.
    expect(exit.at - signalledAt).toBeLessThan(20_000);
    expect(await stuck).toBe("cut");
    expect((await usageByEndpoint(tenant.id))["tenant.get"]).toBe(3);
  });

  it("a second signal exits at once", async () => {
    const server = await serverProcess({ graceMs: 20_000 });
    void send(server.port, "/slow?ms=30000").catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    server.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 1_200)); // past the window where a repeat is a duplicate
    const secondAt = Date.now();
    server.child.kill("SIGTERM");
    const exit = await server.exited;
    expect(exit.code).toBe(143);
    expect(exit.at - secondAt).toBeLessThan(1_000);
  });

  it("when next start's own handler exits early (it does once its server has closed), the exit waits for the flush", async () => {
    const { tenant, headers } = await signedIn(uniqueSlug("sd4"));
    const server = await serverProcess({ graceMs: 5_000, nextLikeHandler: true });
    for (let i = 0; i < 4; i++) await send(server.port, "/api/trpc/tenant.get", headers);
    server.child.kill("SIGTERM");
    const exit = await server.exited;
    expect(exit, server.stderr()).toMatchObject({ code: 0 });
    expect(server.stderr()).toContain("exit(143) held");
    expect((await usageByEndpoint(tenant.id))["tenant.get"]).toBe(4);
  });
});

describe("ending an event stream on drain", () => {
  const encoder = new TextEncoder();
  it("ends between two events, never inside one", async () => {
    const lifecycle = createLifecycle();
    let push!: ReadableStreamDefaultController<Uint8Array>;
    const source = new ReadableStream<Uint8Array>({
      start(c) {
        push = c;
      },
    });
    const res = endOnDrain(
      new Response(source, { headers: { "content-type": "text/event-stream" } }),
      lifecycle,
      { retryMs: () => 1234 },
    );
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const readAll = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return text;
        text += value;
      }
    })();
    push.enqueue(encoder.encode("data: 1\n"));
    push.enqueue(encoder.encode("id: 1\n"));
    push.enqueue(encoder.encode("\n\n"));
    push.enqueue(encoder.encode("data: 2\n")); // an event half written
    await new Promise((r) => setTimeout(r, 20));
    lifecycle.beginDrain();
    await new Promise((r) => setTimeout(r, 20));
    expect(text).not.toContain("retry:");
    push.enqueue(encoder.encode("id: 2\n"));
    push.enqueue(encoder.encode("\n\n"));
    expect(await readAll).toBe("data: 1\nid: 1\n\n\ndata: 2\nid: 2\n\n\nretry: 1234\n\n");
  });
});
