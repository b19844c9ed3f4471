import { type Database, type TenantRef, withTenant } from "@nchat/db";
import { tenantSettings } from "@nchat/db/public";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { AppError } from "../errors";
import { hashPassword, verifyPassword } from "../passwords";
import type { Role } from "./permissions";
import type { SessionCache } from "./session-cache";
import { signInBackoff } from "./sign-in-backoff";
import { hashToken, randomToken } from "./tokens";

export type SessionUser = { id: string; email: string; name: string; role: Role; isService: boolean };
export type RequestMeta = { ip: string | null; userAgent: string | null };
export type Session = {
  id: string;
  user: SessionUser;
  expiresAt: Date;
  /**
   * The user's second factor and whether the workspace requires one (absent for API keys, which
   * never need one). See `mustEnrolTwoFactor`.
   */
  twoFactor?: { enabled: boolean; required: boolean };
};

/** The workspace requires two-factor authentication and this (human) user has none yet. */
export const mustEnrolTwoFactor = (s: Session): boolean =>
  Boolean(s.twoFactor?.required && !s.twoFactor.enabled && !s.user.isService);

/** A right password: a session, or — when the account has a second factor — a challenge for the code. */
export type PasswordSignIn =
  | { token: string; session: Session; challenge?: undefined }
  | { challenge: string; challengeExpiresAt: Date; token?: undefined; session?: undefined };

export const signInInput = z.object({
  email: z.string().trim().toLowerCase().min(1, "Enter your email and password.").max(254),
  password: z.string().min(1, "Enter your email and password.").max(200),
});
export type SignInInput = z.output<typeof signInInput>;

const LOGIN_TOKEN_TTL_MS = 2 * 60_000;
/** A pending sign-in (password right, second factor still to come) lasts this long. */
export const CHALLENGE_TTL_MS = 5 * 60_000;
/** The session length of a workspace without settings (the settings' default: 14 days). */
const DEFAULT_SESSION_MINUTES = 60 * 24 * 14;
/** A session is extended (sliding expiry) at most this often. */
const RENEW_AFTER_MS = 5 * 60_000;

let dummyHash: Promise<string> | undefined;

/**
 * Tenant users' identity: sign-in, sessions and one-time login tokens, all inside the tenant's own
 * schema through its role. A token of tenant A is simply unknown in tenant B's schema.
 */
export class AuthService {
  constructor(private readonly deps: { db: Database; cache?: SessionCache<Session> }) {}

  /**
   * Password sign-in of an account without a second factor (scripts, benchmarks). An account with
   * one is refused here: browsers go through `passwordSignIn` and the code step.
   */
  async signIn(
    tenant: TenantRef,
    input: SignInInput,
    meta: RequestMeta,
  ): Promise<{ token: string; session: Session }> {
    const result = await this.passwordSignIn(tenant, input, meta);
    if (!result.session) throw new AppError("UNAUTHORIZED", "This account needs its authentication code.");
    return result;
  }

