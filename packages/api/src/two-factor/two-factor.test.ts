import { withTenant } from "@nchat/db";
import { uniqueSlug } from "@nchat/db/testing";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { type Actor, SYSTEM } from "../audit/actor";
import { SESSION_COOKIE } from "../auth/cookies";
import { TestClient, tenantWithOwner } from "../testing";
import {
  addMember,
  codeOf,
  enrol,
  nextStep,
  PASSWORD,
  passwordStep,
  rejects,
  services,
  setRequire2fa,
  useKit,
} from "./test-kit";

/** Two-factor authentication: enrolment, a workspace that requires it, a lost second factor. */
useKit();

describe("enrolment", () => {
  it("shows a secret as an otpauth URI, QR code and manual key; a first valid code turns it on", async () => {
    const slug = uniqueSlug("tfa");
    const { client, tenant, ownerId } = await tenantWithOwner(services, slug);
    expect(await client.call((c) => c.twoFactor.status())).toEqual({
      enabled: false,
      pending: false,
      required: false,
      recoveryCodesLeft: 0,
    });
    const e = await client.call((c) => c.twoFactor.begin());
    expect(e.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(e.uri);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.searchParams.get("secret")).toBe(e.secret);
    expect(uri.searchParams.get("algorithm")).toBe("SHA1");
    expect(uri.searchParams.get("digits")).toBe("6");
    expect(uri.searchParams.get("period")).toBe("30");
    expect(decodeURIComponent(e.uri)).toContain(`owner@${slug}.test`);
    expect(e.qrCode).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(e.qrCode.split(",")[1]!, "base64").toString()).toContain("<svg");
    expect(await client.call((c) => c.twoFactor.status())).toMatchObject({ enabled: false, pending: true });

    // Stored sealed with the tenant's data key, never in clear.
    const [row] = await withTenant(services.db, tenant, ({ db, t }) =>
      db.select({ secret: t.users.totpSecret }).from(t.users).where(eq(t.users.id, ownerId)),
    );
    expect(row?.secret).toBeTruthy();
    expect(row?.secret).not.toContain(e.secret);
    expect(Buffer.from(row!.secret!, "base64").toString()).not.toContain(e.secret);

    // A wrong code is the form's field error, not 401: the app would take that for a lost session.
    expect(await rejects(client.call((c) => c.twoFactor.confirm({ code: "000000" })))).toMatchObject({
      appCode: "VALIDATION_FAILED",
      details: { fields: [{ path: "code" }] },
    });
    expect(await client.call((c) => c.twoFactor.status())).toMatchObject({ pending: true }); // still signed in
    const { recoveryCodes } = await client.call((c) => c.twoFactor.confirm({ code: codeOf(e.secret) }));
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z0-9]{5}-[a-z0-9]{5}$/);
    expect(await client.call((c) => c.twoFactor.status())).toEqual({
      enabled: true,
      pending: false,
      required: false,
      recoveryCodesLeft: 10,
    });
    // Recovery codes are stored as hashes only.
    const stored = await withTenant(services.db, tenant, ({ db, t }) =>
      db.select({ hash: t.recoveryCodes.codeHash }).from(t.recoveryCodes),
    );
    expect(stored).toHaveLength(10);
    for (const { hash } of stored) expect(recoveryCodes.join()).not.toContain(hash);
    // Enrolling again is refused while it is on.
    expect(await rejects(client.call((c) => c.twoFactor.begin()))).toMatchObject({ appCode: "CONFLICT" });
  });

  it("is turned off only with the password and a valid code", async () => {
    const slug = uniqueSlug("tfoff");
    const { client } = await tenantWithOwner(services, slug);
    const { secret } = await enrol(client);
    expect(
      await rejects(
        client.call((c) => c.twoFactor.disable({ password: "wrong-password", code: codeOf(secret) })),
      ),
    ).toMatchObject({ appCode: "VALIDATION_FAILED", details: { fields: [{ path: "password" }] } });
    nextStep();
    expect(
      await rejects(client.call((c) => c.twoFactor.disable({ password: PASSWORD, code: "000000" }))),
    ).toMatchObject({ appCode: "VALIDATION_FAILED", details: { fields: [{ path: "code" }] } });
    expect(await client.call((c) => c.twoFactor.status())).toMatchObject({ enabled: true }); // still signed in, still on
    await new Promise((r) => setTimeout(r, 1_100)); // the wrong code's back-off (1 s) runs out
    nextStep();
    await client.call((c) => c.twoFactor.disable({ password: PASSWORD, code: codeOf(secret) }));
    expect(await client.call((c) => c.twoFactor.status())).toMatchObject({
      enabled: false,
      recoveryCodesLeft: 0,
    });
    const { res } = await passwordStep(client.host, `owner@${slug}.test`);
    expect(res).toMatchObject({ needsCode: false });
  });
});

