/**
 * The API key form's scopes do what they say, in a real browser: an owner creates an admin key in
 * Settings → API keys (the list names its scope), and that key invites and removes members through
 * /api/v1; a read-and-write key made with the same form may not.
 */
import { describe, expect, it } from "vitest";
import {
  addMember,
  createWorkspace,
  e2e,
  harnessServices,
  LONG,
  rawRequest,
  screenshot,
  signedInSpec,
  tenantUrl,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

describe("API key scopes", () => {
  const slug = uniqueSlug("keys");
  const owner = { email: `owner@${slug}.test`, name: "Sam", password: "owner-password-keys-1" };
  const member = { email: `max@${slug}.test`, name: "Max", password: "member-password-keys-1" };
  let memberId = "";
  const signedIn = signedInSpec({
    slug,
    who: owner,
    prepare: async (services) => {
      // API access is a Pro feature.
      const { tenant } = await createWorkspace(services, { name: "Keys Co", slug, owner, plan: "pro" });
      memberId = await addMember(services, tenant, member);
    },
  });

  /** Creates a key with the form; returns the key shown once. */
  async function createKey(name: string, scope: RegExp): Promise<string> {
    const { page } = signedIn;
    await page.getByRole("button", { name: "Create API key" }).click();
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByRole("radio", { name: scope }).check();
    await page.getByRole("button", { name: "Create key" }).click();
    const field = page.getByLabel("API key", { exact: true });
    await field.waitFor(LONG);
    const key = await field.inputValue();
    await page.getByRole("button", { name: "I have copied it" }).click();
    return key;
  }

  const api = (key: string, method: string, path: string, body?: unknown) =>
    rawRequest({
      host: `${slug}.${e2e().baseDomain}`,
      method,
      path: `/api/v1${path}`,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it("an admin key made in Settings invites and removes members over /api/v1; a read-and-write key may not", async () => {
    const { page } = signedIn;
    await page.goto(tenantUrl(slug, "/settings#api-keys"));
    await page.getByRole("button", { name: "Create API key" }).waitFor(LONG);
    const writeKey = await createKey("Chat bot", /^Read and write/);
    const adminKey = await createKey("People sync", /^Admin/);
    await page
      .getByRole("row", { name: /People sync/ })
      .getByText("Admin", { exact: true })
      .waitFor(LONG);
    await page
      .getByRole("row", { name: /Chat bot/ })
      .getByText("Read and write", { exact: true })
      .waitFor();
    await screenshot(page, "api-keys-admin-scope");

    const refused = await api(writeKey, "DELETE", `/members/${memberId}`);
    expect(refused.status).toBe(403);
    const invited = await api(adminKey, "POST", "/members/invitations", {
      email: `new@${slug}.test`,
      role: "member",
    });
    expect(invited.status).toBe(200);
    const removed = await api(adminKey, "DELETE", `/members/${memberId}`);
    expect(removed.status).toBe(200);

    const services = await harnessServices();
    try {
      const tenant = (await services.resolver.bySlug(slug))!;
      const { members, invitations } = await services.members.list(tenant);
      expect(members.map((m) => m.email)).not.toContain(member.email);
      expect(invitations.map((i) => i.email)).toContain(`new@${slug}.test`);
    } finally {
      await services.close();
    }
  });
});
