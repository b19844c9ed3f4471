import { type Lifecycle, processLifecycle } from "./lifecycle";
import type { Services } from "./server";

/**
 * Readiness (`/api/health/ready`): may this process get traffic? `/api/health` stays liveness (the
 * process answers), which must not fail when a dependency does — or every process would be
 * restarted during a database outage.
 *
 * - draining (a shutdown signal came): 503 `{status: "draining"}` at once, nothing else checked;
 * - PostgreSQL: `select 1` on the app pool;
 * - Redis, when configured: PING.
 * Each check has a short timeout. 200 `{status: "ready", checks}`, else 503 with `Retry-After` and the
 * failed checks named (`"timeout"` or `"error"`; no error text: the body is public).
 */
export type CheckResult = "ok" | "timeout" | "error";

export type Readiness = {
  status: 200 | 503;
  body:
    | { status: "ready"; checks: Record<string, CheckResult> }
    | { status: "not_ready"; checks: Record<string, CheckResult>; failed: string[] }
    | { status: "draining" };
};

export type ReadinessOptions = {
  lifecycle?: Pick<Lifecycle, "draining">;
  /** Per check. Default 2 s. */
  timeoutMs?: number;
  log?: (msg: string, err?: unknown) => void;
};

const RETRY_AFTER_S = 5;

async function check(
  name: string,
  fn: () => Promise<unknown>,
  timeoutMs: number,
  log?: ReadinessOptions["log"],
): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    const result = await Promise.race([fn().then(() => "ok" as const), timeout]);
    if (result === "timeout") log?.(`readiness: ${name} did not answer in ${timeoutMs} ms`);
    return result;
  } catch (err) {
    log?.(`readiness: ${name} failed`, err);
    return "error";
  } finally {
    clearTimeout(timer);
  }
}

export async function readiness(
  services: Services | Promise<Services>,
  opts: ReadinessOptions = {},
): Promise<Readiness> {
  const lifecycle = opts.lifecycle ?? processLifecycle();
  if (lifecycle.draining) return { status: 503, body: { status: "draining" } };
  const timeoutMs = opts.timeoutMs ?? 2_000;
  let s: Services;
  try {
    s = await services;
  } catch (err) {
    opts.log?.("readiness: the services did not start", err);
    return {
      status: 503,
      body: { status: "not_ready", checks: { services: "error" }, failed: ["services"] },
    };
  }
  const names = ["postgres", ...(s.redis ? ["redis"] : [])];
  const results = await Promise.all([
    check("postgres", () => s.db.app`select 1`.execute(), timeoutMs, opts.log),
    ...(s.redis ? [check("redis", () => s.redis!.ping(), timeoutMs, opts.log)] : []),
  ]);
  const checks = Object.fromEntries(names.map((n, i) => [n, results[i]!])) as Record<string, CheckResult>;
  // A signal may have come while checking.
  if (lifecycle.draining) return { status: 503, body: { status: "draining" } };
  const failed = names.filter((n) => checks[n] !== "ok");
  return failed.length
    ? { status: 503, body: { status: "not_ready", checks, failed } }
    : { status: 200, body: { status: "ready", checks } };
}

/** `readiness` as the route's response. */
export async function readinessResponse(
  services: Services | Promise<Services>,
  opts: ReadinessOptions = {},
): Promise<Response> {
  const r = await readiness(services, {
    log: (msg, err) => console.warn(msg, err instanceof Error ? err.message : (err ?? "")),
    ...opts,
  });
  const headers: Record<string, string> = { "Cache-Control": "no-store" };
  if (r.status === 503) headers["Retry-After"] = String(RETRY_AFTER_S);
  return Response.json(r.body, { status: r.status, headers });
}
