import { z } from "zod";
import { ADMIN_SESSION_COOKIE, clearCookie, readCookie, secureCookies, sessionCookie } from "../auth/cookies";
import {
  ADMIN_DEVICE_COOKIE,
  DEVICE_COOKIE_TTL_MS,
  deviceAccount,
  deviceKey,
  issueDeviceToken,
} from "../auth/device-cookie";
import { AppError } from "../errors";
import { AUTH_POLICIES } from "../ratelimit/policies";
import { enforceRateLimit, publicProcedure, router, superAdminProcedure } from "../trpc";

/** Sign-in for platform administrators, on the admin app only. */
export const adminAuthRouter = router({
  signIn: publicProcedure
    .input(z.object({ email: z.string().max(254), password: z.string().max(200) }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.app !== "admin")
        throw new AppError("FORBIDDEN", "Platform administration happens in the admin app.");
      await enforceRateLimit(ctx, [[AUTH_POLICIES.adminLoginPerIp, ctx.meta.ip ?? "unknown"]]);
      const key = deviceKey(ctx.services.masterKey);
      const { token, session } = await ctx.services.superAdmins.signIn(input, ctx.meta, {
        deviceOf: deviceAccount(key, "admin", readCookie(ctx.headers, ADMIN_DEVICE_COOKIE)),
      });
      ctx.resHeaders.append(
        "set-cookie",
        sessionCookie(ADMIN_SESSION_COOKIE, token, session.expiresAt, secureCookies(ctx.services.env)),
      );
      // This browser is this admin's own from now on: the account's back-off no longer applies to it.
      ctx.resHeaders.append(
        "set-cookie",
        sessionCookie(
          ADMIN_DEVICE_COOKIE,
          issueDeviceToken(key, "admin", session.admin.id),
          new Date(Date.now() + DEVICE_COOKIE_TTL_MS),
          secureCookies(ctx.services.env),
        ),
      );
      return { admin: session.admin };
    }),

  signOut: publicProcedure.mutation(async ({ ctx }) => {
    await ctx.services.superAdmins.signOut(readCookie(ctx.headers, ADMIN_SESSION_COOKIE));
    ctx.resHeaders.append("set-cookie", clearCookie(ADMIN_SESSION_COOKIE, secureCookies(ctx.services.env)));
    return { ok: true };
  }),

  me: superAdminProcedure.query(({ ctx }) => ({ admin: ctx.admin, expiresAt: ctx.adminSession.expiresAt })),
});
