import { type Database, withPlatformAdmin } from "@nchat/db";
import { superAdminSessions, superAdmins } from "@nchat/db/public";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { type Actor, audit } from "../audit/actor";
import type { RequestMeta } from "../auth/auth-service";
import { signInBackoff } from "../auth/sign-in-backoff";
import { hashToken, randomToken } from "../auth/tokens";
import { AppError } from "../errors";
import { hashPassword, verifyPassword } from "../passwords";

export const createSuperAdminInput = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address.")),
  name: z.string().trim().min(1).max(100),
  password: z.string().min(12, "Use a password of at least 12 characters.").max(200),
});

export type AdminSession = {
  id: string;
  admin: { id: string; email: string; name: string };
  expiresAt: Date;
};

const ADMIN_SESSION_MS = 12 * 3_600_000;
let dummyHash: Promise<string> | undefined;

/** Platform accounts for the admin app (not users of any tenant). */
export class SuperAdminService {
  constructor(private readonly deps: { db: Database }) {}

  /** `input` as createSuperAdminInput leaves it (the command line and seeds parse with it). */
  async create({ email, name, password }: z.output<typeof createSuperAdminInput>, actor: Actor) {
    const passwordHash = await hashPassword(password);
    return withPlatformAdmin(this.deps.db, async (tx) => {
      const [existing] = await tx
        .select({ id: superAdmins.id })
        .from(superAdmins)
        .where(eq(superAdmins.email, email));
      if (existing) throw new AppError("CONFLICT", `A super admin with email ${email} exists.`);
      const [row] = await tx.insert(superAdmins).values({ email, name, passwordHash }).returning({
        id: superAdmins.id,
        email: superAdmins.email,
        name: superAdmins.name,
      });
      await audit(tx, null, actor, {
        action: "super_admin.create",
        resourceType: "super_admin",
        resourceId: row!.id,
        after: { email, name },
      });
      return row!;
    });
  }

  async findByEmail(email: string) {
    return withPlatformAdmin(this.deps.db, async (tx) => {
      const [row] = await tx
        .select()
        .from(superAdmins)
        .where(eq(superAdmins.email, email.trim().toLowerCase()));
      return row ?? null;
    });
  }

  /**
   * Password sign-in, with the per-account back-off of `signInBackoff` (and the router's per-address
   * limit) — except from a browser this admin signed in from before (`deviceOf`, device-cookie.ts).
   */
  async signIn(
    input: { email?: unknown; password?: unknown },
    meta: RequestMeta,
    opts: { deviceOf?: string | null } = {},
  ): Promise<{ token: string; session: AdminSession }> {
    const email = typeof input.email === "string" ? input.email.trim().toLowerCase() : "";
    const password = typeof input.password === "string" ? input.password : "";
    const found = email && email.length <= 254 ? await this.findByEmail(email) : null;
    const admin =
      found && found.id === opts.deviceOf ? found : found ? await this.claimAttempt(found.id) : null;
    dummyHash ??= hashPassword(randomToken());
    const ok = await verifyPassword(admin?.passwordHash ?? (await dummyHash), password);
    if (!admin || admin.disabledAt || !ok) {
      if (admin) await this.recordFailure(admin.id);
      throw new AppError("UNAUTHORIZED", "The email or password is incorrect.");
    }
    const token = randomToken();
    const expiresAt = new Date(Date.now() + ADMIN_SESSION_MS);
    const session = await withPlatformAdmin(this.deps.db, async (tx) => {
      const [row] = await tx
        .insert(superAdminSessions)
        .values({
          adminId: admin.id,
          tokenHash: hashToken(token),
          expiresAt,
          ip: meta.ip,
          userAgent: meta.userAgent?.slice(0, 500),
        })
        .returning({ id: superAdminSessions.id });
      await tx
        .update(superAdmins)
        .set({ lastLoginAt: new Date(), failedSignIns: 0, signInBlockedUntil: null })
        .where(eq(superAdmins.id, admin.id));
      return { id: row!.id, admin: { id: admin.id, email: admin.email, name: admin.name }, expiresAt };
    });
    return { token, session };
  }

  /**
   * Takes the account's next sign-in slot: blocks it for the back-off that a failure of this
   * attempt would earn (so concurrent guesses get one slot), or refuses while a back-off runs.
   */
  private async claimAttempt(id: string) {
    return withPlatformAdmin(this.deps.db, async (tx) => {
      const [claimed] = await tx
        .update(superAdmins)
        .set({ signInBlockedUntil: signInBackoff.claim(superAdmins.failedSignIns) })
        .where(and(eq(superAdmins.id, id), signInBackoff.open(superAdmins.signInBlockedUntil)))
        .returning();
      if (claimed) return claimed;
      const [row] = await tx
        .select({ wait: signInBackoff.secondsLeft(superAdmins.signInBlockedUntil) })
        .from(superAdmins)
        .where(eq(superAdmins.id, id));
      throw signInBackoff.refused(row?.wait ?? 1);
    });
  }

  /** A failed attempt: counted, and the next one waits for the back-off its claim set. */
  private async recordFailure(id: string) {
    await withPlatformAdmin(this.deps.db, (tx) =>
      tx
        .update(superAdmins)
        .set({ failedSignIns: sql`${superAdmins.failedSignIns} + 1` })
        .where(eq(superAdmins.id, id)),
    );
  }

  async session(token: string | null): Promise<AdminSession | null> {
    if (!token || token.length > 200) return null;
    return withPlatformAdmin(this.deps.db, async (tx) => {
      const [row] = await tx
        .select({ session: superAdminSessions, admin: superAdmins })
        .from(superAdminSessions)
        .innerJoin(superAdmins, eq(superAdmins.id, superAdminSessions.adminId))
        .where(
          and(
            eq(superAdminSessions.tokenHash, hashToken(token)),
            gt(superAdminSessions.expiresAt, new Date()),
            isNull(superAdmins.disabledAt),
          ),
        );
      if (!row) return null;
      return {
        id: row.session.id,
        admin: { id: row.admin.id, email: row.admin.email, name: row.admin.name },
        expiresAt: row.session.expiresAt,
      };
    });
  }

  async signOut(token: string | null): Promise<void> {
    if (!token) return;
    await withPlatformAdmin(this.deps.db, (tx) =>
      tx.delete(superAdminSessions).where(eq(superAdminSessions.tokenHash, hashToken(token))),
    );
  }
}
