import { forwardRequest } from "@nchat/api";
import { type NextRequest, NextResponse } from "next/server";
import { getServices } from "@/server/services";

/** The path as the browser sees it, for server components (sign-in redirects carry `next`). */
const PATH_HEADER = "x-nchat-path";

/**
 * Every request: resolve the tenant from the Host header, drop any client-sent X-Tenant-* header,
 * forward the signed tenant context, and route by tenant status (see routeRequest).
 */
export async function proxy(request: NextRequest) {
  const services = await getServices();
  const { decision, headers } = await forwardRequest(services, {
    headers: request.headers,
    pathname: request.nextUrl.pathname,
  });
  headers.set(PATH_HEADER, `${request.nextUrl.pathname}${request.nextUrl.search}`);
  if (decision.type === "json") {
    return NextResponse.json(
      { error: { code: decision.code, message: decision.message } },
      { status: decision.status },
    );
  }
  if (decision.type === "rewrite") {
    const url = request.nextUrl.clone();
    url.pathname = decision.pathname;
    return NextResponse.rewrite(url, { request: { headers }, status: decision.status });
  }
  return NextResponse.next({ request: { headers } });
}

export const config = {
  // Not /api/attachments: Next.js buffers a proxied request's body and cuts it at 10 MB, while plans
  // allow larger files. Those routes resolve the tenant from the Host themselves (createContext),
  // apply the status rules and rate limits, and accept no X-Tenant-* header without its signature.
  // Not /api/health (liveness) and /api/health/ready: probes come on any host (a pod's address, an
  // unknown or invalid name) and must not depend on resolving a tenant (nor on its database).
  // Not /api/metrics either: Prometheus scrapes each process by its address (bearer token). Nor
  // /api/tls/ask: the front server asks about names that are not (yet) served, on its own host.
  matcher: [
    "/((?!_next/static|_next/image|favicon.ico|robots.txt|api/attachments|api/health|api/metrics|api/tls).*)",
  ],
};
