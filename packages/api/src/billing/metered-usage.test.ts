import { PLANS } from "@nchat/billing";
import { type FakeStripe, INVOICE_GRACE } from "@nchat/billing/testing";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../server";
import { tenantWithOwner } from "../testing";
import {
  auditActions,
  deliver,
  deliverAll,
  METER_EVENT,
  METERED_ENV,
  STORAGE_METER_EVENT,
  startFakeStripe,
  stripeServices,
  subscribe,
  tenantRow,
  WEBHOOK_SECRET,
} from "./testing";

let fake: FakeStripe;
let services: Services;
beforeAll(async () => {
  fake = await startFakeStripe();
  services = await stripeServices(fake, METERED_ENV);
});
afterAll(async () => {
  await services.close();
  await fake.close();
});

const HOUR = 3600;
/** The app's clock is Stripe's clock in these tests (the fake's moves forward with `advance`). */
const stripeNow = () => new Date(fake.now() * 1000);
const monthOf = (d: Date) => d.toISOString().slice(0, 7);
const runUsage = (tenantId: string) =>
  services.billing.runJobs({ now: stripeNow(), tenantIds: [tenantId] }).then((r) => r.usage);

async function setApiCalls(tenantId: string, period: string, apiCalls: number) {
  await services.db.admin`
    insert into public.tenant_usage (tenant_id, period, api_calls_total) values (${tenantId}, ${period}, ${apiCalls})
    on conflict (tenant_id, period) do update set api_calls_total = excluded.api_calls_total`;
}

async function meterRows(tenantId: string) {
  return services.db.admin<
    {
      identifier: string;
      meter: string;
      quantity: string;
      cumulative: string;
      status: string;
      event_at: Date;
      error: string | null;
    }[]
  >`select identifier, meter, quantity, cumulative, status, event_at, error from public.billing_meter_events
    where tenant_id = ${tenantId} order by created_at, identifier`;
}

/** Delivers everything Stripe sent since the last call. */
const deliverPending = () => deliverAll(services, ...fake.takeEvents());

type InvoiceLine = { quantity: number; amount: number; pricing: { price_details: { price: string } } | null };
const usageLine = (invoice: { lines: { data: InvoiceLine[] } }, price: string) =>
  invoice.lines.data.find((l) => l.pricing?.price_details.price === price);

/** Moves Stripe's clock to the next start of a UTC month (so a subscription's periods are calendar months). */
function toMonthStart() {
  const now = stripeNow();
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  fake.advance(Math.ceil((next - now.getTime()) / 1000));
  fake.takeEvents();
}

