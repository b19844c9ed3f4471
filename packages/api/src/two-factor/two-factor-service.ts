import { type Database, seal, type TenantRef, type TenantTx, withTenant } from "@nchat/db";
import { tenantSettings } from "@nchat/db/public";
import { and, count, eq, gt, isNull, sql } from "drizzle-orm";
import { Secret, TOTP } from "otpauth";
import QRCode from "qrcode";
import { TenantKeyring } from "../attachments/keys";
import { type Actor, audit } from "../audit/actor";
import type { AuthService, RequestMeta, Session } from "../auth/auth-service";
import { hashToken } from "../auth/tokens";
import { AppError } from "../errors";
import { verifyPassword } from "../passwords";
import {
  assertCheck,
  CHALLENGE_MAX_ATTEMPTS,
  checkCode,
  clearSecondFactor,
  matchTotp,
  normalizeCode,
  replaceRecoveryCodes,
  secretAad,
  TOTP_PARAMS,
  wrongCodeField,
} from "./codes";
import type { CodeInput, DisableInput } from "./inputs";

export type TwoFactorStatus = {
  enabled: boolean;
  /** Enrolment started (a secret exists) but no code confirmed it yet. */
  pending: boolean;
  /** The workspace requires a second factor of every member. */
  required: boolean;
  recoveryCodesLeft: number;
};

export type Enrolment = {
  /** The secret in base32: the manual key for apps that cannot scan. */
  secret: string;
  /** otpauth://totp/… (what the QR code holds). */
  uri: string;
  /** The QR code of `uri`, an SVG data URL. */
  qrCode: string;
};

/** The signed-in person acting on their own second factor. */
type SignedIn = Actor & { id: string };

/** One audit entry per change of a second factor (never the secret or a code). */
const auditOwn = (db: TenantTx["db"], tenant: TenantRef, user: SignedIn, action: string) =>
  audit(db, tenant.id, user, { action, resourceType: "user", resourceId: user.id });

/**
 * Two-factor authentication of tenant users with TOTP (RFC 6238) and single-use recovery codes.
 * The secret is sealed (AES-256-GCM) with the tenant's data key, bound to the tenant and user. Codes
 * are checked under the account's own back-off (the password back-off's rules, its own counter), a
 * code's time step is accepted once (never again, nor an older one), and a sign-in with a second
 * factor goes through a short-lived challenge, not a session.
 */
export class TwoFactorService {
  constructor(
    private readonly deps: { db: Database; keyring: TenantKeyring; auth: AuthService; issuer?: string },
  ) {}

