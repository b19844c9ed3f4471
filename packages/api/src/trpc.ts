/**
 * tRPC in three parts: (1) the context built from a plain Request/Headers, (2) initialisation with
 * the one error mapping, (3) procedures composed by chaining middleware:
 *
 *   publicProcedure → tenantProcedure → authedProcedure → roleProcedure(min) / permissionProcedure(p)
 *   publicProcedure → superAdminProcedure
 *
 * Rate limits, resource limits, features and usage slot in with `.use(...)` on these.
 */

import type { Feature } from "@nchat/billing/plans";
import { withTenant } from "@nchat/db";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import type { ApiKeyScope } from "./api-keys/inputs";
import { mustEnrolTwoFactor, type RequestMeta, type Session } from "./auth/auth-service";
import { ADMIN_SESSION_COOKIE, readCookie, SESSION_COOKIE } from "./auth/cookies";
import { atLeast, can, type Permission, type Role } from "./auth/permissions";
import { CLIENT_ADDRESS_HEADER } from "./client-address";
import { AppError, asAppError, type ErrorCode } from "./errors";
import { annotateRequest } from "./infra/log";
import { enforceApiCallQuota } from "./limits/api-calls";
import { requireFeature } from "./limits/features";
import { type LimitedResource, resourceUsage } from "./limits/limits";
import type { OpenApiOperation } from "./openapi/meta";
import type { AdminSession } from "./platform/super-admin-service";
import { limitAll, rateLimitHeaders } from "./ratelimit/limiter";
import { anonymousChecks, memberChecks, type RatePolicy } from "./ratelimit/policies";
import { assertSameOrigin } from "./same-origin";
import type { Services } from "./server";
import { readTenantHeaders } from "./tenancy/context";
import type { ResolvedTenant } from "./tenancy/resolver";
import { assertStatusAllows, type StatusAction } from "./tenancy/status-policy";

// ─── 1. Context ──────────────────────────────────────────────────────────────────────────────────

export type AppName = "web" | "admin";

export type CreateContextOptions = {
  services: Services;
  /** The request's headers (cookies, Host, Origin, signed tenant context). */
  headers: Headers;
  /** Headers to add to the response (Set-Cookie, rate-limit headers). */
  resHeaders?: Headers;
  app: AppName;
  /** Internal callers name the tenant directly; requests get it from the proxy or the Host. */
  tenant?: ResolvedTenant | null;
};

export async function createContext(opts: CreateContextOptions) {
  const { services, headers } = opts;
  let tenant = opts.tenant;
  if (tenant === undefined && opts.app === "web") {
    tenant =
      readTenantHeaders(headers, services.contextKey) ??
      (await services.resolver.resolveHost(headers.get("host"), services.tenancy)).tenant;
  }
  // The request's log line and the lines written while serving it carry the tenant.
  annotateRequest({ tenantId: tenant?.id });
  return {
    services,
    headers,
    resHeaders: opts.resHeaders ?? new Headers(),
    app: opts.app,
    tenant: tenant ?? null,
    meta: requestMeta(headers),
    /** Rate-limit decisions of this HTTP request by caller: a tRPC batch is one request. */
    rateDecisions: new Map<string, Promise<void>>(),
  };
}

export type Context = Awaited<ReturnType<typeof createContext>>;

/**
 * The client address: what the app server (`serveNext`) read from the socket, through TRUST_PROXY's
 * proxies only. X-Forwarded-For and X-Real-IP are the client's to write and are not read.
 */
export function requestMeta(headers: Headers): RequestMeta {
  return { ip: headers.get(CLIENT_ADDRESS_HEADER) || null, userAgent: headers.get("user-agent") };
}

// ─── 2. Initialisation and the one error mapping ───────────────────────────────────────────────────

