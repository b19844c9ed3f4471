import type { Tenant } from "@nchat/db/public";
import { z } from "zod";
import { type Actor, isPlatformActor } from "../audit/actor";
import { mustEnrolTwoFactor } from "../auth/auth-service";
import { ADMIN_SESSION_COOKIE, readCookie, SESSION_COOKIE } from "../auth/cookies";
import { AppError, parseInput } from "../errors";
import { annotateRequest } from "../infra/log";
import { observeRequest } from "../infra/observe";
import { createCaller } from "../root";
import { assertSameOrigin } from "../same-origin";
import type { Services } from "../server";
import { assertStatusAllows, type StatusAction } from "../tenancy/status-policy";
import { type CreateTenantRequest, ownerUpdateInput, platformUpdateInput } from "../tenants/tenant-service";
import { workspaceView } from "../tenants/views";
import { type AppName, createContext, requestMeta } from "../trpc";
import { readJsonBody } from "./body";
import { errorResponse, handle, unwrap } from "./respond";

/**
 * The public REST contract for tenants (stable; tRPC is the app's own API):
 *   POST   /api/tenants/create   { name, slug, ownerEmail, ownerName, ownerPassword } → 201
 *   GET    /api/tenants/:id      owner of that tenant (on its host) or super admin (admin app)
 *   PUT    /api/tenants/:id      owner: name, branding, settings; super admin: also plan, status, limits, features
 *   DELETE /api/tenants/:id      soft delete
 * PUT and DELETE are authorized by a session cookie (the owner's, or a super admin's on the admin
 * app), which a browser attaches to a request any site can make: from a browser they must come from
 * the same origin, like tRPC mutations (403 FORBIDDEN otherwise; same-origin.ts).
 * Errors: { "error": { "code", "message" } } with 400/401/403/404/409.
 */

/** Logged and counted (see observeRequest). */
export const createTenantRoute = (services: Services, request: Request): Promise<Response> =>
  observeRequest({ log: services.log, app: "web", request, route: "POST /api/tenants/create" }, () =>
    createTenant(services, request),
  );

function createTenant(services: Services, request: Request): Promise<Response> {
  return handle(async () => {
    const body = await readJsonBody(request);
    const resHeaders = new Headers();
    const ctx = await createContext({ services, headers: request.headers, resHeaders, app: "web" });
    // The procedure validates the body (its input schema); the cast only passes it on.
    const result = await createCaller(ctx)
      .auth.signUp(body as CreateTenantRequest)
      .catch((e) => {
        throw unwrap(e);
      });
    return Response.json(
      { ...result.tenant, continueUrl: result.continueUrl },
      { status: 201, headers: { "cache-control": "no-store" } },
    );
  });
}

const idSchema = z.uuid();

/**
 * Who is asking about tenant `id`: the owner on the tenant's own host, or a super admin on the admin
 * app. The owner only where the tenant's status allows `action` (tenancy/status-policy.ts: reading
 * the workspace is account/billing information; changing it a write; deleting it `delete`).
 */
async function authorize(
  services: Services,
  app: AppName,
  request: Request,
  id: string,
  action: StatusAction,
): Promise<{ actor: Actor; tenant: Tenant }> {
  const meta = requestMeta(request.headers);
  const common = { ip: meta.ip ?? undefined, userAgent: meta.userAgent ?? undefined };
  if (!idSchema.safeParse(id).success) throw new AppError("TENANT_NOT_FOUND", "No such workspace.");
  if (app === "admin") {
    const session = await services.superAdmins.session(readCookie(request.headers, ADMIN_SESSION_COOKIE));
    if (!session) throw new AppError("UNAUTHORIZED", "Sign in as a platform administrator.");
    annotateRequest({ userId: session.admin.id });
    const tenant = await services.tenants.getTenantById(id);
    if (!tenant) throw new AppError("TENANT_NOT_FOUND", "No such workspace.");
    return {
      actor: { type: "super_admin", id: session.admin.id, email: session.admin.email, ...common },
      tenant,
    };
  }
  const ctx = await createContext({ services, headers: request.headers, app });
  // Another tenant's id is simply not found here: a host only ever knows its own tenant.
  if (!ctx.tenant || ctx.tenant.status === "deleted" || ctx.tenant.id !== id) {
    throw new AppError("TENANT_NOT_FOUND", "No such workspace.");
  }
  const session = await services.auth.session(ctx.tenant, readCookie(request.headers, SESSION_COOKIE));
  if (!session) throw new AppError("UNAUTHORIZED", "Sign in to continue.");
  annotateRequest({ userId: session.user.id });
  if (mustEnrolTwoFactor(session))
    throw new AppError("TWO_FACTOR_REQUIRED", "This workspace requires two-factor authentication.");
  if (session.user.role !== "owner") throw new AppError("FORBIDDEN", "Only the workspace owner can do this.");
  const tenant = await services.tenants.getTenantById(id);
  if (!tenant) throw new AppError("TENANT_NOT_FOUND", "No such workspace.");
  // The stored status (the host's resolution may be a cache lifetime old).
  assertStatusAllows(tenant, action);
  return {
    actor: { type: "user", id: session.user.id, email: session.user.email, role: "owner", ...common },
    tenant,
  };
}

async function view(services: Services, t: Tenant, actor: Actor) {
  // A workspace without a settings row (never after provisioning) shows none; anything else fails.
  const settings = await services.tenants.getSettings(t).catch((err: unknown) => {
    if (err instanceof AppError && err.code === "TENANT_NOT_FOUND") return null;
    throw err;
  });
  return {
    ...workspaceView(t),
    schemaName: t.schemaName,
    updatedAt: t.updatedAt,
    settings,
    // Billing identifiers and owner contact are for the owner and the platform only.
    owner: { id: t.ownerId, email: t.ownerEmail, name: t.ownerName },
    stripe:
      actor.type === "super_admin"
        ? { customerId: t.stripeCustomerId, subscriptionId: t.stripeSubscriptionId }
        : undefined,
    deletedAt: t.deletedAt,
  };
}

/** Logged and counted (see observeRequest). */
export const tenantByIdRoute = (services: Services, app: AppName, request: Request, id: string) =>
  observeRequest(
    { log: services.log, app, request, route: `${request.method.toUpperCase()} /api/tenants/:id` },
    () => tenantById(services, app, request, id),
  );

function tenantById(services: Services, app: AppName, request: Request, id: string): Promise<Response> {
  return handle(async () => {
    const method = request.method.toUpperCase();
    if (!["GET", "PUT", "DELETE"].includes(method)) {
      return errorResponse("VALIDATION_FAILED", "Use GET, PUT or DELETE.", { status: 405 });
    }
    // Cross-site forgery and a bad body are refused before anything is looked up.
    if (method !== "GET") assertSameOrigin(request.headers);
    const body = method === "PUT" ? await readJsonBody(request) : undefined;
    const action = method === "GET" ? "billing" : method === "PUT" ? "write" : "delete";
    const { actor, tenant } = await authorize(services, app, request, id, action);
    if (method === "GET")
      return Response.json(await view(services, tenant, actor), {
        headers: { "cache-control": "no-store" },
      });
    if (method === "PUT") {
      const patch = parseInput(isPlatformActor(actor) ? platformUpdateInput : ownerUpdateInput, body);
      const updated = await services.tenants.updateTenant(id, patch, actor);
      return Response.json(await view(services, updated, actor), {
        headers: { "cache-control": "no-store" },
      });
    }
    await services.tenants.deleteTenant(id, actor);
    return new Response(null, { status: 204 });
  });
}
