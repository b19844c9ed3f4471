import { z } from "zod";
import { CLIENT_ADDRESS_HEADER } from "../client-address";
import { tlsCertificateAllowed } from "../domains/tls-ask";
import { processLogger } from "../infra/log";
import { observeRequest } from "../infra/observe";
import { type RateLimiter, rateLimitHeaders } from "../ratelimit/limiter";
import type { RatePolicy } from "../ratelimit/policies";
import type { TenancyConfig, TenantResolver } from "../tenancy/resolver";
import { errorResponse, handle } from "./respond";

/** Caddy asks once per new name and caches certificates; far above that, something is scanning. */
export const TLS_ASK_POLICY: RatePolicy = { name: "tls-ask", limit: 600, window: "1 m" };

const domainQuery = z.string().trim().min(1).max(253);

/**
 * GET /api/tls/ask?domain=<name> — the front server's on-demand TLS hook (Caddy `on_demand_tls { ask
 * … }`): 200 when a certificate may be obtained for the name, 403 when not (the reason in the body), 400
 * without a name, 429 past TLS_ASK_POLICY per caller address. Any host may call it (the front server
 * calls the app directly); it tells no more than whether a name is served, which a TLS handshake tells
 * anyway.
 */
export function tlsAsk(
  services: { resolver: TenantResolver; tenancy: TenancyConfig; rateLimiter: RateLimiter },
  request: Request,
): Promise<Response> {
  const route = "GET /api/tls/ask";
  return observeRequest({ log: processLogger(), app: "web", request, route }, () =>
    handle(async () => {
      const caller = request.headers.get(CLIENT_ADDRESS_HEADER) || "unknown";
      const decision = await services.rateLimiter.limit(TLS_ASK_POLICY, caller);
      if (!decision.success)
        return errorResponse("RATE_LIMITED", "Too many certificate checks; try again shortly.", {
          headers: rateLimitHeaders(decision),
        });
      const parsed = domainQuery.safeParse(new URL(request.url).searchParams.get("domain") ?? "");
      if (!parsed.success) return errorResponse("VALIDATION_FAILED", "Pass the name as ?domain=.");
      const answer = await tlsCertificateAllowed(services.resolver, services.tenancy, parsed.data);
      const headers = { "cache-control": "no-store" };
      return answer.allowed
        ? Response.json({ allowed: true }, { headers })
        : Response.json({ allowed: false, reason: answer.reason }, { status: 403, headers });
    }),
  );
}
