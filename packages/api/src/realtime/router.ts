import { z } from "zod";
import { assertSameOrigin } from "../same-origin";
import { authedProcedure, middleware, router } from "../trpc";

/** An event id: a number from the app, or the string tRPC takes from `Last-Event-ID` on reconnect. */
const eventId = z.union([
  z.number().int().min(0),
  z
    .string()
    .regex(/^\d{1,15}$/, "An event id is a number.")
    .transform(Number),
]);

/**
 * The stream carries a session's data and announces presence: only pages of this host may open it
 * (EventSource requests from other sites carry their Origin / Sec-Fetch-Site).
 */
const sameSiteStream = middleware(({ ctx, next }) => {
  assertSameOrigin(ctx.headers, "Open the event stream from this workspace's own pages.");
  return next();
});

export const realtimeRouter = router({
  /**
   * Who is online in the workspace now (users with an open event stream in any process, as the
   * shared presence store says). Pages read it once their stream is ready; `presence` events keep
   * it current from there.
   */
  presence: authedProcedure.query(async ({ ctx }) => ({
    online: await ctx.services.realtime.onlineUsers(ctx.tenant),
  })),

  /**
   * The signed-in user's ONE event stream (SSE via httpSubscriptionLink) over every channel they can
   * see. Durable events and the `ready`/`resync` markers are tracked (their id is the SSE id, so a
   * reconnect resumes after the last one); typing, presence and read updates are not.
   */
  events: authedProcedure
    .use(sameSiteStream)
    .input(z.object({ lastEventId: eventId.nullish() }).optional())
    .subscription(async function* ({ ctx, input, signal }) {
      yield* ctx.services.realtime.stream(ctx.tenant, ctx.user, {
        lastEventId: input?.lastEventId ?? null,
        signal,
      });
    }),
});
