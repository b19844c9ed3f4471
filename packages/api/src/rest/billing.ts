import { checkoutInput } from "../billing/billing-service";
import { parseInput } from "../errors";
import { observeRequest } from "../infra/observe";
import { createCaller } from "../root";
import type { Services } from "../server";
import { createContext } from "../trpc";
import { readJsonBody } from "./body";
import { errorResponse, handle, unwrap } from "./respond";

/**
 * The billing REST contract (the seed's paths; tRPC `billing.*` is the app's own API):
 *   POST /api/billing/checkout  owner, on the tenant's host, same origin; { plan, interval } →
 *                               { url, mode } (Stripe Checkout; offline: "/billing?upgraded=1")
 *   POST /api/billing/portal    owner → { url, mode }
 *   POST /api/billing/webhook   Stripe; raw body, `Stripe-Signature` checked with
 *                               STRIPE_WEBHOOK_SECRET → 200 { received, outcome } (also for
 *                               duplicates); 400 bad signature (nothing stored); 500 retry later
 * Errors: { "error": { "code", "message" } }.
 */

const post = (request: Request) =>
  request.method.toUpperCase() === "POST"
    ? null
    : errorResponse("VALIDATION_FAILED", "Use POST.", { status: 405 });

/** Runs one `billing.*` call as the browser's session on its host (the tRPC rules: owner, same origin). */
async function asCaller<T>(
  services: Services,
  request: Request,
  call: (caller: ReturnType<typeof createCaller>) => Promise<T>,
): Promise<Response> {
  const resHeaders = new Headers({ "cache-control": "no-store" });
  const ctx = await createContext({ services, headers: request.headers, resHeaders, app: "web" });
  const result = await call(createCaller(ctx)).catch((e) => {
    throw unwrap(e);
  });
  return Response.json(result, { headers: resHeaders });
}

const observed = (services: Services, request: Request, route: string, fn: () => Promise<Response>) =>
  observeRequest({ log: services.log, app: "web", request, route }, () => handle(fn));

export function billingCheckoutRoute(services: Services, request: Request): Promise<Response> {
  return observed(services, request, "POST /api/billing/checkout", async () => {
    const refused = post(request);
    if (refused) return refused;
    const input = parseInput(checkoutInput, (await readJsonBody(request)) ?? {});
    return asCaller(services, request, async (c) => {
      const { url, mode } = await c.billing.checkout(input);
      return { url, mode };
    });
  });
}

export function billingPortalRoute(services: Services, request: Request): Promise<Response> {
  return observed(services, request, "POST /api/billing/portal", async () => {
    const refused = post(request);
    if (refused) return refused;
    return asCaller(services, request, (c) => c.billing.portal());
  });
}

export function billingWebhookRoute(services: Services, request: Request): Promise<Response> {
  return observed(services, request, "POST /api/billing/webhook", async () => {
    const refused = post(request);
    if (refused) return refused;
    if (!services.billing.webhooksEnabled) {
      return errorResponse("INTERNAL", "Stripe webhooks are not configured on this server.", { status: 503 });
    }
    // The signature covers the exact bytes Stripe sent: never re-serialise the body.
    const raw = await request.text();
    const result = await services.billing.handleWebhook(raw, request.headers.get("stripe-signature"));
    return Response.json(
      { received: true, outcome: result.outcome, event: result.eventId },
      { headers: { "cache-control": "no-store" } },
    );
  });
}
