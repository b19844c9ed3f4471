import { AppError } from "../errors";
import { permissionProcedure, publicProcedure, router } from "../trpc";
import { capturedMail } from "./mailer";

export const mailRouter = router({
  /** The workspace's mail delivery log (owners and admins): status, tries, last error — no bodies. */
  deliveries: permissionProcedure("audit:read").query(async ({ ctx }) => ({
    deliveries: await ctx.services.mail.deliveries(ctx.tenant),
  })),

  /**
   * Development only: the mails this process captured because SMTP_URL is unset (with their links).
   * Refused in production, and whenever mail really goes out through SMTP.
   */
  devMailbox: publicProcedure.query(({ ctx }) => {
    if (ctx.services.env.NODE_ENV === "production" || ctx.services.env.SMTP_URL)
      throw new AppError("NOT_FOUND", "There is no mailbox here.");
    return { mails: capturedMail() };
  }),
});
