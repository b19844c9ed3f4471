import { connect, withTenant } from "@nchat/db";
import { uniqueSlug } from "@nchat/db/testing";
import { sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import type { Services } from "../server";
import { TestClient, tenantWithOwner, testServices } from "../testing";
import { linkIn, mailTestServices, ownDatabase, TestSmtp } from "./test-kit";

const kit = mailTestServices("mail", {
  MAIL_FROM: "Workspace mail <mail@nchat.test>",
  MAIL_RETRY_DELAY_SECONDS: "1",
});
const { smtp } = kit;

/** Marks a user's address verified (as its link would). */
async function verified(schema: string, email: string) {
  const a = kit.services.db.admin;
  await a`update ${a(schema)}.users set email_verified_at = now() where lower(email) = ${email}`;
}

async function owner(prefix: string, branding: Record<string, string> = {}) {
  const o = await tenantWithOwner(kit.services, uniqueSlug(prefix));
  await verified(o.tenant.schemaName, `owner@${o.tenant.slug}.test`);
  if (Object.keys(branding).length)
    await kit.services.db
      .admin`update public.tenants set branding = ${JSON.stringify(branding)}::jsonb where id = ${o.tenant.id}`;
  return o;
}

async function deliveries(tenantId: string, from: Services = kit.services) {
  return from.db.admin<{ status: string; attempts: number; last_error: string | null; kind: string }[]>`
    select status, attempts, last_error, kind from public.mail_deliveries where tenant_id = ${tenantId} order by created_at`;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("invitation by email", () => {
  it("arrives over SMTP in the workspace's branding, with a plain-text part, and its link works", async () => {
    vi.spyOn(console, "info").mockImplementation(() => {});
    const o = await owner("mail", { appName: "Acme Chat", logoUrl: "https://cdn.acme.test/logo.png" });
    const invitee = `${uniqueSlug("ann")}@people.test`;
    const res = await o.client.call((c) => c.members.inviteByEmail({ email: invitee, role: "member" }));
    expect(res.emailed).toBe(true);

    const mail = await smtp.waitFor(invitee);
    expect(mail.from?.text).toBe('"Workspace mail" <mail@nchat.test>');
    expect(mail.subject).toBe(`You are invited to Org ${o.tenant.slug} on Acme Chat`);
    expect(mail.text).toContain("Owner invited you to join");
    expect(mail.html).toContain('src="https://cdn.acme.test/logo.png"');
    expect(mail.html).toContain("Acme Chat");
    const link = linkIn(mail, `http://${o.tenant.slug}.`);
    expect(link).toBe(res.acceptUrl);

    // Follow the link through the API: the invitation page, then accepting it.
    const token = decodeURIComponent(new URL(link).pathname.split("/").pop()!);
    const visitor = new TestClient(kit.services, o.client.host);
    expect(await visitor.call((c) => c.members.invitation({ token }))).toMatchObject({ email: invitee });
    const accepted = await visitor.call((c) =>
      c.members.acceptInvitation({ token, name: "Ann", password: "member-password-1" }),
    );
    expect(accepted.user.email).toBe(invitee);
    // The invitation went to this address: the new member's address counts as verified (no banner).
    expect(await visitor.call((c) => c.account.emailStatus())).toMatchObject({ verified: true });

    await waitFor(async () => (await deliveries(o.tenant.id))[0]?.status === "sent");
    const [row] = await deliveries(o.tenant.id);
    expect(row).toMatchObject({ kind: "invitation", status: "sent", attempts: 1, last_error: null });
    // The log holds no body and no link: nothing of the token anywhere in the row.
    const [raw] = await kit.services.db
      .admin`select * from public.mail_deliveries where tenant_id = ${o.tenant.id}`;
    expect(JSON.stringify(raw)).not.toContain(token);
    // Nor does the queue (the job's mail is sealed).
    const jobs = await kit.services.db.admin`select data::text as data from pgboss.job where name = 'mail'`;
    expect(jobs.map((j) => j.data).join("")).not.toContain(token);
  });

  it("is refused (with the link still shown by `invite`) while the inviter's address is unverified", async () => {
    const o = await tenantWithOwner(kit.services, uniqueSlug("unv"));
    const err = await o.client
      .call((c) => c.members.inviteByEmail({ email: "bob@people.test", role: "member" }))
      .catch((e) => e);
    expect(err.cause).toMatchObject({ code: "FORBIDDEN", details: { reason: "EMAIL_NOT_VERIFIED" } });
    expect(await deliveries(o.tenant.id)).toEqual([]);
  });
});

describe("the queue", () => {
  it("retries after an SMTP failure: the job fails while the server is down and the mail arrives once it is back", async () => {
    vi.spyOn(console, "info").mockImplementation(() => {});
    const o = await owner("retry");
    await smtp.stop();
    const invitee = `${uniqueSlug("late")}@people.test`;
    try {
      await o.client.call((c) => c.members.inviteByEmail({ email: invitee, role: "member" }));
      // The request did not wait for SMTP; the worker's first try failed and is recorded.
      await waitFor(async () => {
        const [d] = await deliveries(o.tenant.id);
        return (d?.attempts ?? 0) >= 1 && d?.last_error !== null;
      });
      const [failed] = await deliveries(o.tenant.id);
      expect(failed).toMatchObject({ status: "queued" });
      expect(failed!.last_error).toMatch(/ECONNREFUSED|ESOCKET|connect/i);
      expect(smtp.to(invitee)).toEqual([]);
    } finally {
      await smtp.start();
    }
    const mail = await smtp.waitFor(invitee);
    expect(mail.subject).toContain("You are invited");
    await waitFor(async () => (await deliveries(o.tenant.id))[0]?.status === "sent");
    const [sent] = await deliveries(o.tenant.id);
    expect(sent!.attempts).toBeGreaterThanOrEqual(2);
  });
});

describe("shutdown", () => {
  it("lets a job that is being sent finish before the services close (graceful stop)", async () => {
    vi.spyOn(console, "info").mockImplementation(() => {});
    const slow = await new TestSmtp(1_500).start();
    const alone = await ownDatabase("mailstop");
    const mine = await testServices({
      ...alone.env,
      SMTP_URL: slow.url,
      QUEUE_WORKER: "true",
      QUEUE_POLL_SECONDS: "0.5",
      SHUTDOWN_GRACE_MS: "10000",
    });
    try {
      const o = await tenantWithOwner(mine, uniqueSlug("stop"));
      await mine.accounts.sendVerification(o.tenant, o.ownerId, "http://x.nchat.test");
      // The worker took it: one try under way, the SMTP server still holding the message.
      const log = () => deliveries(o.tenant.id, mine);
      await waitFor(async () => (await log())[0]?.attempts === 1);
      expect(slow.received).toEqual([]);
      await mine.close();
      // The services closed only after the message was accepted, and the log says so.
      expect(slow.to(`owner@${o.tenant.slug}.test`)).toHaveLength(1);
      const check = connect(alone.env.DATABASE_URL!, { max: 1 });
      try {
        const rows =
          await check`select status, attempts from public.mail_deliveries where tenant_id = ${o.tenant.id}`;
        expect(rows).toEqual([{ status: "sent", attempts: 1 }]);
      } finally {
        await check.end();
      }
    } finally {
      await mine.close();
      await slow.stop();
      await alone.drop();
    }
  });
});

describe("the delivery log", () => {
  it("shows owners and admins their own workspace's deliveries only — in SQL too, as the tenant's role", async () => {
    vi.spyOn(console, "info").mockImplementation(() => {});
    const a = await owner("loga");
    const b = await owner("logb");
    await a.client.call((c) => c.members.inviteByEmail({ email: "someone@a.test", role: "member" }));
    await b.client.call((c) => c.members.inviteByEmail({ email: "someone@b.test", role: "member" }));

    const seenByB = await b.client.call((c) => c.mail.deliveries());
    expect(seenByB.deliveries.map((d) => d.recipient)).toEqual(["someone@b.test"]);
    const seenByA = await a.client.call((c) => c.mail.deliveries());
    expect(seenByA.deliveries.map((d) => d.recipient)).toEqual(["someone@a.test"]);

    // Tenant B's role, whatever SQL it runs: no row of A, no way to write one, no queue.
    const bRef = b.tenant;
    const rows = await withTenant(kit.services.db, bRef, ({ db }) =>
      db.execute(sql`select tenant_id, recipient from public.mail_deliveries`),
    );
    expect([...rows].map((r) => r.recipient)).toEqual(["someone@b.test"]);
    await expect(
      withTenant(kit.services.db, bRef, ({ db }) =>
        db.execute(
          sql`insert into public.mail_deliveries (tenant_id, kind, recipient, subject) values (${a.tenant.id}, 'invitation', 'x@y.test', 'x')`,
        ),
      ),
    ).rejects.toMatchObject({ cause: { code: "42501" } });
    const updated = await withTenant(kit.services.db, bRef, ({ db }) =>
      db.execute(
        sql`update public.mail_deliveries set status = 'sent' where tenant_id = ${a.tenant.id} returning id`,
      ),
    );
    expect([...updated]).toEqual([]);
    await expect(
      withTenant(kit.services.db, bRef, ({ db }) => db.execute(sql`select count(*) from pgboss.job`)),
    ).rejects.toMatchObject({ cause: { code: "42501" } });
    // The app role (the queue's login) works the queue's rows but changes nothing of its structure.
    expect(await kit.services.db.app`select count(*)::int as n from pgboss.job`).toHaveLength(1);
    await expect(kit.services.db.app.unsafe("create table pgboss.evil (id int)")).rejects.toMatchObject({
      code: "42501",
    });
    await expect(kit.services.db.app.unsafe("drop table pgboss.job")).rejects.toMatchObject({
      code: "42501",
    });
  });

  it("is for owners and admins: a member is refused", async () => {
    vi.spyOn(console, "info").mockImplementation(() => {});
    const o = await owner("logm");
    const { token } = await o.client.call((c) =>
      c.members.invite({ email: "mem@people.test", role: "member" }),
    );
    const member = new TestClient(kit.services, o.client.host);
    await member.call((c) =>
      c.members.acceptInvitation({ token, name: "Mem", password: "member-password-1" }),
    );
    const err = await member.call((c) => c.mail.deliveries()).catch((e) => e);
    expect(err.cause?.code).toBe("FORBIDDEN");
  });
});

describe("without SMTP_URL", () => {
  it("captures mail in the process: the dev mailbox lists it and the console shows its link; production refuses the mailbox", async () => {
    const log = vi.spyOn(console, "info").mockImplementation(() => {});
    const alone = await ownDatabase("mailcap");
    const dev = await testServices({
      ...alone.env,
      QUEUE_WORKER: "true",
      QUEUE_POLL_SECONDS: "0.5",
      NODE_ENV: "development",
    });
    try {
      const slug = uniqueSlug("cap");
      const o = await tenantWithOwner(dev, slug);
      await dev.accounts.sendVerification(o.tenant, o.ownerId, `http://${slug}.nchat.test`);
      const to = `owner@${slug}.test`;
      const client = new TestClient(dev, o.client.host);
      await waitFor(async () => {
        const box = await client.call((c) => c.mail.devMailbox());
        return box.mails.some((m) => m.to === to);
      });
      const box = await client.call((c) => c.mail.devMailbox());
      const mail = box.mails.find((m) => m.to === to)!;
      expect(mail.text).toContain(`http://${slug}.nchat.test/verify-email?token=`);
      expect(log.mock.calls.flat().join("\n")).toContain(`mail to ${to}`);
    } finally {
      await dev.close();
      await alone.drop();
    }
    // Where mail really goes out, and in production, there is no mailbox.
    const withSmtp = new TestClient(kit.services, `x.nchat.test`);
    expect((await withSmtp.call((c) => c.mail.devMailbox()).catch((e) => e)).cause?.code).toBe("NOT_FOUND");
    const prod = await testServices({ NODE_ENV: "production", BILLING_MODE: "offline" });
    try {
      const client = new TestClient(prod, `x.nchat.test`);
      expect((await client.call((c) => c.mail.devMailbox()).catch((e) => e)).cause?.code).toBe("NOT_FOUND");
    } finally {
      await prod.close();
    }
  });
});
