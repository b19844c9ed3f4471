import { withTenant } from "@nchat/db";
import { eq } from "drizzle-orm";
import { AppError } from "../errors";
import { observeRequest } from "../infra/observe";
import { unsubscribeKey, verifyUnsubscribe } from "../mail/unsubscribe";
import { anonymousChecks } from "../ratelimit/policies";
import type { Services } from "../server";
import { assertStatusAllows } from "../tenancy/status-policy";
import { createContext, enforceRateLimit } from "../trpc";
import { handle } from "./respond";

/**
 * The unsubscribe link of mention digests, without signing in:
 *
 *   GET  /api/unsubscribe?t=<token>  → 200 a page with a confirm button; changes nothing (mail
 *        scanners open links).
 *   POST /api/unsubscribe?t=<token>  → 200 mention emails are off for the person the token names
 *        (the confirm button, or a mail client's one-click List-Unsubscribe-Post).
 *
 * The token is bound to this workspace (the host) and the purpose: 404 NOT_FOUND for one that is not
 * valid here, whatever was tampered with. In the status table it is `public` (stopping mail works in
 * every status but deleted), and it spends the client address's anonymous budget on this host.
 */
export const unsubscribeRoute = (services: Services, request: Request): Promise<Response> =>
  observeRequest(
    { log: services.log, app: "web", request, route: `${request.method.toUpperCase()} /api/unsubscribe` },
    () => unsubscribe(services, request),
  );

const page = (title: string, body: string) =>
  new Response(
    `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="robots" content="noindex"><title>${title}</title></head><body style="font-family:system-ui,sans-serif;max-width:480px;margin:48px auto;padding:0 16px"><h1 style="font-size:20px">${title}</h1>${body}</body></html>`,
    {
      headers: {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "referrer-policy": "no-referrer",
      },
    },
  );

function unsubscribe(services: Services, request: Request): Promise<Response> {
  return handle(async () => {
    const method = request.method.toUpperCase();
    if (method !== "GET" && method !== "POST") throw new AppError("VALIDATION_FAILED", "Use GET or POST.");
    const ctx = await createContext({
      services,
      headers: request.headers,
      resHeaders: new Headers(),
      app: "web",
    });
    const tenant = ctx.tenant;
    assertStatusAllows(tenant, "public");
    if (!tenant) throw new AppError("TENANT_NOT_FOUND", "No workspace at this address.");
    await enforceRateLimit(ctx, anonymousChecks(tenant.id, ctx.meta.ip));
    const token = new URL(request.url).searchParams.get("t") ?? "";
    const userId = verifyUnsubscribe(unsubscribeKey(services.masterKey), "mention-emails", tenant.id, token);
    if (!userId) throw new AppError("NOT_FOUND", "This unsubscribe link is not valid.");
    if (method === "GET")
      return page(
        "Stop mention emails?",
        `<p>You will no longer get emails about mentions and direct messages while you are away. You can turn them on again in your profile.</p><form method="post"><button type="submit">Turn off mention emails</button></form>`,
      );
    await withTenant(services.db, tenant, ({ db, t }) =>
      db.update(t.users).set({ mentionEmails: false }).where(eq(t.users.id, userId)),
    );
    return page("Mention emails are off", "<p>You can turn them on again in your profile.</p>");
  });
}