  async status(tenant: TenantRef, userId: string): Promise<TwoFactorStatus> {
    return withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const [u] = await db
        .select({ secret: t.users.totpSecret, enabledAt: t.users.totpEnabledAt })
        .from(t.users)
        .where(eq(t.users.id, userId));
      const [codes] = await db
        .select({ n: count() })
        .from(t.recoveryCodes)
        .where(and(eq(t.recoveryCodes.userId, userId), isNull(t.recoveryCodes.usedAt)));
      const [s] = await db
        .select({ required: tenantSettings.require2fa })
        .from(tenantSettings)
        .where(eq(tenantSettings.tenantId, tenant.id));
      return {
        enabled: Boolean(u?.enabledAt),
        pending: Boolean(u?.secret && !u.enabledAt),
        required: s?.required ?? false,
        recoveryCodesLeft: u?.enabledAt ? (codes?.n ?? 0) : 0,
      };
    });
  }

  /**
   * Starts (or restarts) enrolment: a new secret, stored sealed but not in force until a first code
   * confirms it. Refused while a second factor is enabled (disable it first).
   */
  async beginEnrolment(
    tenant: TenantRef & { name?: string },
    user: { id: string; email: string; isService: boolean },
  ): Promise<Enrolment> {
    if (user.isService) throw new AppError("FORBIDDEN", "API keys do not use two-factor authentication.");
    const secret = new Secret({ size: 20 });
    await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const { key } = await this.deps.keyring.dataKey(db, tenant);
      const sealed = seal(key, Buffer.from(secret.base32), secretAad(tenant.id, user.id)).toString("base64");
      const [row] = await db
        .update(t.users)
        .set({ totpSecret: sealed, totpLastStep: null, updatedAt: new Date() })
        .where(and(eq(t.users.id, user.id), isNull(t.users.totpEnabledAt)))
        .returning({ id: t.users.id });
      if (!row)
        throw new AppError(
          "CONFLICT",
          "Two-factor authentication is already on. Turn it off to set it up again.",
        );
    });
    const totp = new TOTP({
      ...TOTP_PARAMS,
      issuer: this.deps.issuer ?? tenant.name ?? "nchat",
      label: user.email,
      secret,
    });
    const uri = totp.toString();
    const svg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 1 });
    return {
      secret: secret.base32,
      uri,
      qrCode: `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`,
    };
  }

  /** Confirms enrolment with a first valid code: the second factor is on; returns the recovery codes (shown once). */
  async confirmEnrolment(
    tenant: TenantRef,
    user: SignedIn,
    { code }: CodeInput,
  ): Promise<{ recoveryCodes: string[] }> {
    const userId = user.id;
    const recoveryCodes = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const [u] = await db
        .select({ secret: t.users.totpSecret, enabledAt: t.users.totpEnabledAt })
        .from(t.users)
        .where(eq(t.users.id, userId))
        .for("update");
      if (!u) throw new AppError("NOT_FOUND", "No such user.");
      if (u.enabledAt) throw new AppError("CONFLICT", "Two-factor authentication is already on.");
      if (!u.secret) throw new AppError("VALIDATION_FAILED", "Start the set-up again.");
      const step = await matchTotp(
        this.deps.keyring,
        { db, tenant },
        userId,
        u.secret,
        normalizeCode(code),
        null,
      );
      if (step === null) return null;
      await db
        .update(t.users)
        .set({
          totpEnabledAt: new Date(),
          totpLastStep: step,
          twoFactorFailures: 0,
          twoFactorBlockedUntil: null,
          updatedAt: new Date(),
        })
        .where(eq(t.users.id, userId));
      await auditOwn(db, tenant, user, "user.two_factor_on");
      return replaceRecoveryCodes({ db, t }, userId);
    });
    if (!recoveryCodes) throw wrongCodeField();
    // Cached sessions of this user carry "no second factor": look them up again.
    await this.deps.auth.refreshUserSessions(tenant, userId);
    return { recoveryCodes };
  }

  /** Turns the second factor off: needs the password and a current code (or a recovery code). */
  async disable(tenant: TenantRef, user: SignedIn, { password, code }: DisableInput): Promise<void> {
    const userId = user.id;
    const [u] = await withTenant(this.deps.db, tenant, ({ db, t }) =>
      db.select({ passwordHash: t.users.passwordHash }).from(t.users).where(eq(t.users.id, userId)),
    );
    const check = await checkCode(this.deps, tenant, userId, code);
    assertCheck(check, wrongCodeField);
    if (!u?.passwordHash || !(await verifyPassword(u.passwordHash, password)))
      throw new AppError("VALIDATION_FAILED", "The password is incorrect.", {
        fields: [{ path: "password", message: "The password is incorrect." }],
      });
    await withTenant(this.deps.db, tenant, async (tx) => {
      await clearSecondFactor(tx, userId);
      await auditOwn(tx.db, tenant, user, "user.two_factor_off");
    });
    await this.deps.auth.refreshUserSessions(tenant, userId);
  }

  /** New recovery codes (the old ones stop working), after a current code. */
  async regenerateRecoveryCodes(
    tenant: TenantRef,
    user: SignedIn,
    { code }: CodeInput,
  ): Promise<{ recoveryCodes: string[] }> {
    assertCheck(await checkCode(this.deps, tenant, user.id, code), wrongCodeField);
    const recoveryCodes = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      await auditOwn(db, tenant, user, "user.recovery_codes_renewed");
      return replaceRecoveryCodes({ db, t }, user.id);
    });
    return { recoveryCodes };
  }

  /**
   * The second step of a sign-in: the challenge the password step issued and a code (TOTP or
   * recovery). Returns a new session; the challenge is then spent.
   */
  async completeSignIn(
    tenant: TenantRef,
    challenge: string | null,
    { code }: CodeInput,
    meta: RequestMeta,
  ): Promise<{ token: string; session: Session }> {
    const expired = () =>
      new AppError("UNAUTHORIZED", "Your sign-in has expired. Enter your email and password again.", {
        signInExpired: true,
      });
    if (!challenge || challenge.length > 200) throw expired();
    const tokenHash = hashToken(challenge);
    // One attempt of the challenge is spent before the code is checked (committed either way).
    const userId = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const [row] = await db
        .update(t.twoFactorChallenges)
        .set({ attempts: sql`${t.twoFactorChallenges.attempts} + 1` })
        .where(
          and(
            eq(t.twoFactorChallenges.tokenHash, tokenHash),
            isNull(t.twoFactorChallenges.usedAt),
            gt(t.twoFactorChallenges.expiresAt, new Date()),
            sql`${t.twoFactorChallenges.attempts} < ${CHALLENGE_MAX_ATTEMPTS}`,
          ),
        )
        .returning({ userId: t.twoFactorChallenges.userId });
      return row?.userId ?? null;
    });
    if (!userId) throw expired();
    assertCheck(await checkCode(this.deps, tenant, userId, code));
    const spent = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const [row] = await db
        .update(t.twoFactorChallenges)
        .set({ usedAt: new Date() })
        .where(and(eq(t.twoFactorChallenges.tokenHash, tokenHash), isNull(t.twoFactorChallenges.usedAt)))
        .returning({ userId: t.twoFactorChallenges.userId });
      return row ?? null;
    });
    if (!spent) throw expired();
    return this.deps.auth.createSession(tenant, userId, meta);
  }
}

const instances = new WeakMap<object, TwoFactorService>();

/** The two-factor service of a set of services (one per set; its keyring caches unwrapped data keys). */
export function twoFactorService(services: {
  db: Database;
  masterKey: ConstructorParameters<typeof TenantKeyring>[0];
  auth: AuthService;
}): TwoFactorService {
  let s = instances.get(services);
  if (!s) {
    s = new TwoFactorService({
      db: services.db,
      keyring: new TenantKeyring(services.masterKey),
      auth: services.auth,
    });
    instances.set(services, s);
  }
  return s;
}