describe("usage-based billing through Stripe meters", () => {
  it("Checkout puts the metered prices on the subscription; an interval change moves them to the new interval", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("mu-items"));
    const sub = await subscribe(services, fake, client, "pro", "month");
    const prices = (id: string) =>
      fake
        .subscription(id)
        .items.data.map((i) => i.price.id)
        .sort();
    expect(prices(sub.id)).toEqual(["price_calls_month", "price_pro_month", "price_storage_month"]);
    await client.call((c) => c.billing.changePlan({ plan: "pro", interval: "year" }));
    expect(prices(sub.id)).toEqual(["price_calls_year", "price_pro_year", "price_storage_year"]);
    // The plan is found by its price, not by the item's position.
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      billingPlan: "pro",
      billingInterval: "year",
    });
  });

  it("API calls above the allowance: growth reported during the period, billed as a line of the next invoice", async () => {
    toMonthStart();
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("mu-api"));
    const sub = await subscribe(services, fake, client, "pro");
    const t = await tenantRow(services, tenant.id);
    const allowance = PLANS.pro.limits.apiCallsPerMonth;
    const month = monthOf(stripeNow());

    await setApiCalls(tenant.id, month, allowance - 10);
    expect((await runUsage(tenant.id)).reported).toEqual([]);
    fake.advance(2 * 86_400);
    await setApiCalls(tenant.id, month, allowance + 250);
    const first = await runUsage(tenant.id);
    expect(first.reported).toMatchObject([{ slug: tenant.slug, meter: "api_calls", quantity: 250 }]);
    fake.advance(86_400);
    await setApiCalls(tenant.id, month, allowance + 350);
    expect((await runUsage(tenant.id)).reported).toMatchObject([{ quantity: 100 }]);
    expect((await runUsage(tenant.id)).reported).toEqual([]);

    const rows = await meterRows(tenant.id);
    expect(rows.map((r) => [r.quantity, r.cumulative, r.status])).toEqual([
      ["250", "250", "sent"],
      ["100", "350", "sent"],
    ]);
    // Each event lies inside the subscription's current period (not at the calendar month's last second).
    for (const r of rows) {
      expect(new Date(r.event_at).getTime()).toBeGreaterThanOrEqual(t.currentPeriodStart!.getTime());
      expect(new Date(r.event_at).getTime()).toBeLessThan(t.currentPeriodEnd!.getTime());
    }
    const sent = fake.meterEvents.filter((e) => e.customer === t.stripeCustomerId);
    expect(sent.map((e) => [e.event_name, e.value, e.identifier])).toEqual(
      rows.map((r) => [METER_EVENT, Number(r.quantity), r.identifier]),
    );

    // The owner sees it, with Stripe's estimate of the next invoice.
    await setApiCalls(tenant.id, monthOf(new Date()), allowance + 5); // the view's "now" is the app's clock
    const view = await client.call((c) => c.billing.usage());
    expect(view.billed).toBe(true);
    expect(view.meters.find((m) => m.meter === "api_calls")).toMatchObject({
      reported: 350,
      overage: 5,
      pending: 0,
    });
    expect(view.estimate?.lines).toEqual(
      expect.arrayContaining([expect.objectContaining({ quantity: 350, amount: 350 })]),
    );

    // The period ends: the renewal invoice bills the period's 350 calls.
    const events = fake.advance(t.currentPeriodEnd!.getTime() / 1000 - fake.now() + INVOICE_GRACE + 60);
    const paid = events.find((e) => e.type === "invoice.paid")!.data.object as unknown as {
      lines: { data: InvoiceLine[] };
    };
    expect(usageLine(paid, "price_calls_month")).toMatchObject({ quantity: 350, amount: 350 });
    await deliverPending();
    expect((await tenantRow(services, tenant.id)).currentPeriodStart!.getTime()).toBe(
      t.currentPeriodEnd!.getTime(),
    );
    expect(fake.subscription(sub.id).status).toBe("active");
  });

  it("late usage: within the grace after a renewal it is stamped into the closed period's draft invoice; after the grace onto the next one", async () => {
    toMonthStart();
    const a = await tenantWithOwner(services, uniqueSlug("mu-late"));
    const b = await tenantWithOwner(services, uniqueSlug("mu-later"));
    await subscribe(services, fake, a.client, "pro");
    await subscribe(services, fake, b.client, "pro");
    const month = monthOf(stripeNow());
    const allowance = PLANS.pro.limits.apiCallsPerMonth;
    const start = (await tenantRow(services, a.tenant.id)).currentPeriodEnd!;
    await setApiCalls(a.tenant.id, month, allowance + 40); // used in the month's last hours, not reported yet
    await setApiCalls(b.tenant.id, month, allowance + 60);

    fake.advance(start.getTime() / 1000 - fake.now() + 10 * 60); // renewed ten minutes ago: the invoices are drafts
    await deliverPending();
    const lateA = await runUsage(a.tenant.id);
    expect(lateA.reported).toMatchObject([{ quantity: 40 }]);
    expect(lateA.reported[0]!.eventAt.getTime()).toBe(start.getTime() - 1000);
    const customerA = (await tenantRow(services, a.tenant.id)).stripeCustomerId;
    const closedA = fake
      .advance(INVOICE_GRACE)
      .find(
        (e) => e.type === "invoice.paid" && (e.data.object as { customer: string }).customer === customerA,
      );
    const invoiceA = closedA!.data.object as unknown as { lines: { data: InvoiceLine[] } };
    expect(usageLine(invoiceA, "price_calls_month")).toMatchObject({ quantity: 40 });

    // b's usage is reported after the grace: stamped now, it lands on the next invoice.
    const lateB = await runUsage(b.tenant.id);
    expect(lateB.reported).toMatchObject([{ quantity: 60 }]);
    expect(lateB.reported[0]!.eventAt.getTime()).toBeGreaterThanOrEqual(
      start.getTime() + INVOICE_GRACE * 1000,
    );
    const bt = await tenantRow(services, b.tenant.id);
    expect(
      fake.usage(
        bt.stripeCustomerId!,
        METER_EVENT,
        start.getTime() / 1000,
        bt.currentPeriodEnd!.getTime() / 1000,
      ),
    ).toBe(60);
  });

  it("an event whose answer was lost is sent again with the same identifier and counted once; a 5xx leaves it pending", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("mu-out"));
    await subscribe(services, fake, client, "pro");
    const t = await tenantRow(services, tenant.id);
    await setApiCalls(tenant.id, monthOf(stripeNow()), PLANS.pro.limits.apiCallsPerMonth + 7);

    fake.fail("POST", "/v1/billing/meter_events", { status: 500 });
    const report = await services.billing.runJobs({ now: stripeNow(), tenantIds: [tenant.id] });
    expect(report.usage.reported).toEqual([]);
    expect(report.errors).toMatchObject([{ slug: tenant.slug, job: "metered_usage" }]);
    expect((await meterRows(tenant.id)).map((r) => r.status)).toEqual(["pending"]);

    expect((await runUsage(tenant.id)).reported).toMatchObject([{ quantity: 7 }]);
    // As if the process stopped after Stripe accepted the event but before it was marked sent.
    await services.db
      .admin`update public.billing_meter_events set status = 'pending' where tenant_id = ${tenant.id}`;
    expect((await runUsage(tenant.id)).reported).toMatchObject([{ quantity: 7 }]);
    const posts = fake.meterEvents.filter((e) => e.customer === t.stripeCustomerId);
    expect(posts.map((e) => e.duplicate)).toEqual([false, true]);
    expect(fake.usage(t.stripeCustomerId!, METER_EVENT, 0, fake.now() + 60)).toBe(7);

    // Not confirmed within Stripe's 24-hour window: not resent (it could count twice), and shown.
    await services.db
      .admin`update public.billing_meter_events set status = 'pending', created_at = now() - interval '2 days' where tenant_id = ${tenant.id}`;
    const expired = await services.billing.runJobs({ now: stripeNow(), tenantIds: [tenant.id] });
    expect(expired.errors).toMatchObject([{ error: expect.stringContaining("expired") }]);
    expect((await meterRows(tenant.id))[0]).toMatchObject({ status: "expired" });
    const view = await client.call((c) => c.billing.usage());
    expect(view.meters.find((m) => m.meter === "api_calls")!.problems[0]).toMatch(/24-hour/);
  });

  it("storage above the allowance: whole GB, reported when it changes, billed as the period's last value", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("mu-sto"));
    await subscribe(services, fake, client, "pro");
    const t = await tenantRow(services, tenant.id);
    const GB = 1024 ** 3;
    const store = (bytes: number) =>
      services.db.admin.unsafe(
        `insert into "${tenant.schemaName}".attachments (channel_id, file_name, content_type, size_bytes, storage_key, key_version)
         select id, 'big.bin', 'application/octet-stream', ${bytes}, md5(random()::text), 1 from "${tenant.schemaName}".channels limit 1`,
      );
    await store(PLANS.pro.limits.storageGb * GB + 2.5 * GB);
    expect((await runUsage(tenant.id)).reported).toMatchObject([{ meter: "storage", quantity: 3 }]);
    expect((await runUsage(tenant.id)).reported).toEqual([]);
    fake.advance(HOUR);
    await store(GB);
    expect((await runUsage(tenant.id)).reported).toMatchObject([{ meter: "storage", quantity: 4 }]);
    expect(fake.usage(t.stripeCustomerId!, STORAGE_METER_EVENT, 0, fake.now() + 60)).toBe(4);
  });

  it("Stripe's v1.billing.meter error event marks the report rejected, audits it and shows it to the owner", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("mu-err"));
    await subscribe(services, fake, client, "pro");
    // A report for a customer Stripe does not know (say, an id restored from an old backup).
    await services.db
      .admin`update public.tenants set stripe_customer_id = 'cus_from_old_backup' where id = ${tenant.id}`;
    await setApiCalls(tenant.id, monthOf(stripeNow()), PLANS.pro.limits.apiCallsPerMonth + 3);
    expect((await runUsage(tenant.id)).reported).toMatchObject([{ quantity: 3 }]);
    const thin = fake.thinEvents.at(-1)!;
    expect(thin.type).toBe("v1.billing.meter.error_report_triggered");

    const res = await deliver(services, thin as never);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "processed" });
    expect((await meterRows(tenant.id))[0]).toMatchObject({
      status: "rejected",
      error: expect.stringContaining("meter_event_customer_not_found"),
    });
    expect((await auditActions(services, tenant.id, "billing.meter_error")).length).toBe(1);
    const again = await deliver(services, thin as never);
    expect(await again.json()).toMatchObject({ outcome: "duplicate" });
    const view = await client.call((c) => c.billing.usage());
    expect(view.meters.find((m) => m.meter === "api_calls")!.problems[0]).toMatch(/not found/);
    // A forged thin event is refused like any other delivery.
    const forged = await deliver(services, thin as never, { secret: `${WEBHOOK_SECRET}-not` });
    expect(forged.status).toBe(400);
  });

  it("thin events are checked with the event destination's own secret when one is set", async () => {
    const own = await stripeServices(fake, {
      ...METERED_ENV,
      STRIPE_EVENT_DESTINATION_SECRET: "whsec_destination",
    });
    try {
      await own.billing.stripe!.billing.meterEvents.create({
        event_name: "no_such_meter",
        payload: { stripe_customer_id: "cus_x", value: "1" },
      });
      const thin = fake.thinEvents.at(-1)!;
      expect((await deliver(own, thin as never)).status).toBe(400); // signed with the endpoint's secret
      const res = await deliver(own, thin as never, { secret: "whsec_destination" });
      expect(await res.json()).toMatchObject({
        outcome: "processed",
        event: thin.id,
      });
    } finally {
      await own.close();
    }
  });
});
