/**
 * Browser specs against the fake Stripe (see stripe-control.ts): `stripeSpec()` starts (once per
 * run) the apps that bill through it, and gives the spec their addresses, services over their
 * database, and `stripe.call(...)` to act on Stripe's side — each call delivers the resulting
 * webhooks to the web app before it answers.
 *
 *   const stripe = stripeSpec({ apps: ["web"] });
 *   await page.goto(stripe.tenantUrl("acme", "/billing"));
 *   await stripe.call("payLatest", subscriptionId);
 */
import { createServices, type Services } from "@nchat/api";
import { loadEnv } from "@nchat/config";
import type { Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import type { StripeRun } from "./config";
import { e2e } from "./harness";

export type Delivery = { id: string; type: string; status: number; outcome: string | null };

async function control<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${e2e().stripeControl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(`Stripe control ${path}: ${answer.error ?? res.status}`);
  return answer;
}

/** Starts what is not running yet of the Stripe apps; their addresses and environment. */
export const startStripeApps = (apps: ("web" | "admin")[]) => control<StripeRun>("/start", { apps });

/**
 * Calls a FakeStripe scenario method (completeCheckout, setCard, payLatest, latestInvoice, …) in the
 * harness, then delivers every event Stripe sent meanwhile to the web app; fails when a delivery
 * was not accepted (any status but 200).
 */
export async function stripeCall<T = unknown>(
  method: string,
  ...args: unknown[]
): Promise<{ result: T; delivered: Delivery[] }> {
  const answer = await control<{ result: T; delivered: Delivery[] }>("/call", { method, args });
  assertDelivered(answer.delivered);
  return answer;
}

/** `stripeCall` for a step whose webhooks the app may refuse (a spec that makes an event fail). */
export function stripeCallUnchecked<T = unknown>(
  method: string,
  ...args: unknown[]
): Promise<{ result: T; delivered: Delivery[] }> {
  return control<{ result: T; delivered: Delivery[] }>("/call", { method, args });
}

/** Delivers the events Stripe sent since the last delivery (e.g. after the app called Stripe). */
export async function deliverStripeEvents(): Promise<Delivery[]> {
  const { delivered } = await control<{ delivered: Delivery[] }>("/deliver", {});
  assertDelivered(delivered);
  return delivered;
}

function assertDelivered(delivered: Delivery[]) {
  const refused = delivered.filter((d) => d.status !== 200);
  if (refused.length > 0)
    throw new Error(
      `webhooks refused: ${refused.map((d) => `${d.type} ${d.status} ${d.outcome ?? ""}`).join(", ")}`,
    );
}

/**
 * Registers, on the surrounding describe, the start of the Stripe apps (`apps`) and services over
 * their database (closed after). Read its fields in hooks or tests.
 */
export function stripeSpec(opts: { apps: ("web" | "admin")[] }) {
  let run: StripeRun | undefined;
  let services: Services | undefined;
  beforeAll(async () => {
    run = await startStripeApps(opts.apps);
    services = await createServices(loadEnv({ ...run.env, NODE_ENV: "test" }), { crossProcess: false });
  }, 240_000);
  afterAll(async () => {
    await services?.close();
  });
  const ready = () => {
    if (!run || !services)
      throw new Error("the Stripe apps start before the tests: read this in a hook or a test");
    return { run, services };
  };
  return {
    get services() {
      return ready().services;
    },
    get run() {
      return ready().run;
    },
    /** https://<slug>.localhost:<port><path> on the Stripe web app. */
    tenantUrl: (slug: string, path = "/") =>
      `https://${slug}.${e2e().baseDomain}:${ready().run.webPort}${path}`,
    /** https://localhost:<port><path> on the Stripe admin app. */
    adminUrl: (path = "/") => `${ready().run.adminUrl}${path}`,
    call: stripeCall,
    callUnchecked: stripeCallUnchecked,
    deliver: deliverStripeEvents,
  };
}

/**
 * Plays the customer on Stripe Checkout in `page`: the app's redirect to the fake's Checkout page
 * is answered by completing that session (paid, or how `how` says) and its webhooks being
 * delivered, then the browser goes on to the session's success url, as Stripe would send it.
 * Call before the click that starts Checkout; returns the session id once the page got there.
 */
export async function payOnCheckout(
  page: Page,
  how: "paid" | "async" = "paid",
): Promise<() => Promise<string>> {
  let done: (id: string) => void;
  const completed = new Promise<string>((resolve) => {
    done = resolve;
  });
  await page.route("https://checkout.stripe.test/**", async (route) => {
    const id = new URL(route.request().url()).pathname.split("/").pop()!;
    const { result } = await stripeCall<{ completed: { data: { object: { success_url: string } } } }>(
      "completeCheckout",
      id,
      how,
    );
    const success = result.completed.data.object.success_url.replace("{CHECKOUT_SESSION_ID}", id);
    await route.fulfill({ status: 303, headers: { location: success } });
    done(id);
  });
  return () => completed;
}
