import { randomInt } from "node:crypto";
import { type Database, open, type TenantRef, type TenantTx, withTenant } from "@nchat/db";
import { and, eq, isNotNull, isNull, sql } from "drizzle-orm";
import { Secret, TOTP } from "otpauth";
import type { TenantKeyring } from "../attachments/keys";
import { signInBackoff } from "../auth/sign-in-backoff";
import { hashToken } from "../auth/tokens";
import { AppError } from "../errors";

/**
 * A second factor's codes as stored and checked: TOTP (the sealed secret, the last accepted time
 * step) and single-use recovery codes (SHA-256 hashes), under the account's code back-off.
 */

/** RFC 6238 as authenticator apps expect it: SHA-1, 6 digits, 30 s steps; one step either side. */
export const TOTP_PARAMS = { algorithm: "SHA1", digits: 6, period: 30 } as const;
const WINDOW = 1;
export const RECOVERY_CODE_COUNT = 10;
/** A pending sign-in (auth-service's CHALLENGE_TTL_MS) allows this many codes (the account's code back-off applies to each as well). */
export const CHALLENGE_MAX_ATTEMPTS = 5;
/** Recovery codes: 10 characters of an alphabet without look-alikes (~49 bits), shown as xxxxx-xxxxx. */
const RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";

export type CodeCheck =
  | { ok: true; via: "totp" | "recovery" }
  | { ok: false; reason: "wrong" | "not_enabled" }
  | { ok: false; reason: "blocked"; wait: number };

/** What checking a code needs: the database and the keyring that opens the sealed secret. */
export type CodeDeps = { db: Database; keyring: TenantKeyring };

/** What binds a sealed TOTP secret to its tenant and user. */
export const secretAad = (tenantId: string, userId: string) =>
  Buffer.from(`nchat:totp:${tenantId}:${userId}`);

export const normalizeCode = (code: string) => code.toLowerCase().replace(/[\s-]/g, "");

export function newRecoveryCode(): string {
  let s = "";
  for (let i = 0; i < 10; i++) s += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
  return `${s.slice(0, 5)}-${s.slice(5)}`;
}

/** Removes a user's second factor: secret, recovery codes and code back-off (turned off or reset). */
export async function clearSecondFactor(
  { db, t }: Pick<TenantTx, "db" | "t">,
  userId: string,
): Promise<void> {
  await db
    .update(t.users)
    .set({
      totpSecret: null,
      totpEnabledAt: null,
      totpLastStep: null,
      twoFactorFailures: 0,
      twoFactorBlockedUntil: null,
      updatedAt: new Date(),
    })
    .where(eq(t.users.id, userId));
  await db.delete(t.recoveryCodes).where(eq(t.recoveryCodes.userId, userId));
}

const WRONG_CODE = "That code is not right. Try the current one.";

/** A wrong code at sign-in: the caller is not signed in (401). */
export const wrongCode = () => new AppError("UNAUTHORIZED", WRONG_CODE);

/**
 * A wrong code in a form of a signed-in person (confirm, turn off, new recovery codes): a field error,
 * never 401 — the app takes any UNAUTHORIZED for "your session ended" and signs the person out.
 */
export const wrongCodeField = () =>
  new AppError("VALIDATION_FAILED", WRONG_CODE, { fields: [{ path: "code", message: WRONG_CODE }] });

/**
 * Checks a code of an enabled second factor under the account's code back-off: the attempt is
 * claimed first (refused, uncounted, while a back-off runs), a wrong code counts, a right one
 * clears it. A TOTP code is accepted only for a time step after the last accepted one (no replay);
 * a recovery code only once. All in one transaction, so concurrent uses of one code succeed once.
 */
