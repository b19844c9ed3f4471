import { SLUG_MESSAGES, slugProblem } from "@nchat/db";
import { z } from "zod";
import { clearCookie, readCookie, SESSION_COOKIE, sessionCookie } from "../auth/cookies";
import { tenantHostUrl } from "../auth/urls";
import { AppError } from "../errors";
import { AUTH_POLICIES } from "../ratelimit/policies";
import { createTenantInput } from "../services/tenant-service";
import { enforceRateLimit, publicProcedure, router, tenantProcedure } from "../trpc";

const secureCookies = () => process.env.NODE_ENV === "production";

export const authRouter = router({
  /** Live check for the sign-up form. */
  slugAvailable: publicProcedure
    .input(z.object({ slug: z.string().max(100) }))
    .query(async ({ ctx, input }) => {
      const problem = slugProblem(input.slug);
      if (problem) return { available: false, reason: SLUG_MESSAGES[problem] };
      const taken = await ctx.services.resolver.bySlug(input.slug);
      return taken
        ? { available: false, reason: "This workspace address is already taken." }
        : { available: true, reason: null };
    }),

  /**
   * Creates a workspace on the Free plan with its owner, from the base domain. The owner continues
   * signed in on the new tenant host through `continueUrl` (a single-use, 2-minute link).
   */
  signUp: publicProcedure.input(z.unknown()).mutation(async ({ ctx, input }) => {
    if (ctx.tenant)
      throw new AppError("FORBIDDEN", "Create workspaces from the main site, not from a workspace.");
    await enforceRateLimit(ctx, [[AUTH_POLICIES.signupPerIp, ctx.meta.ip ?? "unknown"]]);
    const parsed = createTenantInput.partial().safeParse(input);
    const email = parsed.success ? parsed.data.ownerEmail : undefined;
    const { tenant, ownerId } = await ctx.services.tenants.createTenant(input, {
      type: "user",
      email,
      ip: ctx.meta.ip ?? undefined,
      userAgent: ctx.meta.userAgent ?? undefined,
    });
    const token = await ctx.services.auth.createLoginToken(tenant, ownerId);
    return {
      tenant: {
        id: tenant.id,
        slug: tenant.slug,
        name: tenant.name,
        status: tenant.status,
        plan: tenant.billingPlan,
        schemaName: tenant.schemaName,
        url: tenantHostUrl(ctx.headers, ctx.services.tenancy.baseDomain, tenant.slug, "/", secureCookies()),
      },
      continueUrl: tenantHostUrl(
        ctx.headers,
        ctx.services.tenancy.baseDomain,
        tenant.slug,
        `/auth/continue?token=${encodeURIComponent(token)}`,
        secureCookies(),
      ),
    };
  }),

  signIn: tenantProcedure
    .input(z.object({ email: z.string().max(254), password: z.string().max(200) }))
    .mutation(async ({ ctx, input }) => {
      // Brute force is slowed per client address and per account, before any password check.
      await enforceRateLimit(ctx, [
        [AUTH_POLICIES.loginPerIp, ctx.meta.ip ?? "unknown"],
        [AUTH_POLICIES.loginPerAccount, `{${ctx.tenant.id}}:${input.email.trim().toLowerCase()}`],
      ]);
      const { token, session } = await ctx.services.auth.signIn(ctx.tenant, input, ctx.meta);
      ctx.resHeaders.append(
        "set-cookie",
        sessionCookie(SESSION_COOKIE, token, session.expiresAt, secureCookies()),
      );
      return { user: session.user };
    }),

  signOut: tenantProcedure.meta({ allowSuspended: true }).mutation(async ({ ctx }) => {
    await ctx.services.auth.signOut(ctx.tenant, readCookie(ctx.headers, SESSION_COOKIE));
    ctx.resHeaders.append("set-cookie", clearCookie(SESSION_COOKIE, secureCookies()));
    return { ok: true };
  }),

  /** The signed-in user of this tenant, or null. */
  me: tenantProcedure.query(async ({ ctx }) => {
    const session = await ctx.services.auth.session(ctx.tenant, readCookie(ctx.headers, SESSION_COOKIE));
    return session ? { user: session.user, expiresAt: session.expiresAt } : null;
  }),
});
