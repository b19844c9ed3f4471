import { type Database, type TenantRef, withTenant } from "@nchat/db";
import { and, eq, gt, isNull, ne, sql } from "drizzle-orm";
import { AppError } from "../errors";
import type { JobQueue, QueuedJob } from "../jobs/queue";
import type { MailService } from "../mail/mail-service";
import { hashPassword, verifyPassword } from "../passwords";
import { assertEmailDomainAllowed } from "../tenants/email-domains";
import type { AuthService } from "./auth-service";
import { hashToken, randomToken } from "./tokens";

/** A password-reset link works once, for this long. */
export const PASSWORD_RESET_TTL_MS = 30 * 60_000;
/** A verification link works once, for this long. */
export const VERIFICATION_TTL_MS = 48 * 60 * 60_000;

/** A "forgot password" request, worked in the background whatever the address (see requestPasswordReset). */
export type ResetRequestJob = { tenant: TenantRef; email: string; origin: string };

const invalidLink = (what: string) =>
  new AppError("NOT_FOUND", `This ${what} link is not valid: it expired, was already used or was replaced.`);

type TenantDb = Parameters<Parameters<typeof withTenant>[2]>[0]["db"];
type Tables = Parameters<Parameters<typeof withTenant>[2]>[0]["t"];

/** Issues a token of `purpose` for a user; earlier unused ones of the same purpose stop working. */
async function issueToken(
  db: TenantDb,
  t: Tables,
  user: { id: string },
  purpose: "password_reset" | "email_verification",
  email: string,
  ttlMs: number,
): Promise<string> {
  const token = randomToken();
  await db
    .update(t.accountTokens)
    .set({ usedAt: new Date() })
    .where(
      and(
        eq(t.accountTokens.userId, user.id),
        eq(t.accountTokens.purpose, purpose),
        isNull(t.accountTokens.usedAt),
      ),
    );
  await db.insert(t.accountTokens).values({
    tokenHash: hashToken(token),
    userId: user.id,
    purpose,
    email,
    expiresAt: new Date(Date.now() + ttlMs),
  });
  return token;
}

/** Uses a token once: the row if it was valid (right purpose, unused, unexpired), else null. */
async function consumeToken(
  db: TenantDb,
  t: Tables,
  token: string,
  purpose: "password_reset" | "email_verification",
) {
  const [row] = await db
    .update(t.accountTokens)
    .set({ usedAt: new Date() })
    .where(
      and(
        eq(t.accountTokens.tokenHash, hashToken(token)),
        eq(t.accountTokens.purpose, purpose),
        isNull(t.accountTokens.usedAt),
        gt(t.accountTokens.expiresAt, new Date()),
      ),
    )
    .returning();
  return row ?? null;
}

const activeUser = (t: Tables) => and(isNull(t.users.deactivatedAt), eq(t.users.isService, false));

/**
 * Password reset and email verification: single-use tokens (SHA-256 hashes in the tenant's own
 * schema, so a token of tenant A is unknown on tenant B's host) sent by mail.
 */
export class AccountService {
  constructor(
    private readonly deps: { db: Database; auth: AuthService; mail: MailService; queue: JobQueue },
  ) {}

  /**
   * "Forgot password": the request only queues a job with the address — the same answer and the
   * same work whether an account has it or not; the worker (`handleResetRequest`) looks it up.
   */
  async requestPasswordReset(tenant: TenantRef, email: string, origin: string): Promise<void> {
    const job: ResetRequestJob = {
      tenant: { id: tenant.id, schemaName: tenant.schemaName, dbRole: tenant.dbRole },
      email,
      origin,
    };
    await this.deps.queue.send("password-reset", job, { retryLimit: 3, retryDelaySeconds: 5 });
  }