export async function checkCode(
  deps: CodeDeps,
  tenant: TenantRef,
  userId: string,
  rawCode: string,
): Promise<CodeCheck> {
  const code = normalizeCode(rawCode);
  return withTenant(deps.db, tenant, async (tx): Promise<CodeCheck> => {
    const { db, t } = tx;
    const enrolled = and(eq(t.users.id, userId), isNotNull(t.users.totpEnabledAt));
    const [u] = await db
      .update(t.users)
      .set({ twoFactorBlockedUntil: signInBackoff.claim(t.users.twoFactorFailures) })
      .where(and(enrolled, signInBackoff.open(t.users.twoFactorBlockedUntil)))
      .returning({ secret: t.users.totpSecret, lastStep: t.users.totpLastStep });
    if (!u) {
      const [b] = await db
        .select({ wait: signInBackoff.secondsLeft(t.users.twoFactorBlockedUntil) })
        .from(t.users)
        .where(enrolled);
      return b ? { ok: false, reason: "blocked", wait: b.wait } : { ok: false, reason: "not_enabled" };
    }
    let via: "totp" | "recovery" | null = null;
    if (/^\d{6}$/.test(code) && u.secret) {
      const step = await matchTotp(deps.keyring, tx, userId, u.secret, code, u.lastStep);
      if (step !== null) {
        await db.update(t.users).set({ totpLastStep: step }).where(eq(t.users.id, userId));
        via = "totp";
      }
    } else if (/^[a-z0-9]{10}$/.test(code)) {
      const [used] = await db
        .update(t.recoveryCodes)
        .set({ usedAt: new Date() })
        .where(
          and(
            eq(t.recoveryCodes.userId, userId),
            eq(t.recoveryCodes.codeHash, hashToken(code)),
            isNull(t.recoveryCodes.usedAt),
          ),
        )
        .returning({ id: t.recoveryCodes.id });
      if (used) via = "recovery";
    }
    await db
      .update(t.users)
      .set(
        via
          ? { twoFactorFailures: 0, twoFactorBlockedUntil: null }
          : { twoFactorFailures: sql`${t.users.twoFactorFailures} + 1` },
      )
      .where(eq(t.users.id, userId));
    return via ? { ok: true, via } : { ok: false, reason: "wrong" };
  });
}

/** A failed check as the error the caller answers (`wrong`: the error of a wrong code). */
export function assertCheck(check: CodeCheck, wrong: () => AppError = wrongCode): void {
  if (check.ok) return;
  if (check.reason === "blocked") {
    const retryAfter = Math.max(1, check.wait);
    throw new AppError(
      "RATE_LIMITED",
      `Too many wrong codes for this account. Try again in ${retryAfter} s.`,
      { retryAfter },
    );
  }
  if (check.reason === "not_enabled")
    throw new AppError("VALIDATION_FAILED", "Two-factor authentication is not on for this account.");
  throw wrong();
}

/** The time step a 6-digit code stands for (now ± one step), if it is after `lastStep`; else null. */
export async function matchTotp(
  keyring: TenantKeyring,
  { db, tenant }: Pick<TenantTx, "db" | "tenant">,
  userId: string,
  sealed: string,
  code: string,
  lastStep: number | null,
): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  const { key } = await keyring.dataKey(db, tenant);
  const base32 = open(key, Buffer.from(sealed, "base64"), secretAad(tenant.id, userId)).toString();
  const totp = new TOTP({ ...TOTP_PARAMS, secret: Secret.fromBase32(base32) });
  const now = Date.now();
  const delta = totp.validate({ token: code, timestamp: now, window: WINDOW });
  if (delta === null) return null;
  const step = TOTP.counter({ period: TOTP_PARAMS.period, timestamp: now }) + delta;
  return lastStep === null || step > lastStep ? step : null;
}

/** A new set of recovery codes for the user (the old ones stop working); the codes, once. */
export async function replaceRecoveryCodes(
  { db, t }: Pick<TenantTx, "db" | "t">,
  userId: string,
): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await db.delete(t.recoveryCodes).where(eq(t.recoveryCodes.userId, userId));
  await db
    .insert(t.recoveryCodes)
    .values(codes.map((c) => ({ userId, codeHash: hashToken(normalizeCode(c)) })));
  return codes;
}
