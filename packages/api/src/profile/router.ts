import { userActor } from "../audit/actor";
import { AppError } from "../errors";
import { AUTH_POLICIES } from "../ratelimit/policies";
import { authedProcedure, enforceRateLimit, router } from "../trpc";
import { changePasswordInput, personInput, sessionInput, updateProfileInput } from "./inputs";
import { profileServices } from "./services";

/** The signed-in person acting on their own account (never an API key: keys have no profile). */
const own = authedProcedure.use(({ ctx, next }) => {
  if (ctx.apiKey || ctx.user.isService)
    throw new AppError("FORBIDDEN", "API keys have no profile, password or sessions.");
  return next();
});

/**
 * Profiles: one's own (name, time zone, picture, password, sessions) and the card anyone in the
 * workspace sees of a person. Pictures are uploaded and served over REST (`POST /api/profile/avatar`,
 * `GET /api/avatars/:userId`, rest/avatars.ts): their bodies are raw bytes.
 */
export const profileRouter = router({
  /** The signed-in person's profile. */
  me: own.query(({ ctx }) => profileServices(ctx.services).profile.get(ctx.tenant, ctx.user.id)),

  /** Name and/or time zone (an IANA name, checked with Intl and stored canonical). */
  update: own
    .input(updateProfileInput)
    .mutation(({ ctx, input }) =>
      profileServices(ctx.services).profile.update(ctx.tenant, userActor(ctx), input),
    ),

  /** Back to initials. */
  removeAvatar: own.mutation(({ ctx }) =>
    profileServices(ctx.services).profile.removeAvatar(ctx.tenant, userActor(ctx)),
  ),

  /** A person of this workspace as everyone here sees them: picture, name, role, time zone. */
  card: authedProcedure
    .input(personInput)
    .query(({ ctx, input }) => profileServices(ctx.services).profile.card(ctx.tenant, input.userId)),

  /** Picture URLs of everyone here who has one, by person id (initials for the rest). */
  avatars: authedProcedure.query(({ ctx }) => profileServices(ctx.services).profile.avatars(ctx.tenant)),

  /** One's live sessions, the current one marked. */
  sessions: own.query(({ ctx }) =>
    profileServices(ctx.services).security.sessions(ctx.tenant, ctx.user.id, ctx.session.id),
  ),

  /** Ends one of one's own sessions; another person's is NOT_FOUND. */
  revokeSession: own
    .input(sessionInput)
    .mutation(({ ctx, input }) =>
      profileServices(ctx.services).security.revoke(
        ctx.tenant,
        userActor(ctx),
        ctx.session.id,
        input.sessionId,
      ),
    ),

  /** Ends every other session of one's own (signed out everywhere else). */
  revokeOtherSessions: own.mutation(({ ctx }) =>
    profileServices(ctx.services).security.revokeOthers(ctx.tenant, userActor(ctx), ctx.session.id),
  ),

  /**
   * A new password after the current one; the other sessions end. Limited like sign-in: per client
   * address (the sign-in policy's budget) and by the account's sign-in back-off.
   */
  changePassword: own
    .use(async ({ ctx, next }) => {
      await enforceRateLimit(ctx, [[AUTH_POLICIES.loginPerIp, ctx.meta.ip ?? "unknown"]]);
      return next();
    })
    .input(changePasswordInput)
    .mutation(({ ctx, input }) =>
      profileServices(ctx.services).security.changePassword(
        ctx.tenant,
        userActor(ctx),
        ctx.session.id,
        input,
      ),
    ),
});