export type ProcedureMeta = {
  /**
   * What the call is in the status table (tenancy/status-policy.ts). Default: `read` for queries
   * and subscriptions, `write` for mutations.
   */
  access?: StatusAction;
  /**
   * `false` for lightweight signals (typing, read markers) that a chat client sends many times a
   * minute: they are not counted against the tenant's request rate limit.
   */
  rateLimit?: false;
  /**
   * `"enrolment"`: open to a user who must still set up two-factor authentication (the workspace
   * requires it). Every other signed-in procedure refuses them with TWO_FACTOR_REQUIRED.
   */
  twoFactor?: "enrolment";
  /** The procedure's operation in the public REST API (`/api/v1`, openapi/); absent: not exposed. */
  openapi?: OpenApiOperation;
};

const TRPC_CODE: Record<ErrorCode, TRPCError["code"]> = {
  VALIDATION_FAILED: "BAD_REQUEST",
  SLUG_INVALID: "BAD_REQUEST",
  SLUG_RESERVED: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  PAYMENT_REQUIRED: "PAYMENT_REQUIRED",
  FORBIDDEN: "FORBIDDEN",
  FEATURE_NOT_IN_PLAN: "FORBIDDEN",
  TENANT_SUSPENDED: "FORBIDDEN",
  TWO_FACTOR_REQUIRED: "FORBIDDEN",
  LIMIT_EXCEEDED: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  TENANT_NOT_FOUND: "NOT_FOUND",
  SLUG_TAKEN: "CONFLICT",
  CONFLICT: "CONFLICT",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  INTERNAL: "INTERNAL_SERVER_ERROR",
  UNAVAILABLE: "SERVICE_UNAVAILABLE",
};

const DEFAULT_APP_CODE: Partial<Record<TRPCError["code"], ErrorCode>> = {
  BAD_REQUEST: "VALIDATION_FAILED",
  PARSE_ERROR: "VALIDATION_FAILED",
  UNAUTHORIZED: "UNAUTHORIZED",
  PAYMENT_REQUIRED: "PAYMENT_REQUIRED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  TOO_MANY_REQUESTS: "RATE_LIMITED",
  SERVICE_UNAVAILABLE: "UNAVAILABLE",
};

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    transformer: superjson,
    // Subscriptions over server-sent events: a comment every 15 s keeps idle streams open through
    // proxies and lets the client notice a dead connection.
    sse: { ping: { enabled: true, intervalMs: 15_000 } },
    errorFormatter({ shape, error }) {
      // A ZodError (an `.input()` the procedure refused) becomes VALIDATION_FAILED here too.
      const app = asAppError(error.cause);
      const internal = error.code === "INTERNAL_SERVER_ERROR" && !app;
      const fields =
        app?.code === "VALIDATION_FAILED"
          ? (app.details as { fields?: unknown } | undefined)?.fields
          : undefined;
      return {
        message: internal ? "Something went wrong. Please try again." : (app?.message ?? shape.message),
        code: shape.code,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          appCode: app?.code ?? DEFAULT_APP_CODE[error.code] ?? "INTERNAL",
          ...(app?.details ? { details: app.details } : {}),
          ...(fields ? { fields } : {}),
        },
      };
    },
  });

/** Typed AppErrors become TRPCErrors with the matching HTTP status (the cause keeps the app code). */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  const cause = result.ok ? null : asAppError(result.error.cause);
  if (cause) {
    throw new TRPCError({ code: TRPC_CODE[cause.code], message: cause.message, cause });
  }
  return result;
});

/** Cross-site request forgery: a mutation from a browser must come from the same host (same-origin.ts). */
const sameOrigin = t.middleware(({ ctx, type, next }) => {
  if (type === "mutation") assertSameOrigin(ctx.headers);
  return next();
});

export const router = t.router;
export const mergeRouters = t.mergeRouters;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

// ─── 3. Procedures ───────────────────────────────────────────────────────────────────────────────

export const publicProcedure = t.procedure.use(mapErrors).use(sameOrigin);

/** Throws RATE_LIMITED (429, Retry-After) when any policy refuses; sets RateLimit-* headers either way. */
export async function enforceRateLimit(
  ctx: Pick<Context, "services" | "resHeaders">,
  checks: [RatePolicy, string][],
) {
  const decision = await limitAll(ctx.services.rateLimiter, checks);
  for (const [k, v] of Object.entries(rateLimitHeaders(decision))) ctx.resHeaders.set(k, v);
  if (!decision.success) {
    const retryAfter = Math.max(1, Math.ceil((decision.reset - Date.now()) / 1000));
    throw new AppError("RATE_LIMITED", `Too many requests. Try again in ${retryAfter} s.`, { retryAfter });
  }
}