describe("a workspace that requires two-factor authentication", () => {
  it("refuses members without a second factor everything but enrolment, until they enrol", async () => {
    const slug = uniqueSlug("tfreq");
    const { client: owner, tenant } = await tenantWithOwner(services, slug);
    await setRequire2fa(tenant.id, true);
    const { client: member } = await addMember(tenant, owner.host);

    expect(await member.call((c) => c.auth.me())).toMatchObject({
      user: { role: "member" },
      twoFactor: { enabled: false, required: true, mustEnrol: true },
    });
    for (const call of [
      () => member.call((c) => c.tenant.get()),
      () => member.call((c) => c.chat.channels()),
      () => member.call((c) => c.members.list()),
      () => member.call((c) => c.twoFactor.regenerateRecoveryCodes({ code: "000000" })),
    ]) {
      expect(await rejects(call())).toMatchObject({ code: "FORBIDDEN", appCode: "TWO_FACTOR_REQUIRED" });
    }
    // Over HTTP: 403 with the stable code.
    const res = await member.http("tenant.get");
    expect(res.status).toBe(403);
    expect(JSON.stringify(await res.json())).toContain("TWO_FACTOR_REQUIRED");

    // What enrolment needs stays open; then everything is.
    expect(await member.call((c) => c.twoFactor.status())).toMatchObject({ enabled: false, required: true });
    const { secret } = await enrol(member);
    expect(await member.call((c) => c.auth.me())).toMatchObject({
      twoFactor: { enabled: true, required: true, mustEnrol: false },
    });
    await member.call((c) => c.tenant.get());
    await member.call((c) => c.chat.channels());
    expect(secret).toBeTruthy();

    // Sign-out is open to them as well.
    const { client: other } = await addMember(tenant, owner.host);
    await other.call((c) => c.auth.signOut());
    expect(other.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it("every signed-in procedure but enrolment's refuses them (found at run time)", async () => {
    const slug = uniqueSlug("tfall");
    const { client: owner, tenant } = await tenantWithOwner(services, slug);
    // A plan whose per-user request share covers one call of every procedure.
    await services.tenants.updateTenant(
      tenant.id,
      { billingPlan: "enterprise" },
      { type: "super_admin", id: "sa" },
    );
    await setRequire2fa(tenant.id, true);
    const { client: member } = await addMember(tenant, owner.host);
    const { appRouter } = await import("../root");
    // Sign-in, sign-out, the workspace's public face, invitations (no session needed) and enrolment.
    const open = new Set([
      "tenant.public",
      "members.invitation",
      "members.acceptInvitation",
      "twoFactor.status",
      "twoFactor.begin",
      "twoFactor.confirm",
      // Password reset and address confirmation need no session; the address banner (and its
      // Resend) shows on the enrolment page too; the development mailbox is no one's.
      "account.requestPasswordReset",
      "account.resetPassword",
      "account.verifyEmail",
      "account.emailStatus",
      "account.resendVerification",
      "mail.devMailbox",
    ]);
    const paths = Object.entries(
      appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
    )
      .filter(([path, p]) => p._def.type !== "subscription" && !/^(admin|adminAuth|auth)\./.test(path))
      .filter(([path]) => !open.has(path))
      .map(([path]) => path);
    expect(paths.length).toBeGreaterThan(20);
    const allowed: string[] = [];
    for (const path of paths) {
      const r = await rejects(
        member.call((caller) => {
          let fn: unknown = caller;
          for (const key of path.split(".")) fn = (fn as Record<string, unknown>)[key];
          return (fn as (input: unknown) => Promise<unknown>)({});
        }),
      ).catch(() => ({ appCode: "none" }));
      if (r.appCode !== "TWO_FACTOR_REQUIRED") allowed.push(`${path}: ${r.appCode}`);
    }
    expect(allowed).toEqual([]);
  });

  it("API keys are unaffected", async () => {
    const slug = uniqueSlug("tfkey");
    const { client: owner, tenant } = await tenantWithOwner(services, slug);
    const superAdmin: Actor = { type: "super_admin", id: "sa" };
    await services.tenants.updateTenant(tenant.id, { billingPlan: "pro" }, superAdmin);
    const { key } = await owner.call((c) => c.apiKeys.create({ name: "ci", scope: "write" }));
    await setRequire2fa(tenant.id, true);
    const keyClient = new TestClient(services, owner.host, "web", { authorization: `Bearer ${key}` });
    await keyClient.call((c) => c.chat.channels());
    await keyClient.call((c) => c.tenant.get());
    // …and cannot enrol a second factor of their own.
    expect(await rejects(keyClient.call((c) => c.twoFactor.begin()))).toMatchObject({ appCode: "FORBIDDEN" });
  });

  it("refuses attachment downloads to members without a second factor (REST)", async () => {
    const slug = uniqueSlug("tfrest");
    const { client: owner, tenant } = await tenantWithOwner(services, slug);
    await setRequire2fa(tenant.id, true);
    const { client: member } = await addMember(tenant, owner.host);
    const { downloadAttachmentRoute } = await import("../rest/attachments");
    const res = await downloadAttachmentRoute(
      services,
      new Request(`http://${member.host}/api/attachments/00000000-0000-0000-0000-000000000000`, {
        headers: member.headers(),
      }),
      "00000000-0000-0000-0000-000000000000",
    );
    expect(res.status).toBe(403);
    expect(JSON.stringify(await res.json())).toContain("TWO_FACTOR_REQUIRED");
  });
});

describe("a lost second factor", () => {
  const auditActions = async (tenantId: string) =>
    (
      await services.db.admin<{ action: string }[]>`
        select action from public.tenant_audit_logs where tenant_id = ${tenantId} order by created_at, id`
    ).map((r) => r.action);

  it("an admin resets a member's: their sessions end and the password signs in again; each change is audited", async () => {
    const slug = uniqueSlug("tfreset");
    const { client: owner, tenant, ownerId } = await tenantWithOwner(services, slug);
    const { client: member, email } = await addMember(tenant, owner.host);
    const { client: bystander } = await addMember(tenant, owner.host);
    await enrol(member);
    const listed = (await owner.call((c) => c.members.list())).members.find((m) => m.email === email)!;
    expect(listed.twoFactor).toBe(true);

    // Not a member's to do, nor one's own (that is the profile's "turn off", with a code).
    expect(
      await rejects(bystander.call((c) => c.members.resetTwoFactor({ userId: listed.id }))),
    ).toMatchObject({ appCode: "FORBIDDEN" });
    await enrol(owner);
    expect(await rejects(owner.call((c) => c.members.resetTwoFactor({ userId: ownerId })))).toMatchObject({
      appCode: "FORBIDDEN",
    });

    await owner.call((c) => c.members.resetTwoFactor({ userId: listed.id }));
    expect(await rejects(member.call((c) => c.chat.channels()))).toMatchObject({ code: "UNAUTHORIZED" });
    const { res } = await passwordStep(owner.host, email, "member-password-1");
    expect(res).toMatchObject({ needsCode: false });
    expect((await owner.call((c) => c.members.list())).members.find((m) => m.email === email)).toMatchObject({
      twoFactor: false,
    });
    // Nothing left to reset.
    expect(await rejects(owner.call((c) => c.members.resetTwoFactor({ userId: listed.id })))).toMatchObject({
      appCode: "CONFLICT",
    });

    // The owner's own: only the platform (support) resets it.
    await services.members.resetTwoFactor(tenant, SYSTEM, ownerId);
    expect((await passwordStep(owner.host, `owner@${slug}.test`)).res).toMatchObject({ needsCode: false });

    const actions = await auditActions(tenant.id);
    expect(actions.filter((a) => a === "user.two_factor_on")).toHaveLength(2);
    expect(actions.filter((a) => a === "member.two_factor_reset")).toHaveLength(2);
  });

  it("turning it off and new recovery codes are audited, never with a secret or a code", async () => {
    const slug = uniqueSlug("tfaudit");
    const { client, tenant } = await tenantWithOwner(services, slug);
    const { secret, recoveryCodes } = await enrol(client);
    const fresh = await client.call((c) => c.twoFactor.regenerateRecoveryCodes({ code: codeOf(secret) }));
    nextStep();
    await client.call((c) => c.twoFactor.disable({ password: PASSWORD, code: fresh.recoveryCodes[0]! }));
    const rows = await services.db.admin<{ action: string; entry: string }[]>`
      select action, row_to_json(l)::text as entry from public.tenant_audit_logs l
      where tenant_id = ${tenant.id} and action like 'user.%' order by created_at, id`;
    expect(rows.map((r) => r.action)).toEqual([
      "user.two_factor_on",
      "user.recovery_codes_renewed",
      "user.two_factor_off",
    ]);
    for (const { entry } of rows) {
      expect(entry).not.toContain(secret);
      for (const code of [...recoveryCodes, ...fresh.recoveryCodes]) expect(entry).not.toContain(code);
    }
  });
});
