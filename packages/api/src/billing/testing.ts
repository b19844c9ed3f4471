import { type FakeEvent, FakeStripe } from "@nchat/billing/testing";
import { SESSION_COOKIE } from "../auth/cookies";
import { billingCheckoutRoute, billingPortalRoute, billingWebhookRoute } from "../rest/billing";
import type { Services } from "../server";
import { type TestClient, testServices } from "../testing";

/** Helpers for billing tests: the real SDK against a local fake Stripe, webhooks signed like Stripe's. */

export const WEBHOOK_SECRET = "whsec_nchat_test_secret";
export const METER_EVENT = "nchat_api_calls";

export const TEST_PRICES = {
  STRIPE_PRICE_PRO_MONTHLY: "price_pro_month",
  STRIPE_PRICE_PRO_YEARLY: "price_pro_year",
  STRIPE_PRICE_ENTERPRISE_MONTHLY: "price_ent_month",
  STRIPE_PRICE_ENTERPRISE_YEARLY: "price_ent_year",
};

export const STORAGE_METER_EVENT = "nchat_storage_gb";

/** Metered prices (opt-in: pass to stripeServices) — API calls at 1 cent each, storage at 25 cents per GB. */
export const METERED_ENV = {
  STRIPE_METER_STORAGE: STORAGE_METER_EVENT,
  STRIPE_PRICE_API_CALLS_MONTHLY: "price_calls_month",
  STRIPE_PRICE_API_CALLS_YEARLY: "price_calls_year",
  STRIPE_PRICE_STORAGE_MONTHLY: "price_storage_month",
  STRIPE_PRICE_STORAGE_YEARLY: "price_storage_year",
};

/** A started fake Stripe that knows the test prices (plans, and metered prices on two meters). */
export function startFakeStripe(): Promise<FakeStripe> {
  const fake = new FakeStripe({
    price_pro_month: { interval: "month", amount: 4_900 },
    price_pro_year: { interval: "year", amount: 49_000 },
    price_ent_month: { interval: "month", amount: 19_900 },
    price_ent_year: { interval: "year", amount: 199_000 },
  });
  for (const interval of ["month", "year"] as const) {
    fake.defineMeteredPrice(`price_calls_${interval}`, { interval, unitAmount: 1, eventName: METER_EVENT });
    fake.defineMeteredPrice(`price_storage_${interval}`, {
      interval,
      unitAmount: 25,
      eventName: STORAGE_METER_EVENT,
      formula: "last",
    });
  }
  return fake.start();
}

/**
 * Services whose BillingService runs the real SDK against `fake` (STRIPE_API_HOST/PORT/PROTOCOL).
 * TRIAL_DAYS is 0 unless given, so a checkout activates at once.
 */
export function stripeServices(fake: FakeStripe, over: Record<string, string> = {}): Promise<Services> {
  return testServices({
    STRIPE_SECRET_KEY: "sk_test_nchat_fake",
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_API_HOST: "127.0.0.1",
    STRIPE_API_PORT: String(fake.port),
    STRIPE_API_PROTOCOL: "http",
    STRIPE_METER_API_CALLS: METER_EVENT,
    TRIAL_DAYS: "0",
    ...TEST_PRICES,
    ...over,
  });
}

/** POSTs an event to the webhook route as Stripe would (signed with `secret`; `signature` overrides). */
export function deliver(
  services: Services,
  event: FakeEvent,
  opts: { secret?: string; signature?: string | null; body?: string } = {},
): Promise<Response> {
  const signed = FakeStripe.sign(event, opts.secret ?? WEBHOOK_SECRET);
  const headers = new Headers({ host: "nchat.test", "content-type": "application/json" });
  const signature = opts.signature === undefined ? signed.signature : opts.signature;
  if (signature !== null) headers.set("stripe-signature", signature);
  return billingWebhookRoute(
    services,
    new Request("http://nchat.test/api/billing/webhook", {
      method: "POST",
      headers,
      body: opts.body ?? signed.body,
    }),
  );
}

/** Delivers each event in order, expecting 200 for each; returns the outcomes. */
export async function deliverAll(services: Services, ...events: FakeEvent[]): Promise<string[]> {
  const outcomes: string[] = [];
  for (const e of events) {
    const res = await deliver(services, e);
    const body = (await res.json()) as { outcome?: string; error?: unknown };
    if (res.status !== 200)
      throw new Error(`webhook ${e.type} answered ${res.status}: ${JSON.stringify(body)}`);
    outcomes.push(body.outcome!);
  }
  return outcomes;
}

/** A REST call to /api/billing/{checkout,portal} from a browser-like client of a tenant host. */
export function billingRest(
  services: Services,
  client: TestClient,
  route: "checkout" | "portal",
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  const h = client.headers();
  if (body !== undefined) h.set("content-type", "application/json");
  for (const [k, v] of Object.entries(headers)) h.set(k, v);
  const request = new Request(`http://${client.host}/api/billing/${route}`, {
    method: "POST",
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return route === "checkout"
    ? billingCheckoutRoute(services, request)
    : billingPortalRoute(services, request);
}

/** The checkout session id in a Stripe Checkout url. */
export const sessionIdOf = (url: string) => url.split("/").pop()!;

/** Owner checkout through REST, the customer pays, Stripe's three events are delivered. */
export async function subscribe(
  services: Services,
  fake: FakeStripe,
  client: TestClient,
  plan: "pro" | "enterprise" = "pro",
  interval: "month" | "year" = "month",
) {
  const res = await billingRest(services, client, "checkout", { plan, interval });
  const body = (await res.json()) as { url: string };
  if (res.status !== 200) throw new Error(`checkout answered ${res.status}: ${JSON.stringify(body)}`);
  const done = fake.completeCheckout(sessionIdOf(body.url));
  await deliverAll(services, ...done.events);
  return done.subscription;
}

export const sessionCookie = (c: TestClient) => `${SESSION_COOKIE}=${c.cookies.get(SESSION_COOKIE)}`;

/** The audit actions of a tenant, oldest first. */
export async function auditActions(services: Services, tenantId: string, prefix = "billing.") {
  const rows = await services.db.admin<
    { action: string; actor_type: string; after: Record<string, unknown> | null }[]
  >`
    select action, actor_type, after from public.tenant_audit_logs
    where tenant_id = ${tenantId} and action like ${`${prefix}%`} order by id`;
  return rows;
}

/** A tenant row as stored (superuser read, for assertions). */
export async function tenantRow(services: Services, id: string) {
  const t = await services.tenants.getTenantById(id);
  if (!t) throw new Error(`no tenant ${id}`);
  return t;
}

/** `n` more non-DM channels in a tenant's schema (for limit checks). */
export async function addChannels(services: Services, schemaName: string, n: number) {
  await services.db.admin.unsafe(
    `insert into "${schemaName}".channels (name) select 'c' || g || md5(random()::text) from generate_series(1, ${n}) g`,
  );
}

/** The number of non-DM channels in a tenant's schema. */
export async function channelCount(services: Services, schemaName: string): Promise<number> {
  const [r] = await services.db.admin.unsafe<{ n: number }[]>(
    `select count(*)::int as n from "${schemaName}".channels where kind <> 'dm'`,
  );
  return r!.n;
}

/** Catches a tRPC/AppError rejection: tRPC code, app code, message, details. */
export { rejects as rejection } from "../testing";