/** A tenant host: the tenant exists and its status allows the call (the table in status-policy.ts). */
const onTenantHost = publicProcedure.use(({ ctx, type, meta, next }) => {
  const tenant = ctx.tenant;
  assertStatusAllows(tenant, meta?.access ?? (type === "mutation" ? "write" : "read"));
  if (!tenant) throw new AppError("TENANT_NOT_FOUND", "No workspace at this address.");
  return next({ ctx: { tenant } });
});

/**
 * Request rate limits (policies.ts). Anonymous calls spend their client address's own budget on
 * this tenant's host, never the tenant's quota, so no one can lock the members out. Signed-in
 * users (and API keys) spend their per-user share, then the tenant's per-minute and per-hour quota.
 */
async function limitRequest(
  ctx: Pick<Context, "services" | "resHeaders" | "meta" | "rateDecisions"> & { tenant: ResolvedTenant },
  userId: string | null,
) {
  // One decision per HTTP request and caller: the calls of a batch (a page asks for several things
  // at once) share it, as they share the request.
  const key = userId ?? "anonymous";
  let decision = ctx.rateDecisions.get(key);
  if (!decision) {
    decision = enforceRateLimit(
      ctx,
      userId ? memberChecks(ctx.tenant, userId) : anonymousChecks(ctx.tenant.id, ctx.meta.ip),
    );
    ctx.rateDecisions.set(key, decision);
  }
  await decision;
}

/**
 * Any caller on a tenant host (sign-in page, public info). Counted as the signed-in user when the
 * session cookie is valid, as the client address otherwise.
 */
export const tenantProcedure = onTenantHost.use(async ({ ctx, meta, next }) => {
  if (meta?.rateLimit === false) return next();
  const cookie = readCookie(ctx.headers, SESSION_COOKIE);
  const session = cookie ? await ctx.services.auth.session(ctx.tenant, cookie) : null;
  await limitRequest(ctx, session?.user.id ?? null);
  return next();
});

/**
 * Counts the call in usage (per endpoint; API-key calls also in the monthly API-call total) and the
 * user as active this month. Buffered in memory: no database write per request.
 */
const trackUsage = t.middleware(async ({ ctx, path, next }) => {
  const c = ctx as Context & { tenant: ResolvedTenant; user: Session["user"]; apiKey: { id: string } | null };
  const usage = ctx.services.usage;
  if (c.apiKey) {
    await enforceApiCallQuota(ctx.services, c.tenant);
    usage.record(c.tenant, { apiCallsTotal: 1 }, path);
  } else {
    usage.record(c.tenant, {}, path);
    if (!c.user.isService) void usage.activeUser(c.tenant, c.user.id);
  }
  return next();
});

/**
 * A signed-in user of THIS tenant (the session is looked up in the tenant's own schema). A call
 * whose credentials fail spends the client address's anonymous budget (guessing keys or cookies is
 * bounded per address and never touches the tenant's quota); one that passes spends the user's.
 */
