import { z } from "zod";
import { AppError } from "../errors";
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
  const origin = ctx.headers.get("origin");
  const fetchSite = ctx.headers.get("sec-fetch-site");
  let sameHost = true;
  if (origin) {
    try {
      sameHost = new URL(origin).host === ctx.headers.get("host");
    } catch {
      sameHost = false;
    }
  }
  if (!sameHost || fetchSite === "cross-site" || fetchSite === "same-site")
    throw new AppError("FORBIDDEN", "Open the event stream from this workspace's own pages.");
  return next();
});

export const realtimeRouter = router({
  /**
   * The signed-in user's ONE event stream (SSE via httpSubscriptionLink) over every channel they can
   * see. Durable events and the `ready`/`resync` markers are tracked (their id is the SSE id, so a
   * reconnect resumes after the last one); typing, presence and read updates are not.
   */
  events: authedProcedure
    .meta({ allowSuspended: true })
    .use(sameSiteStream)
    .input(z.object({ lastEventId: eventId.nullish() }).optional())
    .subscription(async function* ({ ctx, input, signal }) {
      yield* ctx.services.realtime.stream(ctx.tenant, ctx.user, {
        lastEventId: input?.lastEventId ?? null,
        signal,
      });
    }),
});