  /** The worker's half of a reset request: a token and its mail, when the address is an account's. */
  async handleResetRequest(job: QueuedJob<ResetRequestJob>): Promise<void> {
    const { tenant, email, origin } = job.data;
    const found = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const [user] = await db
        .select({ id: t.users.id, email: t.users.email, name: t.users.name })
        .from(t.users)
        .where(and(sql`lower(${t.users.email}) = ${email.toLowerCase()}`, activeUser(t)));
      if (!user) return null;
      const token = await issueToken(db, t, user, "password_reset", user.email, PASSWORD_RESET_TTL_MS);
      return { user, token };
    });
    if (!found) return;
    await this.deps.mail.send(tenant, {
      kind: "password_reset",
      to: found.user.email,
      data: {
        resetUrl: `${origin}/reset-password?token=${encodeURIComponent(found.token)}`,
        name: found.user.name,
        expiresInMinutes: PASSWORD_RESET_TTL_MS / 60_000,
      },
    });
  }

  /**
   * Sets a new password with a reset token (once; 30 minutes; this tenant's only). Every session of
   * the account ends; the sign-in back-off is cleared; the address is verified by the way.
   */
  async resetPassword(tenant: TenantRef, token: string, password: string): Promise<void> {
    const passwordHash = await hashPassword(password);
    const userId = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const row = await consumeToken(db, t, token, "password_reset");
      if (!row) return null;
      const [user] = await db
        .update(t.users)
        .set({
          passwordHash,
          failedSignIns: 0,
          signInBlockedUntil: null,
          emailVerifiedAt: sql`coalesce(${t.users.emailVerifiedAt}, now())`,
          updatedAt: new Date(),
        })
        .where(
          and(
            eq(t.users.id, row.userId),
            activeUser(t),
            sql`lower(${t.users.email}) = ${row.email.toLowerCase()}`,
          ),
        )
        .returning({ id: t.users.id });
      return user?.id ?? null;
    });
    if (!userId) throw invalidLink("reset");
    await this.deps.auth.revokeUserSessions(tenant, userId);
  }

  /**
   * Mails a verification link for the user's address (or, with `newEmail`, for the address they
   * change to: it becomes theirs when confirmed). False when there is nothing to verify.
   */
  async sendVerification(
    tenant: TenantRef,
    userId: string,
    origin: string,
    newEmail?: string,
  ): Promise<boolean> {
    const found = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const [user] = await db
        .select()
        .from(t.users)
        .where(and(eq(t.users.id, userId), activeUser(t)));
      if (!user || (!newEmail && user.emailVerifiedAt)) return null;
      const email = newEmail ?? user.email;
      const token = await issueToken(db, t, user, "email_verification", email, VERIFICATION_TTL_MS);
      return { user, email, token };
    });
    if (!found) return false;
    await this.deps.mail.send(tenant, {
      kind: "email_verification",
      to: found.email,
      data: {
        verifyUrl: `${origin}/verify-email?token=${encodeURIComponent(found.token)}`,
        name: found.user.name,
        expiresInHours: VERIFICATION_TTL_MS / 3_600_000,
        change: newEmail !== undefined,
      },
    });
    return true;
  }

  /** Confirms an address with its link: verified, or (a change) the account's address from now on. */
  async verifyEmail(tenant: TenantRef, token: string): Promise<{ email: string }> {
    const result = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const row = await consumeToken(db, t, token, "email_verification");
      if (!row) return null;
      const [taken] = await db
        .select({ id: t.users.id })
        .from(t.users)
        .where(and(sql`lower(${t.users.email}) = ${row.email.toLowerCase()}`, ne(t.users.id, row.userId)));
      if (taken) throw new AppError("CONFLICT", "Another account of this workspace uses this address now.");
      // A change to an address outside the allowed email domains (set after the link was mailed).
      const [current] = await db
        .select({ email: t.users.email })
        .from(t.users)
        .where(eq(t.users.id, row.userId));
      if (current && current.email.toLowerCase() !== row.email.toLowerCase())
        await assertEmailDomainAllowed(db, tenant.id, row.email);
      const [user] = await db
        .update(t.users)
        .set({ email: row.email, emailVerifiedAt: new Date(), updatedAt: new Date() })
        .where(and(eq(t.users.id, row.userId), activeUser(t)))
        .returning({ id: t.users.id, email: t.users.email });
      return user ?? null;
    });
    if (!result) throw invalidLink("verification");
    // Cached sessions carry the address: every process reads them again.
    await this.deps.auth.refreshUserSessions(tenant, result.id);
    return { email: result.email };
  }

  /**
   * Starts a change of address: the password confirms it is the account's owner, the link mailed to
   * the new address completes it (until then the old address stays).
   */
  async changeEmail(
    tenant: TenantRef,
    userId: string,
    input: { email: string; password: string },
    origin: string,
  ): Promise<void> {
    const user = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const [taken] = await db
        .select({ id: t.users.id })
        .from(t.users)
        .where(and(sql`lower(${t.users.email}) = ${input.email}`, ne(t.users.id, userId)));
      if (taken) throw new AppError("CONFLICT", "Another account of this workspace uses this address.");
      await assertEmailDomainAllowed(db, tenant.id, input.email, "email");
      const [me] = await db.select().from(t.users).where(eq(t.users.id, userId));
      return me ?? null;
    });
    if (!user || !(await verifyPassword(user.passwordHash, input.password)))
      throw new AppError("VALIDATION_FAILED", "The password is incorrect.", {
        fields: [{ path: "password", message: "The password is incorrect." }],
      });
    if (user.email.toLowerCase() === input.email)
      throw new AppError("VALIDATION_FAILED", "This is already your address.", {
        fields: [{ path: "email", message: "This is already your address." }],
      });
    await this.sendVerification(tenant, userId, origin, input.email);
  }

  /** The account's address, whether it is verified, and an address change waiting for its link. */
  async emailStatus(
    tenant: TenantRef,
    userId: string,
  ): Promise<{ email: string; verified: boolean; pendingEmail: string | null }> {
    return withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const [user] = await db
        .select({ email: t.users.email, verifiedAt: t.users.emailVerifiedAt })
        .from(t.users)
        .where(eq(t.users.id, userId));
      if (!user) throw new AppError("NOT_FOUND", "No such account.");
      const [pending] = await db
        .select({ email: t.accountTokens.email })
        .from(t.accountTokens)
        .where(
          and(
            eq(t.accountTokens.userId, userId),
            eq(t.accountTokens.purpose, "email_verification"),
            isNull(t.accountTokens.usedAt),
            gt(t.accountTokens.expiresAt, new Date()),
            sql`lower(${t.accountTokens.email}) <> lower(${user.email})`,
          ),
        );
      return { email: user.email, verified: user.verifiedAt !== null, pendingEmail: pending?.email ?? null };
    });
  }
}
