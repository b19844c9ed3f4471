/**
 * Stripe for browser specs (test-only; part of the e2e harness, never of the product).
 *
 * The harness's apps run with offline billing. A spec that needs Stripe asks this control server
 * (on 127.0.0.1, its address in E2EConfig.stripeControl) to start, once per run, a second pair of
 * apps on a database of their own, whose billing talks to a `FakeStripe` (the strict double of
 * @nchat/billing/testing) with the test prices of packages/api/src/billing/testing.ts, metered
 * prices included. Offline specs never see it. Then the spec drives what happens on Stripe's side
 * (the customer completes Checkout, a card is declined, an invoice is paid) through the fake's own
 * methods, and every event Stripe would send is delivered, signed with the webhook secret, to that
 * web app's /api/billing/webhook, in order.
 *
 *   POST /start   { apps: ["web"] | ["web", "admin"] }   → StripeRun (starts what is not running yet)
 *   POST /call    { method, args }                       → { result, delivered } (a FakeStripe method)
 *   POST /deliver                                         → { delivered } (events sent since the last delivery)
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  METER_EVENT,
  METERED_ENV,
  startFakeStripe,
  TEST_PRICES,
  WEBHOOK_SECRET,
} from "../../packages/api/src/billing/testing";
import { FakeStripe } from "../../packages/billing/src/testing/fake-stripe";
import type { StripeRun } from "./config";

/** What the control server needs from the harness: start one app on a database of its own. */
export type StripeLauncher = {
  /** A scratch database with the control-plane migrations and the run's super admin; its env. */
  database(): Promise<Record<string, string>>;
  /** Builds the app if needed and starts it behind a TLS front; its ports. */
  app(name: "web" | "admin", env: Record<string, string>): Promise<{ internal: number; tls: number }>;
  baseDomain: string;
};

/** The FakeStripe methods a spec may call (scenario helpers and read-only views). */
const METHODS = [
  "completeCheckout",
  "asyncPaymentFailed",
  "expireCheckout",
  "setCard",
  "payInvoice",
  "failPayment",
  "payLatest",
  "latestInvoice",
  "deleteCustomer",
  "updateSubscription",
  "endSubscription",
  "trialWillEnd",
  "advance",
  "subscription",
  "usage",
  "now",
  // Fault injection: the next matching request(s) of the apps are answered with an error.
  "fail",
] as const;

type Method = (typeof METHODS)[number];

function startInput(body: unknown): ("web" | "admin")[] {
  const apps = (body as { apps?: unknown }).apps;
  if (!Array.isArray(apps) || apps.length === 0 || !apps.every((a) => a === "web" || a === "admin"))
    throw new Error('expected { apps: ["web"] or ["web", "admin"] }');
  return apps;
}

function callInput(body: unknown): { method: Method; args: unknown[] } {
  const { method, args = [] } = body as { method?: unknown; args?: unknown };
  if (!METHODS.includes(method as Method))
    throw new Error(`not a FakeStripe method a spec may call: ${method}`);
  if (!Array.isArray(args)) throw new Error("args must be an array");
  return { method: method as Method, args };
}

export type Delivery = { id: string; type: string; status: number; outcome: string | null };

export async function startStripeControl(launcher: StripeLauncher): Promise<{
  url: string;
  close(): Promise<void>;
}> {
  let fake: FakeStripe | undefined;
  let env: Record<string, string> | undefined;
  const ports: Partial<Record<"web" | "admin", { internal: number; tls: number }>> = {};
  // One start at a time (two specs' requests must not start the same app twice).
  let starting: Promise<unknown> = Promise.resolve();

  const run = (): StripeRun => ({
    webUrl: ports.web ? `https://${launcher.baseDomain}:${ports.web.tls}` : "",
    webPort: ports.web?.tls ?? 0,
    adminUrl: ports.admin ? `https://${launcher.baseDomain}:${ports.admin.tls}` : "",
    adminPort: ports.admin?.tls ?? 0,
    internal: { web: ports.web?.internal ?? 0, admin: ports.admin?.internal ?? 0 },
    env: env ?? {},
    fakePort: fake?.port ?? 0,
  });

  async function start(apps: ("web" | "admin")[]) {
    if (!fake) fake = await startFakeStripe();
    if (!env)
      env = {
        ...(await launcher.database()),
        BILLING_MODE: "stripe",
        STRIPE_SECRET_KEY: "sk_test_nchat_e2e",
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        STRIPE_API_HOST: "127.0.0.1",
        STRIPE_API_PORT: String(fake.port),
        STRIPE_API_PROTOCOL: "http",
        STRIPE_METER_API_CALLS: METER_EVENT,
        ...TEST_PRICES,
        ...METERED_ENV,
        // A checkout is paid at once (no trial), like a customer who pays.
        TRIAL_DAYS: "0",
      };
    // The web app first: the admin app's links and the webhooks go there.
    for (const name of ["web", "admin"] as const)
      if (apps.includes(name) && !ports[name]) ports[name] = await launcher.app(name, env);
    return run();
  }

  /**
   * Stripe's clock is the wall clock: the fake's stands still between its own events, so it is moved
   * up to now before each scenario step (the apps stamp meter events with the real time, which the
   * fake refuses when it lies more than five minutes ahead of its clock).
   */
  function syncClock(f: FakeStripe) {
    const lag = Math.floor(Date.now() / 1000) - f.now();
    if (lag > 0) f.advance(lag);
  }

  /** Every event the fake sent since the last delivery, POSTed to the web app as Stripe would. */
  async function deliver(): Promise<Delivery[]> {
    if (!fake) throw new Error("Stripe apps are not started: POST /start first");
    if (!ports.web) throw new Error("the Stripe web app is not started");
    syncClock(fake);
    const out: Delivery[] = [];
    for (const event of fake.takeEvents()) {
      const { body, signature } = FakeStripe.sign(event, WEBHOOK_SECRET);
      const res = await fetch(`http://localhost:${ports.web.internal}/api/billing/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "stripe-signature": signature },
        body,
      });
      const answer = (await res.json().catch(() => ({}))) as { outcome?: string };
      out.push({ id: event.id, type: event.type, status: res.status, outcome: answer.outcome ?? null });
    }
    return out;
  }

  async function call(method: Method, args: unknown[]) {
    if (!fake) throw new Error("Stripe apps are not started: POST /start first");
    syncClock(fake);
    const fn = fake[method] as (...a: unknown[]) => unknown;
    const result = fn.apply(fake, args);
    return { result: result === undefined ? null : result, delivered: await deliver() };
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const body = await readJson(req);
        let answer: unknown;
        if (req.method === "POST" && req.url === "/start") {
          const apps = startInput(body);
          const next = starting.then(() => start(apps));
          starting = next.catch(() => {});
          answer = await next;
        } else if (req.method === "POST" && req.url === "/call") {
          const { method, args } = callInput(body);
          answer = await call(method, args);
        } else if (req.method === "POST" && req.url === "/deliver") {
          answer = { delivered: await deliver() };
        } else {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
      } catch (err) {
        res
          .writeHead(500, { "content-type": "application/json" })
          .end(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fake?.close();
    },
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : {};
}
