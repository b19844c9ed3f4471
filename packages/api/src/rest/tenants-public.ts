import { slugProblem } from "@nchat/db";
import { z } from "zod";
import { processLogger } from "../infra/log";
import { observeRequest } from "../infra/observe";
import { normalizeHost } from "../tenancy/host";
import type { ResolvedTenant, TenantResolver } from "../tenancy/resolver";
import { errorResponse, handle } from "./respond";

/** What anyone may learn about a tenant from its address. */
export type PublicTenant = Pick<ResolvedTenant, "id" | "slug" | "name" | "status" | "branding">;

export const toPublicTenant = (t: ResolvedTenant): PublicTenant => ({
  id: t.id,
  slug: t.slug,
  name: t.name,
  status: t.status,
  branding: t.branding,
});

const slugQuery = z.string().trim().toLowerCase().min(1).max(63);
const domainQuery = z.string().trim().min(1).max(260);

const notFound = () => errorResponse("TENANT_NOT_FOUND", "No workspace at this address.");

function found(t: ResolvedTenant | null): Response {
  if (!t || t.status === "deleted") return notFound();
  return Response.json(toPublicTenant(t), { headers: { "cache-control": "public, max-age=30" } });
}

/** GET /api/tenants/by-slug?slug=acme */
export function getTenantBySlug(resolver: TenantResolver, request: Request): Promise<Response> {
  const route = "GET /api/tenants/by-slug";
  return observeRequest({ log: processLogger(), app: "web", request, route }, () =>
    handle(async () => {
      const parsed = slugQuery.safeParse(new URL(request.url).searchParams.get("slug") ?? "");
      if (!parsed.success) return errorResponse("VALIDATION_FAILED", "Pass the workspace address as ?slug=.");
      // Malformed and reserved slugs never name a tenant: answered without a lookup.
      if (slugProblem(parsed.data)) return notFound();
      return found(await resolver.bySlug(parsed.data));
    }),
  );
}

/** GET /api/tenants/by-domain?domain=chat.acme.com (verified custom domains only) */
export function getTenantByDomain(resolver: TenantResolver, request: Request): Promise<Response> {
  const route = "GET /api/tenants/by-domain";
  return observeRequest({ log: processLogger(), app: "web", request, route }, () =>
    handle(async () => {
      const parsed = domainQuery.safeParse(new URL(request.url).searchParams.get("domain") ?? "");
      const host = parsed.success ? normalizeHost(parsed.data) : null;
      if (!host || host.ip) return errorResponse("VALIDATION_FAILED", "Pass a domain name as ?domain=.");
      return found(await resolver.byDomain(host.host));
    }),
  );
}
