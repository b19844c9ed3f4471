import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import type { MasterKey } from "@nchat/db";

/**
 * A browser an account has signed in from before (OWASP's "device cookie"): the per-account sign-in
 * back-off does not apply to it, so a guesser who keeps the back-off running (one wrong password as
 * each one ends) cannot keep the real user out of their own browsers. It proves a past sign-in only,
 * never a session: the password (and second factor) are still asked for, and the per-address limit
 * still applies. Signed, bound to the account and its scope (a tenant, or the admin app); no state.
 */
export const DEVICE_COOKIE = "nchat_device";
export const ADMIN_DEVICE_COOKIE = "nchat_admin_device";
export const DEVICE_COOKIE_TTL_MS = 365 * 24 * 60 * 60 * 1000;

export function deviceKey(master: MasterKey): Buffer {
  return Buffer.from(hkdfSync("sha256", master.key, Buffer.alloc(0), "nchat device cookie v1", 32));
}

const mac = (key: Buffer, scope: string, accountId: string, nonce: string) =>
  createHmac("sha256", key).update(`${scope}\n${accountId}\n${nonce}`).digest("base64url");

/** A new device token for `accountId` in `scope` (a tenant id, or "admin"). */
export function issueDeviceToken(key: Buffer, scope: string, accountId: string): string {
  const nonce = randomBytes(12).toString("base64url");
  return `${accountId}.${nonce}.${mac(key, scope, accountId, nonce)}`;
}

/** The account a device token was issued to in `scope`, or null (absent, forged, other scope). */
export function deviceAccount(key: Buffer, scope: string, token: string | null): string | null {
  if (!token || token.length > 200) return null;
  const [accountId, nonce, sig, ...rest] = token.split(".");
  if (!accountId || !nonce || !sig || rest.length > 0) return null;
  const want = Buffer.from(mac(key, scope, accountId, nonce));
  const got = Buffer.from(sig);
  return want.length === got.length && timingSafeEqual(want, got) ? accountId : null;
}
