import { type Database, type TenantRef, withTenant } from "@nchat/db";
import { and, desc, eq, gt, ne, sql } from "drizzle-orm";
import { z } from "zod";
import { type Actor, audit } from "../audit/actor";
import type { AuthService } from "../auth/auth-service";
import { signInBackoff } from "../auth/sign-in-backoff";
import { AppError } from "../errors";
import { hashPassword, verifyPassword } from "../passwords";
import type { ChangePasswordInput } from "./inputs";

/** One of the signed-in person's sessions (a browser or device signed in). */
export type SessionView = {
  id: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  /** The session of this request. */
  current: boolean;
};

type Signed = Actor & { id: string };

const uuid = z.uuid();
const sessionNotFound = () => new AppError("NOT_FOUND", "No such session.");

/**
 * A person's own sign-in security: their sessions (list, end one or all others) and their
 * password. Only one's own: every statement is bounded by the person's id in the tenant's schema,
 * so another person's session id is NOT_FOUND like an unknown one, and another workspace's does
 * not exist here at all. Ended sessions stop at once in every process (the session caches drop the
 * person's entries and read the rest again).
 */
export class SecurityService {
  constructor(private readonly deps: { db: Database; auth: Pick<AuthService, "refreshUserSessions"> }) {}

  /** Live sessions, most recently used first. */
  async sessions(tenant: TenantRef, userId: string, currentSessionId: string): Promise<SessionView[]> {
    const rows = await withTenant(this.deps.db, tenant, ({ db, t }) =>
      db
        .select({
          id: t.sessions.id,
          userAgent: t.sessions.userAgent,
          ip: t.sessions.ip,
          createdAt: t.sessions.createdAt,
          lastUsedAt: t.sessions.lastUsedAt,
          expiresAt: t.sessions.expiresAt,
        })
        .from(t.sessions)
        .where(and(eq(t.sessions.userId, userId), gt(t.sessions.expiresAt, new Date())))
        .orderBy(desc(t.sessions.lastUsedAt), desc(t.sessions.createdAt)),
    );
    return rows.map((r) => ({ ...r, current: r.id === currentSessionId }));
  }

  /** Ends one of one's own sessions (the current one too: that is signing out). */
  async revoke(
    tenant: TenantRef,
    user: Signed,
    currentSessionId: string,
    rawSessionId: string,
  ): Promise<{ current: boolean }> {
    if (!uuid.safeParse(rawSessionId).success) throw sessionNotFound();
    const ended = await this.end(tenant, user, (t) =>
      and(eq(t.sessions.userId, user.id), eq(t.sessions.id, rawSessionId)),
    );
    if (ended.length === 0) throw sessionNotFound();
    return { current: ended[0] === currentSessionId };
  }

  /** Ends every session of the person but the current one. */
  async revokeOthers(tenant: TenantRef, user: Signed, currentSessionId: string): Promise<{ ended: number }> {
    const ended = await this.end(tenant, user, (t) =>
      and(eq(t.sessions.userId, user.id), ne(t.sessions.id, currentSessionId)),
    );
    return { ended: ended.length };
  }

  /**
   * A new password after the current one. Guessing is bounded like sign-in: per client address by
   * the caller (the sign-in policy), per account by the sign-in back-off (same counter: a wrong
   * current password here counts as a failed sign-in). On success every other session ends, as do
   * pending second-factor steps and unused sign-in links; the current session goes on.
   */
  async changePassword(
    tenant: TenantRef,
    user: Signed,
    currentSessionId: string,
    input: ChangePasswordInput,
  ): Promise<{ endedSessions: number }> {
    const hashed = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const [claimed] = await db
        .update(t.users)
        .set({ signInBlockedUntil: signInBackoff.claim(t.users.failedSignIns) })
        .where(and(eq(t.users.id, user.id), signInBackoff.open(t.users.signInBlockedUntil)))
        .returning({ passwordHash: t.users.passwordHash });
      if (claimed) return claimed.passwordHash;
      const [blocked] = await db
        .select({ wait: signInBackoff.secondsLeft(t.users.signInBlockedUntil) })
        .from(t.users)
        .where(eq(t.users.id, user.id));
      if (blocked) throw signInBackoff.refused(blocked.wait);
      throw new AppError("NOT_FOUND", "No such person in this workspace.");
    });
    const ok = await verifyPassword(hashed, input.currentPassword);
    if (!ok) {
      await withTenant(this.deps.db, tenant, ({ db, t }) =>
        db
          .update(t.users)
          .set({ failedSignIns: sql`${t.users.failedSignIns} + 1` })
          .where(eq(t.users.id, user.id)),
      );
      // Not UNAUTHORIZED: the session is fine, the form's field is wrong (clients sign out on 401).
      throw new AppError("VALIDATION_FAILED", "The current password is incorrect.", {
        reason: "wrong_password",
        fields: [{ path: "currentPassword", message: "The current password is incorrect." }],
      });
    }
    const passwordHash = await hashPassword(input.newPassword);
    const ended = await withTenant(
      this.deps.db,
      tenant,
      async ({ db, t }) => {
        await db
          .update(t.users)
          .set({ passwordHash, failedSignIns: 0, signInBlockedUntil: null, updatedAt: new Date() })
          .where(eq(t.users.id, user.id));
        const gone = await db
          .delete(t.sessions)
          .where(and(eq(t.sessions.userId, user.id), ne(t.sessions.id, currentSessionId)))
          .returning({ id: t.sessions.id });
        await db.delete(t.twoFactorChallenges).where(eq(t.twoFactorChallenges.userId, user.id));
        await db.delete(t.loginTokens).where(eq(t.loginTokens.userId, user.id));
        await audit(db, tenant.id, user, {
          action: "user.password_changed",
          resourceType: "user",
          resourceId: user.id,
          after: { endedSessions: gone.length },
        });
        return gone.length;
      },
      { userId: user.id },
    );
    await this.deps.auth.refreshUserSessions(tenant, user.id);
    return { endedSessions: ended };
  }

  /** Deletes the sessions `where` selects (always bounded to the person), audits and drops caches. */
  private async end(
    tenant: TenantRef,
    user: Signed,
    where: (t: Parameters<Parameters<typeof withTenant>[2]>[0]["t"]) => ReturnType<typeof and>,
  ): Promise<string[]> {
    const ids = await withTenant(
      this.deps.db,
      tenant,
      async ({ db, t }) => {
        const gone = await db.delete(t.sessions).where(where(t)).returning({ id: t.sessions.id });
        if (gone.length > 0)
          await audit(db, tenant.id, user, {
            action: "user.sessions_ended",
            resourceType: "user",
            resourceId: user.id,
            after: { sessionIds: gone.map((g) => g.id) },
          });
        return gone.map((g) => g.id);
      },
      { userId: user.id },
    );
    if (ids.length > 0) await this.deps.auth.refreshUserSessions(tenant, user.id);
    return ids;
  }
}
