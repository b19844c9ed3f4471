import { setTenantHeaders, stripTenantHeaders } from "./context";
import type { TenancyConfig, TenantResolver } from "./resolver";
import { type RouteDecision, routeRequest } from "./routing";

export type ForwardDeps = { resolver: TenantResolver; tenancy: TenancyConfig; contextKey: Buffer };

/**
 * The proxy's work for one request, independent of Next.js: resolve the tenant from the Host header,
 * decide the route, and build the headers to forward — inbound X-Tenant-* removed, the resolved
 * tenant's signed context added. The context is bound to this request's Host and expires within a
 * minute (see CONTEXT_TTL_MS): it cannot be replayed on another host or later.
 *
 * Only `Host` is trusted. X-Forwarded-Host is ignored: any client can send it. A reverse proxy in
 * front must pass the original Host (e.g. nginx `proxy_set_header Host $host`).
 */
export async function forwardRequest(
  deps: ForwardDeps,
  request: { headers: Headers; pathname: string },
  now = new Date(),
): Promise<{ decision: RouteDecision; headers: Headers }> {
  const headers = stripTenantHeaders(new Headers(request.headers));
  const resolution = await deps.resolver.resolveHost(headers.get("host"), deps.tenancy);
  const decision = routeRequest(resolution, request.pathname, now);
  if (decision.type !== "json" && decision.tenant)
    setTenantHeaders(headers, decision.tenant, deps.contextKey, { host: headers.get("host"), now });
  return { decision, headers };
}
