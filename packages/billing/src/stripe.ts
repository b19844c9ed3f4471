import Stripe from "stripe";

export { Stripe };

export type StripeClientOptions = {
  secretKey: string;
  /** Another API server (tests: a local fake). Unset: api.stripe.com. */
  host?: string;
  port?: number;
  protocol?: "http" | "https";
};

/**
 * The Stripe SDK client. Against another host (a local fake) automatic retries are off so a test
 * sees each answer, including injected failures; against Stripe the SDK retries network errors
 * with idempotency keys.
 */
export function createStripeClient(opts: StripeClientOptions): Stripe {
  const local = opts.host !== undefined;
  return new Stripe(opts.secretKey, {
    ...(local ? { host: opts.host, port: opts.port, protocol: opts.protocol ?? "https" } : {}),
    maxNetworkRetries: local ? 0 : 2,
    timeout: 20_000,
    telemetry: false,
    appInfo: { name: "nchat" },
  });
}

/**
 * Verifies a webhook delivery's `Stripe-Signature` over the raw body and returns the event.
 * Throws `Stripe.errors.StripeSignatureVerificationError` for a bad or stale signature.
 */
export function verifyWebhook(rawBody: string, signature: string, secret: string): Stripe.Event {
  return Stripe.webhooks.constructEvent(rawBody, signature, secret);
}

/** A Stripe "No such …" answer (HTTP 404): the object does not exist (any more). */
export function isMissingResource(err: unknown): boolean {
  return (
    err instanceof Stripe.errors.StripeError && (err.statusCode === 404 || err.code === "resource_missing")
  );
}
