import { createHmac, timingSafeEqual } from "node:crypto";
import type { MasterKey } from "@nchat/db";

/** What an unsubscribe link turns off (the purpose is part of what is signed). */
export type UnsubscribePurpose = "mention-emails";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The key of unsubscribe links: derived from the master key, used for nothing else. */
export const unsubscribeKey = (master: MasterKey): Buffer =>
  createHmac("sha256", master.key).update("nchat-unsubscribe").digest();

const mac = (key: Buffer, purpose: UnsubscribePurpose, tenantId: string, userId: string) =>
  createHmac("sha256", key).update(`${purpose}\0${tenantId}\0${userId.toLowerCase()}`).digest();

/**
 * The token of a person's unsubscribe link: their id and an HMAC binding it to the workspace and the
 * purpose. It never expires (mail stays in inboxes) and only ever turns a preference off.
 */
export function unsubscribeToken(key: Buffer, purpose: UnsubscribePurpose, tenantId: string, userId: string) {
  return `${userId}.${mac(key, purpose, tenantId, userId).toString("base64url")}`;
}

/** The person a token names, if it was made for this workspace and purpose; null otherwise. */
export function verifyUnsubscribe(
  key: Buffer,
  purpose: UnsubscribePurpose,
  tenantId: string,
  token: string,
): string | null {
  const [userId, sig, ...rest] = token.split(".");
  if (!userId || !sig || rest.length || !UUID.test(userId)) return null;
  const expected = mac(key, purpose, tenantId, userId);
  const given = Buffer.from(sig, "base64url");
  return given.length === expected.length && timingSafeEqual(given, expected) ? userId : null;
}
