import { type Database, withPlatformAdmin } from "@nchat/db";
import { superAdmins, tenantAuditLogs } from "@nchat/db/public";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { AppError } from "../errors";
import { hashPassword } from "../passwords";
import { type Actor, auditActor } from "./actor";

export const createSuperAdminInput = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address.")),
  name: z.string().trim().min(1).max(100),
  password: z.string().min(12, "Use a password of at least 12 characters.").max(200),
});

/** Platform accounts for the admin app (not users of any tenant). */
export class SuperAdminService {
  constructor(private readonly deps: { db: Database }) {}

  async create(input: z.input<typeof createSuperAdminInput>, actor: Actor) {
    const parsed = createSuperAdminInput.safeParse(input);
    if (!parsed.success)
      throw new AppError("VALIDATION_FAILED", parsed.error.issues[0]?.message ?? "Invalid input.");
    const { email, name, password } = parsed.data;
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
      await tx.insert(tenantAuditLogs).values({
        ...auditActor(actor),
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
}