  /**
   * The password step of a sign-in. With a second factor on the account it yields a short-lived
   * challenge (not a session): the code step (TwoFactorService.completeSignIn) turns it into one.
   */
  async passwordSignIn(
    tenant: TenantRef,
    { email, password }: SignInInput,
    meta: RequestMeta,
    opts: { deviceOf?: string | null } = {},
  ): Promise<PasswordSignIn> {
    // The account's next attempt is claimed before any password check (`signInBackoff`), unless
    // it comes from a browser the account signed in from before (`deviceOf`: see device-cookie.ts).
    const user = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const account = and(
        sql`lower(${t.users.email}) = ${email}`,
        isNull(t.users.deactivatedAt),
        eq(t.users.isService, false),
      );
      if (opts.deviceOf) {
        const [own] = await db
          .select()
          .from(t.users)
          .where(and(account, eq(t.users.id, opts.deviceOf)));
        if (own) return own;
      }
      const [claimed] = await db
        .update(t.users)
        .set({ signInBlockedUntil: signInBackoff.claim(t.users.failedSignIns) })
        .where(and(account, signInBackoff.open(t.users.signInBlockedUntil)))
        .returning();
      if (claimed) return claimed;
      const [blocked] = await db
        .select({ wait: signInBackoff.secondsLeft(t.users.signInBlockedUntil) })
        .from(t.users)
        .where(account);
      if (blocked) throw signInBackoff.refused(blocked.wait);
      return null;
    });
    // Verify against a dummy hash when there is no such user, so timing does not reveal accounts.
    dummyHash ??= hashPassword(randomToken());
    const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash), password);
    if (user) {
      await withTenant(this.deps.db, tenant, ({ db, t }) =>
        db
          .update(t.users)
          .set(
            ok
              ? { failedSignIns: 0, signInBlockedUntil: null }
              : { failedSignIns: sql`${t.users.failedSignIns} + 1` },
          )
          .where(eq(t.users.id, user.id)),
      );
    }
    if (!user || !ok) throw new AppError("UNAUTHORIZED", "The email or password is incorrect.");
    if (user.totpEnabledAt) {
      const challenge = randomToken();
      const challengeExpiresAt = new Date(Date.now() + CHALLENGE_TTL_MS);
      await withTenant(this.deps.db, tenant, ({ db, t }) =>
        db
          .insert(t.twoFactorChallenges)
          .values({ tokenHash: hashToken(challenge), userId: user.id, expiresAt: challengeExpiresAt }),
      );
      return { challenge, challengeExpiresAt };
    }
    return this.createSession(tenant, user.id, meta);
  }

  async createSession(
    tenant: TenantRef,
    userId: string,
    meta: RequestMeta,
  ): Promise<{ token: string; session: Session }> {
    const token = randomToken();
    const session = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const { timeoutMs: timeout, require2fa } = await sessionSettings(db, tenant.id);
      const expiresAt = new Date(Date.now() + timeout);
      const [row] = await db
        .insert(t.sessions)
        .values({
          userId,
          tokenHash: hashToken(token),
          expiresAt,
          ip: meta.ip,
          userAgent: meta.userAgent?.slice(0, 500),
        })
        .returning({ id: t.sessions.id });
      const [user] = await db.select().from(t.users).where(eq(t.users.id, userId));
      return {
        id: row!.id,
        user: toSessionUser(user!),
        expiresAt,
        twoFactor: { enabled: Boolean(user!.totpEnabledAt), required: require2fa },
      };
    });
    return { token, session };
  }

  /**
   * The live session of a token in this tenant, extended when due; null if unknown or expired.
   * Served from the session cache when it can be (no database round trip); renewals go to the database.
   */
  async session(tenant: TenantRef, token: string | null): Promise<Session | null> {
    if (!token || token.length > 200) return null;
    const tokenHash = hashToken(token);
    const cache = this.deps.cache;
    const hit = cache?.get(tenant.id, tokenHash);
    if (hit) {
      const now = Date.now();
      if (hit.expiresAt.getTime() <= now) return null;
      if (now - hit.lastUsedAt.getTime() <= RENEW_AFTER_MS) return hit.session;
    }
    const mark = cache?.mark() ?? 0;
    const found = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const [row] = await db
        .select({
          session: t.sessions,
          user: t.users,
          require2fa: sql<boolean>`coalesce((select ${tenantSettings.require2fa} from ${tenantSettings} where ${tenantSettings.tenantId} = ${tenant.id}), false)`,
          timeoutMinutes: sql<number>`(select ${tenantSettings.sessionTimeoutMinutes} from ${tenantSettings} where ${tenantSettings.tenantId} = ${tenant.id})`,
        })
        .from(t.sessions)
        .innerJoin(t.users, eq(t.users.id, t.sessions.userId))
        .where(
          and(
            eq(t.sessions.tokenHash, tokenHash),
            gt(t.sessions.expiresAt, new Date()),
            isNull(t.users.deactivatedAt),
          ),
        );
      if (!row) return null;
      // The workspace's session length as it is now: a session idle for longer has ended, also one
      // begun (or last extended) while the length was longer.
      const timeoutMs = (row.timeoutMinutes ?? DEFAULT_SESSION_MINUTES) * 60_000;
      let lastUsedAt = row.session.lastUsedAt;
      let expiresAt = new Date(Math.min(row.session.expiresAt.getTime(), lastUsedAt.getTime() + timeoutMs));
      if (expiresAt.getTime() <= Date.now()) return null;
      if (Date.now() - lastUsedAt.getTime() > RENEW_AFTER_MS) {
        lastUsedAt = new Date();
        expiresAt = new Date(lastUsedAt.getTime() + timeoutMs);
        await db.update(t.sessions).set({ lastUsedAt, expiresAt }).where(eq(t.sessions.id, row.session.id));
      }
      const session: Session = {
        id: row.session.id,
        user: toSessionUser(row.user),
        expiresAt,
        twoFactor: { enabled: Boolean(row.user.totpEnabledAt), required: row.require2fa === true },
      };
      return { session, lastUsedAt };
    });
    if (!found) return null;
    cache?.set(
      tokenHash,
      {
        session: found.session,
        tenantId: tenant.id,
        userId: found.session.user.id,
        expiresAt: found.session.expiresAt,
        lastUsedAt: found.lastUsedAt,
      },
      mark,
    );
    return found.session;
  }

  async signOut(tenant: TenantRef, token: string | null): Promise<void> {
    if (!token) return;
    const tokenHash = hashToken(token);
    await withTenant(this.deps.db, tenant, ({ db, t }) =>
      db.delete(t.sessions).where(eq(t.sessions.tokenHash, tokenHash)),
    );
    await this.deps.cache?.revoke({ tenantId: tenant.id, tokenHash });
  }

  /** Ends every session of a user (role change, removal, password change). */
  async revokeUserSessions(tenant: TenantRef, userId: string): Promise<void> {
    await withTenant(this.deps.db, tenant, ({ db, t }) =>
      db.delete(t.sessions).where(eq(t.sessions.userId, userId)),
    );
    await this.deps.cache?.revoke({ tenantId: tenant.id, userId });
  }

  /**
   * Makes every process look this user's sessions up again (their second factor changed); the
   * sessions themselves stay.
   */
  async refreshUserSessions(tenant: TenantRef, userId: string): Promise<void> {
    await this.deps.cache?.revoke({ tenantId: tenant.id, userId });
  }

  /**
   * Makes every process look every session of the tenant up again (its session rules changed:
   * "Require two-factor authentication", the session length); the sessions themselves stay.
   */
  async refreshTenantSessions(tenantId: string): Promise<void> {
    await this.deps.cache?.revoke({ tenantId });
  }

  /** A single-use token (2 minutes) that signs the user in on the tenant host, e.g. after sign-up. */
  async createLoginToken(tenant: TenantRef, userId: string): Promise<string> {
    const token = randomToken();
    await withTenant(this.deps.db, tenant, ({ db, t }) =>
      db.insert(t.loginTokens).values({
        tokenHash: hashToken(token),
        userId,
        expiresAt: new Date(Date.now() + LOGIN_TOKEN_TTL_MS),
      }),
    );
    return token;
  }

  async exchangeLoginToken(
    tenant: TenantRef,
    token: string,
    meta: RequestMeta,
  ): Promise<{ token: string; session: Session }> {
    const userId = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const [row] = await db
        .update(t.loginTokens)
        .set({ usedAt: new Date() })
        .where(
          and(
            eq(t.loginTokens.tokenHash, hashToken(token)),
            isNull(t.loginTokens.usedAt),
            gt(t.loginTokens.expiresAt, new Date()),
          ),
        )
        .returning({ userId: t.loginTokens.userId });
      if (!row) return null;
      // A link never stands in for a second factor.
      const [user] = await db
        .select({ totpEnabledAt: t.users.totpEnabledAt })
        .from(t.users)
        .where(eq(t.users.id, row.userId));
      return user && !user.totpEnabledAt ? row.userId : null;
    });
    if (!userId)
      throw new AppError(
        "UNAUTHORIZED",
        "This sign-in link has expired or was already used. Sign in with your password.",
      );
    return this.createSession(tenant, userId, meta);
  }
}

async function sessionSettings(
  db: Parameters<Parameters<typeof withTenant>[2]>[0]["db"],
  tenantId: string,
): Promise<{ timeoutMs: number; require2fa: boolean }> {
  const [s] = await db
    .select({ minutes: tenantSettings.sessionTimeoutMinutes, require2fa: tenantSettings.require2fa })
    .from(tenantSettings)
    .where(eq(tenantSettings.tenantId, tenantId));
  return { timeoutMs: (s?.minutes ?? DEFAULT_SESSION_MINUTES) * 60_000, require2fa: s?.require2fa ?? false };
}

function toSessionUser(u: {
  id: string;
  email: string;
  name: string;
  role: Role;
  isService: boolean;
}): SessionUser {
  return { id: u.id, email: u.email, name: u.name, role: u.role, isService: u.isService };
}
