import { AppError } from "./errors";

/**
 * Cross-site request forgery: whether a request that a browser may have sent with the user's
 * cookies came from a page of the same host. `Origin` must name this Host when present, and
 * `Sec-Fetch-Site` must not say cross-site or same-site (SameSite cookies alone do not help between
 * tenant subdomains, which are the same site). Clients that are not browsers send neither header and
 * pass: they hold their own credentials, nothing a foreign page can make a browser attach.
 */
export function isSameOrigin(headers: Headers): boolean {
  const origin = headers.get("origin");
  const fetchSite = headers.get("sec-fetch-site");
  if (fetchSite === "cross-site" || fetchSite === "same-site") return false;
  if (!origin) return true;
  try {
    return new URL(origin).host === headers.get("host");
  } catch {
    return false;
  }
}

/** FORBIDDEN (403) unless `isSameOrigin`: the rule of every write a session cookie authorizes. */
export function assertSameOrigin(
  headers: Headers,
  message = "Cross-origin requests cannot change data.",
): void {
  if (!isSameOrigin(headers)) throw new AppError("FORBIDDEN", message);
}
