import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM } from "../audit/actor";
import type { Services } from "../server";
import { tenantWithOwner, testServices } from "../testing";
import { addMember, Subscription } from "./testkit";

// The admin app and the web app are two processes: a change made on one reaches the streams of the other.
let web: Services;
let admin: Services;
const open: Subscription[] = [];
beforeAll(async () => {
  [web, admin] = await Promise.all([testServices(), testServices()]);
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.stop()));
  await Promise.all([web?.close(), admin?.close()]);
});

const tenantUpdates = (sub: Subscription) => sub.items.filter((r) => r.event.type === "tenant.updated");

describe("tenant changes reach open streams", () => {
  it("a plan change by a super admin (another process) and a rename by the owner send `tenant.updated`", async () => {
    const owner = await tenantWithOwner(web, uniqueSlug("tu"));
    const member = await addMember(web, owner);
    const sub = await Subscription.open(web, member.client);
    open.push(sub);
    await sub.ready();

    await admin.tenants.updateTenant(owner.tenant.id, { billingPlan: "enterprise" }, SYSTEM);
    const first = await sub.waitFor(
      (r) => r.event.type === "tenant.updated",
      "tenant.updated after the plan change",
    );
    expect(first).toEqual({ tracked: null, event: { type: "tenant.updated", id: null } });
    // What the page then reads is the new plan (the process's tenant cache was invalidated first).
    expect(await member.client.call((c) => c.tenant.public())).toMatchObject({ plan: "enterprise" });

    await owner.client.call((c) => c.tenant.update({ name: "Renamed Org" }));
    await sub.waitFor(() => tenantUpdates(sub).length >= 2, "tenant.updated after the rename");
    expect(await member.client.call((c) => c.tenant.public())).toMatchObject({ name: "Renamed Org" });

    await admin.tenants.updateTenant(owner.tenant.id, { branding: { primaryColor: "#112233" } }, SYSTEM);
    await sub.waitFor(() => tenantUpdates(sub).length >= 3, "tenant.updated after a branding change");
  });

  it("custom limits and features, and a suspension, send `tenant.updated` too", async () => {
    const owner = await tenantWithOwner(web, uniqueSlug("tu"));
    const member = await addMember(web, owner);
    const sub = await Subscription.open(web, member.client);
    open.push(sub);
    await sub.ready();

    const limits = { users: 25, channels: 50, storageGb: 5, apiCallsPerMonth: 100_000, maxUploadMb: 10 };
    await admin.tenants.updateTenant(
      owner.tenant.id,
      { billingPlan: "custom", limits, features: { threads: true } },
      SYSTEM,
    );
    await sub.waitFor(() => tenantUpdates(sub).length >= 1, "tenant.updated after custom limits");
    expect(await owner.client.call((c) => c.tenant.get())).toMatchObject({
      plan: "custom",
      limits: { users: 25, channels: 50 },
      features: { threads: true },
    });

    await admin.tenants.updateTenant(owner.tenant.id, { status: "suspended" }, SYSTEM);
    await sub.waitFor(() => tenantUpdates(sub).length >= 2, "tenant.updated after the suspension");
    // What the page then reads says so.
    expect(await member.client.call((c) => c.tenant.public())).toMatchObject({ status: "suspended" });
  });

  it("other tenants' streams hear nothing", async () => {
    const one = await tenantWithOwner(web, uniqueSlug("tu"));
    const other = await tenantWithOwner(web, uniqueSlug("tu"));
    const sub = await Subscription.open(web, other.client);
    open.push(sub);
    await sub.ready();
    await admin.tenants.updateTenant(one.tenant.id, { billingPlan: "enterprise" }, SYSTEM);
    const mine = await Subscription.open(web, one.client);
    open.push(mine);
    await mine.ready();
    await admin.tenants.updateTenant(one.tenant.id, { billingPlan: "pro" }, SYSTEM);
    await mine.waitFor((r) => r.event.type === "tenant.updated", "the tenant's own update");
    expect(tenantUpdates(sub)).toEqual([]);
  });
});
