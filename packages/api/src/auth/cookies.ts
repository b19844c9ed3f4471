import { parse, serialize } from "cookie";

/** Tenant users' session cookie: host-only (no Domain attribute), so each tenant host has its own. */
export const SESSION_COOKIE = "nchat_session";
/**
 * A sign-in waiting for its second factor (password right, code to come): a short-lived challenge,
 * not a session. Host-only like the session cookie.
 */
export const TWO_FACTOR_COOKIE = "nchat_2fa";
/** Super admins' session cookie, set by the admin app only. */
export const ADMIN_SESSION_COOKIE = "nchat_admin_session";

export function readCookie(headers: Headers, name: string): string | null {
  const raw = headers.get("cookie");
  if (!raw) return null;
  return parse(raw)[name] ?? null;
}

/** Cookies are `Secure` in production (behind TLS); development serves plain http on localhost. */
export const secureCookies = (env: { NODE_ENV?: string }): boolean => env.NODE_ENV === "production";

export function sessionCookie(name: string, token: string, expires: Date, secure: boolean): string {
  return serialize(name, token, { httpOnly: true, secure, sameSite: "lax", path: "/", expires });
}

export function clearCookie(name: string, secure: boolean): string {
  return serialize(name, "", { httpOnly: true, secure, sameSite: "lax", path: "/", expires: new Date(0) });
}