export const authedProcedure = onTenantHost
  .use(async ({ ctx, meta, next }) => {
    const result = await next();
    if (!result.ok && meta?.rateLimit !== false && asAppError(result.error.cause)?.code === "UNAUTHORIZED")
      await limitRequest(ctx, null);
    return result;
  })
  .use(async ({ ctx, type, next }) => {
    // `Authorization: Bearer nck_…` is an API key of this tenant (looked up in its own schema); it
    // replaces the cookie. `apiKey` tells key traffic from browser sessions (null) to later middleware.
    const bearer = /^bearer\s+(nck_.*)$/i.exec(ctx.headers.get("authorization") ?? "")?.[1]?.trim();
    let session: Session | null;
    let apiKey: { id: string; scope: ApiKeyScope } | null = null;
    if (bearer) {
      // Keys outlive plans: a tenant downgraded to a plan without API access keeps its keys, unusable.
      requireFeature(ctx.tenant.features, "apiAccess");
      const key = await ctx.services.apiKeys.authenticate(ctx.tenant, bearer);
      if (!key) throw new AppError("UNAUTHORIZED", "Invalid API key.");
      if (key.scope === "read" && type === "mutation")
        throw new AppError("FORBIDDEN", "This API key is read-only.");
      apiKey = { id: key.apiKeyId, scope: key.scope };
      session = { id: key.apiKeyId, user: key.user, expiresAt: new Date("9999-12-31T23:59:59.999Z") };
    } else {
      session = await ctx.services.auth.session(ctx.tenant, readCookie(ctx.headers, SESSION_COOKIE));
      if (!session) throw new AppError("UNAUTHORIZED", "Sign in to continue.");
    }
    annotateRequest({ userId: session.user.id });
    return next({ ctx: { session, user: session.user, apiKey } });
  })
  .use(async ({ ctx, meta, next }) => {
    if (meta?.rateLimit !== false) await limitRequest(ctx, ctx.user.id);
    return next();
  })
  .use(({ ctx, meta, next }) => {
    // A workspace that requires a second factor: members without one may only set it up (API keys
    // carry no such flags and are unaffected).
    if (meta?.twoFactor !== "enrolment" && mustEnrolTwoFactor(ctx.session))
      throw new AppError(
        "TWO_FACTOR_REQUIRED",
        "This workspace requires two-factor authentication. Set it up to continue.",
      );
    return next();
  })
  .use(trackUsage);

/** A signed-in user with at least this role. */
export const roleProcedure = (min: Role) =>
  authedProcedure.use(({ ctx, next }) => {
    if (!atLeast(ctx.user.role, min))
      throw new AppError("FORBIDDEN", "You do not have permission to do this.");
    return next();
  });

/** A signed-in user whose role grants this permission (see PERMISSIONS). */
export const permissionProcedure = (permission: Permission) =>
  authedProcedure.use(({ ctx, next }) => {
    if (!can(ctx.user.role, permission))
      throw new AppError("FORBIDDEN", "You do not have permission to do this.");
    return next();
  });

/** `.use(feature("threads"))`: FEATURE_NOT_IN_PLAN unless the tenant's plan includes it. */
export const feature = (name: Feature) =>
  t.middleware(({ ctx, next }) => {
    if (!ctx.tenant) throw new AppError("TENANT_NOT_FOUND", "No workspace at this address.");
    requireFeature(ctx.tenant.features, name);
    return next();
  });

/**
 * `.use(limit("channels"))`: refuses early when the resource is already at its limit (no lock; for
 * a fast, clear error). The exact check under concurrency is `assertWithinLimit` inside the
 * transaction that creates the resource.
 */
export const limit = (resource: LimitedResource) =>
  t.middleware(async ({ ctx, next }) => {
    const tenant = ctx.tenant;
    if (!tenant) throw new AppError("TENANT_NOT_FOUND", "No workspace at this address.");
    const u = await withTenant(ctx.services.db, tenant, ({ db }) => resourceUsage(db, tenant, resource));
    if (u.limit >= 0 && u.used >= u.limit) {
      throw new AppError("LIMIT_EXCEEDED", `Your plan's ${resource.replace("_", " ")} limit is reached.`, {
        resource,
        used: u.used,
        limit: u.limit,
      });
    }
    return next();
  });

/** A super admin signed in on the admin app. Tenant sessions never qualify. */
export const superAdminProcedure = publicProcedure.use(async ({ ctx, next }) => {
  if (ctx.app !== "admin")
    throw new AppError("FORBIDDEN", "Platform administration happens in the admin app.");
  const session: AdminSession | null = await ctx.services.superAdmins.session(
    readCookie(ctx.headers, ADMIN_SESSION_COOKIE),
  );
  if (!session) throw new AppError("UNAUTHORIZED", "Sign in as a platform administrator.");
  annotateRequest({ userId: session.admin.id });
  return next({ ctx: { adminSession: session, admin: session.admin } });
});
