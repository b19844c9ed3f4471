import { uniqueSlug } from "@nchat/db/testing";
import { describe, expect, it } from "vitest";
import { hashToken, randomToken } from "../auth/tokens";
import { tenantWithOwner as newTenantWithOwner } from "../testing";
import { accept, invite, type Owner, rejects, services, useKit, usersByEmail } from "./test-kit";

/** The security settings' "Allowed email domains": who may come in, by the domain of their address. */
useKit();

const setDomains = (owner: Owner, domains: string[]) =>
  owner.client.call((c) => c.tenant.update({ settings: { allowedEmailDomains: domains } }));
const MESSAGE =
  "Only addresses at acme.test, acme.example can join this workspace. An owner can change the allowed email domains in Settings → Security.";

describe("allowed email domains", () => {
  it("refuses invitations to other domains (created, resent, accepted); an empty list allows any address", async () => {
    const owner = await newTenantWithOwner(services, uniqueSlug("domains"));
    // The default: any address.
    expect((await owner.client.call((c) => c.ui.settings())).allowedEmailDomains).toEqual([]);
    const early = await invite(owner.client, "early@elsewhere.test");

    await setDomains(owner, ["acme.test", "acme.example"]);
    // A new invitation outside the list: the form's email field says why; nothing is stored.
    expect(await rejects(() => invite(owner.client, "someone@elsewhere.test"))).toMatchObject({
      appCode: "VALIDATION_FAILED",
      message: MESSAGE,
      details: { reason: "email_domain_not_allowed", fields: [{ path: "email", message: MESSAGE }] },
    });
    // Exactly the listed domains: neither a subdomain nor a look-alike.
    for (const email of ["a@mail.acme.test", "a@notacme.test", "a@acme.test.evil"])
      expect((await rejects(() => invite(owner.client, email))).appCode).toBe("VALIDATION_FAILED");
    const pending = (await owner.client.call((c) => c.members.list())).invitations.map((i) => i.email);
    expect(pending).toEqual(["early@elsewhere.test"]);

    // The invitation sent before the list was set can be neither resent nor accepted.
    const refused = { code: "FORBIDDEN", appCode: "FORBIDDEN", message: MESSAGE };
    expect(
      await rejects(owner.client.call((c) => c.members.resend({ id: early.invitation.id }))),
    ).toMatchObject(refused);
    expect(await rejects(() => accept(owner.client, early.token))).toMatchObject(refused);
    expect(await usersByEmail(owner.tenant.schemaName, "early@elsewhere.test")).toEqual([]);

    // Addresses at a listed domain come in as before (case does not matter).
    const ok = await invite(owner.client, "Ada@ACME.example");
    expect((await accept(owner.client, ok.token)).user).toMatchObject({ email: "ada@acme.example" });
    // The owner, whose address is elsewhere, keeps their access.
    expect(await owner.client.call((c) => c.auth.me())).toMatchObject({ user: { role: "owner" } });

    // Emptied again: any address.
    await setDomains(owner, []);
    expect((await accept(owner.client, early.token)).user).toMatchObject({ email: "early@elsewhere.test" });
  });

  it("refuses a member's change of address to another domain, asked for or confirmed", async () => {
    const owner = await newTenantWithOwner(services, uniqueSlug("domchg"));
    const ownerEmail = `owner@${owner.tenant.slug}.test`;
    // A change confirmed by a link mailed before the list was set.
    const token = randomToken();
    await services.db.admin`
      insert into ${services.db.admin(owner.tenant.schemaName)}.account_tokens
        (token_hash, user_id, purpose, email, expires_at)
      values (${hashToken(token)}, ${owner.ownerId}, 'email_verification', 'me@elsewhere.test', now() + interval '1 day')`;

    await setDomains(owner, ["acme.test", "acme.example"]);
    expect(
      await rejects(
        owner.client.call((c) =>
          c.account.changeEmail({ email: "me@elsewhere.test", password: "owner-password-1" }),
        ),
      ),
    ).toMatchObject({
      appCode: "VALIDATION_FAILED",
      details: { fields: [{ path: "email", message: MESSAGE }] },
    });
    expect(await rejects(owner.client.call((c) => c.account.verifyEmail({ token })))).toMatchObject({
      appCode: "FORBIDDEN",
      message: MESSAGE,
    });
    expect(await owner.client.call((c) => c.account.emailStatus())).toMatchObject({ email: ownerEmail });
  });
});
