import type { Stripe } from "@nchat/billing";
import { type Database, withPlatformAdmin } from "@nchat/db";
import { stripeWebhooks } from "@nchat/db/public";
import { eq } from "drizzle-orm";
import { audit, SYSTEM } from "../audit/actor";
import { rejectMeterEvents } from "./metered-usage";
import type { WebhookResult } from "./types";

/**
 * Stripe reports meter events it could not use (no such meter, an unknown customer, a bad value)
 * later, as `v1.billing.meter.*` thin events sent to an event destination (docs/billing.md). Such an
 * event carries only its id; the details are fetched from Stripe. The meter events it names (by
 * identifier, in its sample errors) are marked rejected with Stripe's message, each tenant
 * concerned gets an audit entry, and the event is stored with the other Stripe events, once.
 */
export const METER_ERROR_EVENTS = new Set([
  "v1.billing.meter.error_report_triggered",
  "v1.billing.meter.no_meter_found",
]);

type MeterErrorData = {
  developer_message_summary?: string;
  reason?: {
    error_types?: {
      code: string;
      sample_errors?: { error_message: string; request?: { identifier?: string } }[];
    }[];
  };
};

export async function processThinEvent(
  deps: { db: Database; log?: (msg: string, err?: unknown) => void },
  notification: { id: string; type: string; fetchEvent(): Promise<unknown> },
): Promise<WebhookResult> {
  const base = { eventId: notification.id, type: notification.type };
  const [seen] = await withPlatformAdmin(deps.db, (tx) =>
    tx
      .select({ status: stripeWebhooks.status })
      .from(stripeWebhooks)
      .where(eq(stripeWebhooks.id, notification.id)),
  );
  if (seen && seen.status !== "failed") return { ...base, outcome: "duplicate", tenantId: null };
  if (!METER_ERROR_EVENTS.has(notification.type)) {
    await store(
      deps.db,
      notification.id,
      notification.type,
      null,
      "ignored",
      `not handled: ${notification.type}`,
      {
        id: notification.id,
        type: notification.type,
      },
    );
    return { ...base, outcome: "ignored", tenantId: null };
  }
  const event = (await notification.fetchEvent()) as Stripe.V2.Core.Event & { data?: MeterErrorData };
  const data = event.data ?? {};
  const samples = (data.reason?.error_types ?? []).flatMap((t) =>
    (t.sample_errors ?? [])
      .filter((s) => s.request?.identifier)
      .map((s) => ({ identifier: s.request!.identifier!, message: `${t.code}: ${s.error_message}` })),
  );
  const tenantIds = await rejectMeterEvents(deps, samples);
  const summary = data.developer_message_summary ?? notification.type;
  deps.log?.(`billing: Stripe reported meter errors (${notification.type}): ${summary}`);
  await withPlatformAdmin(deps.db, async (tx) => {
    for (const tenantId of tenantIds)
      await audit(tx, tenantId, SYSTEM, {
        action: "billing.meter_error",
        resourceType: "stripe_event",
        resourceId: notification.id,
        after: { type: notification.type, summary, samples: samples.slice(0, 5) },
      });
  });
  await store(deps.db, notification.id, notification.type, tenantIds[0] ?? null, "processed", summary, {
    id: event.id,
    type: event.type,
    created: event.created,
    data,
  });
  return { ...base, outcome: "processed", tenantId: tenantIds[0] ?? null };
}

function store(
  db: Database,
  id: string,
  type: string,
  tenantId: string | null,
  status: string,
  note: string | null,
  payload: unknown,
) {
  return withPlatformAdmin(db, (tx) =>
    tx
      .insert(stripeWebhooks)
      .values({ id, type, tenantId, status, error: note, payload, processedAt: new Date() })
      .onConflictDoUpdate({
        target: stripeWebhooks.id,
        set: { status, error: note, processedAt: new Date() },
      }),
  );
}
