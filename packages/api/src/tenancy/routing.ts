import type { ErrorCode } from "../errors";
import type { Resolution, ResolvedTenant } from "./resolver";
import { effectiveStatus, statusRefusal } from "./status-policy";

/** What the proxy does with a request, decided from the Host's resolution and the path. */
export type RouteDecision =
  /** Forward unchanged (with the tenant's signed headers when there is a tenant). */
  | { type: "continue"; tenant: ResolvedTenant | null }
  /** Serve an internal page instead (the URL in the browser stays). */
  | { type: "rewrite"; pathname: string; tenant: ResolvedTenant | null; status?: number }
  | { type: "json"; status: number; code: ErrorCode; message: string };

/** Tenant pages live under this internal prefix; it is never reachable directly. */
export const TENANT_PAGES = "/w";

/** Pages a tenant in trouble (trial over, payment due) can still reach. */
const BILLING_REACHABLE = ["/billing", "/login", "/logout"];

const isApi = (p: string) => p === "/api" || p.startsWith("/api/");
const under = (p: string, prefix: string) => p === prefix || p.startsWith(`${prefix}/`);

export function trialExpired(t: ResolvedTenant, now: Date): boolean {
  return effectiveStatus(t, now) === "trial_expired";
}

export function routeRequest(resolution: Resolution, pathname: string, now = new Date()): RouteDecision {
  const { target, tenant } = resolution;
  const api = isApi(pathname);
  if (under(pathname, TENANT_PAGES)) return notFoundPage(api);
  if (pathname === "/api/health") return { type: "continue", tenant: null };

  switch (target.kind) {
    case "invalid":
      return {
        type: "json",
        status: 400,
        code: "VALIDATION_FAILED",
        message: "The Host header is not a valid host name.",
      };
    case "base":
    case "ip":
      return { type: "continue", tenant: null };
    case "reserved":
      return api
        ? { type: "json", status: 404, code: "TENANT_NOT_FOUND", message: "No workspace at this address." }
        : { type: "rewrite", pathname: "/tenant-not-found", tenant: null, status: 404 };
  }

  if (!tenant || tenant.status === "deleted") {
    return api
      ? { type: "json", status: 404, code: "TENANT_NOT_FOUND", message: "No workspace at this address." }
      : { type: "rewrite", pathname: "/tenant-not-found", tenant: null, status: 404 };
  }
  // API routes get the tenant and decide per operation (reads while suspended, billing while past due).
  if (api) return { type: "continue", tenant };

  if (tenant.status === "suspended") {
    return { type: "rewrite", pathname: `${TENANT_PAGES}/suspended`, tenant, status: 403 };
  }
  // The status table (status-policy.ts) decides: where reads need payment, pages show Billing.
  const mustPay = statusRefusal(tenant, "read", now)?.code === "PAYMENT_REQUIRED";
  if (mustPay && !BILLING_REACHABLE.some((p) => under(pathname, p))) {
    return { type: "rewrite", pathname: `${TENANT_PAGES}/billing`, tenant, status: 402 };
  }
  return { type: "rewrite", pathname: `${TENANT_PAGES}${pathname === "/" ? "" : pathname}`, tenant };
}

function notFoundPage(api: boolean): RouteDecision {
  return api
    ? { type: "json", status: 404, code: "NOT_FOUND", message: "Not found." }
    : { type: "rewrite", pathname: "/not-found", tenant: null, status: 404 };
}
