import { withTenant } from "@nchat/db";
import { tenantAuditLogs } from "@nchat/db/public";
import { and, desc, eq, gte, lt, lte, type SQL } from "drizzle-orm";
import { z } from "zod";
import { permissionProcedure, router } from "../trpc";

export const auditListInput = z
  .object({
    action: z.string().max(100).optional(),
    actorId: z.string().max(100).optional(),
    from: z.date().optional(),
    to: z.date().optional(),
    cursor: z.number().int().positive().optional(),
    limit: z.number().int().min(1).max(200).default(50),
  })
  .default({ limit: 50 });

export const auditRouter = router({
  /** The tenant's audit log, newest first (owners and admins). RLS confines it to this tenant. */
  list: permissionProcedure("audit:read")
    .input(auditListInput)
    .query(async ({ ctx, input }) => {
      const where: SQL[] = [eq(tenantAuditLogs.tenantId, ctx.tenant.id)];
      if (input.action) where.push(eq(tenantAuditLogs.action, input.action));
      if (input.actorId) where.push(eq(tenantAuditLogs.actorId, input.actorId));
      if (input.from) where.push(gte(tenantAuditLogs.createdAt, input.from));
      if (input.to) where.push(lte(tenantAuditLogs.createdAt, input.to));
      if (input.cursor) where.push(lt(tenantAuditLogs.id, input.cursor));
      const rows = await withTenant(ctx.services.db, ctx.tenant, ({ db }) =>
        db
          .select()
          .from(tenantAuditLogs)
          .where(and(...where))
          .orderBy(desc(tenantAuditLogs.id))
          .limit(input.limit + 1),
      );
      const page = rows.slice(0, input.limit);
      return { items: page, nextCursor: rows.length > input.limit ? page.at(-1)!.id : null };
    }),
});
