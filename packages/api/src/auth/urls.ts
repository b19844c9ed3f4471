/**
 * Absolute URLs on a tenant host, built from the request's own Host (so ports and the base domain
 * follow the deployment). `https` unless the request came over plain http in development.
 */
export function tenantHostUrl(
  requestHeaders: Headers,
  baseDomain: string,
  slug: string,
  path: string,
  secure: boolean,
): string {
  const port = /:(\d+)$/.exec(requestHeaders.get("host") ?? "")?.[1];
  const proto = secure ? "https" : (requestHeaders.get("x-forwarded-proto") ?? "http");
  return `${proto}://${slug}.${baseDomain}${port && port !== "443" && port !== "80" ? `:${port}` : ""}${path}`;
}
