import { uniqueSlug } from "@nchat/db/testing";
import { describe, expect, it } from "vitest";
import { jobByName } from "../jobs/catalog";
import { tenantWithOwner } from "../testing";
import { runBillingNotices } from "./billing-notices";
import { linkIn, mailTestServices } from "./test-kit";

const deps = () => ({
  db: kit.services.db,
  mail: kit.services.mail,
  tenantUrl: (s: string) => `http://${s}.nchat.test`,
});
const kit = mailTestServices("notices", {
  MAIL_FROM: "Workspace mail <mail@nchat.test>",
  JOB_BILLING_NOTICES_CRON: "off",
  JOB_MENTIONS_CRON: "off",
});
const { smtp } = kit;

async function kinds(tenantId: string) {
  const a = kit.services.db.admin;
  const rows = await a<
    { kind: string; recipient: string }[]
  >`select kind, recipient from public.mail_deliveries
    where tenant_id = ${tenantId} order by created_at`;
  return rows;
}

describe("billing notices", () => {
  it("tell the owner once that the trial ends within 3 days", async () => {
    const far = await tenantWithOwner(kit.services, uniqueSlug("trfar"));
    const soon = await tenantWithOwner(kit.services, uniqueSlug("trsoon"), "owner-password-1");
    const a = kit.services.db.admin;
    await a`update public.tenants set status = 'trial', trial_ends_at = now() + interval '2 days'
      where id = ${soon.tenant.id}`;
    await a`update public.tenants set status = 'trial', trial_ends_at = now() + interval '10 days'
      where id = ${far.tenant.id}`;

    const first = await runBillingNotices(deps());
    expect(first.errors).toEqual([]);
    expect(first.trialEnding).toBe(1);
    const owner = `owner@${soon.tenant.slug}.test`;
    const mail = await smtp.waitFor(owner);
    expect(mail.subject).toBe(`The trial of Org ${soon.tenant.slug} ends soon`);
    expect(linkIn(mail, `http://${soon.tenant.slug}.nchat.test/billing`)).toBeTruthy();
    expect(await kinds(soon.tenant.id)).toEqual([{ kind: "trial_ending", recipient: owner }]);
    expect(await kinds(far.tenant.id)).toEqual([]);

    // Again: nothing more for this trial.
    expect((await runBillingNotices(deps())).trialEnding).toBe(0);
    expect(await kinds(soon.tenant.id)).toHaveLength(1);
  });

  it("tell the owner when a payment failed, once per failure (through the scheduled job)", async () => {
    const o = await tenantWithOwner(kit.services, uniqueSlug("payfail"));
    const a = kit.services.db.admin;
    await a`update public.tenants set last_payment_status = 'failed', last_payment_amount = 1900,
      last_payment_date = now() - interval '1 minute' where id = ${o.tenant.id}`;
    const job = jobByName("billing-notices")!;
    const r = await job.run({ ...kit.services, retentionDays: 30 });
    expect(r.errors).toEqual([]);
    expect(r.summary.paymentFailed).toBe(1);
    const owner = `owner@${o.tenant.slug}.test`;
    const mail = await smtp.waitFor(owner);
    expect(mail.subject).toBe(`A payment for Org ${o.tenant.slug} failed`);
    expect(mail.text).toContain("(19.00)");
    expect((await job.run({ ...kit.services, retentionDays: 30 })).summary.paymentFailed).toBe(0);

    // A later failure (its date after the notice) is a new notice.
    await a`update public.tenants set last_payment_date = now() where id = ${o.tenant.id}`;
    expect((await job.run({ ...kit.services, retentionDays: 30 })).summary.paymentFailed).toBe(1);
    expect((await kinds(o.tenant.id)).map((k) => k.kind)).toEqual(["payment_failed", "payment_failed"]);
  });
});
