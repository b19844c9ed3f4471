import { userActor } from "../audit/actor";
import { AppError } from "../errors";
import { authedProcedure, router } from "../trpc";
import { codeInput, disableInput } from "./inputs";
import { twoFactorService } from "./two-factor-service";

/** The signed-in person's own second factor (never an API key's). Open while enrolment is required. */
const ownFactor = authedProcedure.meta({ twoFactor: "enrolment" }).use(({ ctx, next }) => {
  if (ctx.apiKey || ctx.user.isService)
    throw new AppError("FORBIDDEN", "API keys do not use two-factor authentication.");
  return next();
});

/** Two-factor authentication (TOTP) of the signed-in user: status, enrolment, recovery codes, disable. */
export const twoFactorRouter = router({
  status: ownFactor.query(({ ctx }) => twoFactorService(ctx.services).status(ctx.tenant, ctx.user.id)),

  /** A new secret: its otpauth:// URI as a QR code and the manual key. Confirmed by `confirm`. */
  begin: ownFactor.mutation(({ ctx }) =>
    twoFactorService(ctx.services).beginEnrolment(
      { ...ctx.tenant, name: ctx.tenant.branding.appName ?? ctx.tenant.name },
      ctx.user,
    ),
  ),

  /** The first valid code turns it on; the recovery codes are in the answer, and only there. */
  confirm: ownFactor
    .input(codeInput)
    .mutation(({ ctx, input }) =>
      twoFactorService(ctx.services).confirmEnrolment(ctx.tenant, userActor(ctx), input),
    ),

  /** New recovery codes (the old ones stop working), after a current code. */
  regenerateRecoveryCodes: authedProcedure
    .input(codeInput)
    .mutation(({ ctx, input }) =>
      twoFactorService(ctx.services).regenerateRecoveryCodes(ctx.tenant, userActor(ctx), input),
    ),

  /** Turns it off, with the password and a current code (or a recovery code). */
  disable: authedProcedure.input(disableInput).mutation(async ({ ctx, input }) => {
    await twoFactorService(ctx.services).disable(ctx.tenant, userActor(ctx), input);
    return { ok: true };
  }),
});
