import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { platform } from "../platform/admin/context";
import type { Services } from "../server";
import { type TestClient, tenantWithOwner, testServices } from "../testing";

/**
 * Custom domains are in the Pro plan, but need the platform switch ENABLE_CUSTOM_DOMAINS too. The
 * plan's features, the billing page, the admin console and the error must tell the same story.
 */
let off: Services;
let on: Services;
beforeAll(async () => {
  [off, on] = await Promise.all([testServices(), testServices({ ENABLE_CUSTOM_DOMAINS: "true" })]);
});
afterAll(async () => {
  await Promise.all([off?.close(), on?.close()]);
});

async function proTenant(services: Services) {
  const owner = await tenantWithOwner(services, uniqueSlug("dom"));
  await services.tenants.updateTenant(
    owner.tenant.id,
    { billingPlan: "pro" },
    { type: "super_admin", id: "sa" },
  );
  await services.resolver.invalidate({ slug: owner.tenant.slug });
  return owner;
}

async function failure(client: TestClient, domain: string) {
  try {
    await client.call((c) => c.domains.add({ domain }));
  } catch (e) {
    const err = e as { message: string; cause?: { code?: string; details?: unknown } };
    return { appCode: err.cause?.code, message: err.message, details: err.cause?.details };
  }
  throw new Error("expected a rejection");
}

describe("custom domains: plan and platform agree", () => {
  it("off on the platform: not usable, not sold, flagged in the admin console, and the error names the setting", async () => {
    const owner = await proTenant(off);
    const features = await owner.client.call((c) => c.ui.features());
    expect(features.plan).toBe("pro");
    expect(features.features.customDomains).toBe(false);
    expect(features.platformOff).toEqual([{ feature: "customDomains", setting: "ENABLE_CUSTOM_DOMAINS" }]);

    const billing = await owner.client.call((c) => c.billing.status());
    expect(billing.platformOff).toEqual(["customDomains"]);

    expect(await failure(owner.client, `chat.${owner.tenant.slug}.example`)).toMatchObject({
      appCode: "FORBIDDEN",
      message: expect.stringContaining("must set ENABLE_CUSTOM_DOMAINS=true"),
      details: { reason: "platform_disabled", setting: "ENABLE_CUSTOM_DOMAINS" },
    });

    const detail = await platform(off).tenant(owner.tenant.id);
    expect(detail.tenant.features.customDomains).toBe(true); // in the plan …
    expect(detail.platformOff).toEqual([{ feature: "customDomains", setting: "ENABLE_CUSTOM_DOMAINS" }]); // … off here
  });

  it("on: Pro tenants use it, Free tenants are told it is not in their plan", async () => {
    const pro = await proTenant(on);
    const features = await pro.client.call((c) => c.ui.features());
    expect(features.features.customDomains).toBe(true);
    expect(features.platformOff).toEqual([]);
    expect((await pro.client.call((c) => c.billing.status())).platformOff).toEqual([]);
    expect((await platform(on).tenant(pro.tenant.id)).platformOff).toEqual([]);
    const added = await pro.client.call((c) => c.domains.add({ domain: `chat.${pro.tenant.slug}.example` }));
    expect(added.status).toBe("pending");

    const free = await tenantWithOwner(on, uniqueSlug("domfree"));
    expect(await failure(free.client, `chat.${free.tenant.slug}.example`)).toMatchObject({
      appCode: "FEATURE_NOT_IN_PLAN",
    });
  });
});
