/**
 * Tenant headers from a client are never trusted: the proxy strips every inbound X-Tenant-* header
 * and resolves the tenant from Host alone — for pages and for API routes, even when the forged
 * context carries a valid signature.
 */
import { contextKey, SYSTEM, setTenantHeaders } from "@nchat/api";
import { parseMasterKey } from "@nchat/db";
import { beforeAll, describe, expect, it } from "vitest";
import {
  browserSpec,
  e2e,
  newUserContext,
  rawRequest,
  screenshot,
  tenantUrl,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

type Json = {
  result?: { data?: { json?: Record<string, unknown> } };
  error?: { json?: { data?: { appCode?: string } } };
};

describe("spoofed tenant headers", () => {
  const spec = browserSpec();
  const a = { slug: uniqueSlug("alpha"), email: "owner@alpha.test", password: "alpha-password-1" };
  const b = { slug: uniqueSlug("bravo"), email: "owner@bravo.test", password: "bravo-password-1" };
  let spoof: Record<string, string> = {};
  let aId = "";

  beforeAll(async () => {
    for (const t of [a, b]) {
      await spec.services.tenants.createTenant(
        {
          name: `Org ${t.slug}`,
          slug: t.slug,
          ownerEmail: t.email,
          ownerName: "Owner",
          ownerPassword: t.password,
        },
        SYSTEM,
      );
    }
    const resolvedA = await spec.services.resolver.bySlug(a.slug);
    if (!resolvedA) throw new Error("tenant A did not resolve");
    aId = resolvedA.id;
    // A context for A signed with the deployment's real key: a stolen or replayed header set.
    const headers = setTenantHeaders(
      new Headers(),
      resolvedA,
      contextKey(parseMasterKey(e2e().env.MASTER_ENCRYPTION_KEY!)),
    );
    spoof = Object.fromEntries(headers.entries());
  });

  it("are ignored on pages", async () => {
    expect(Object.keys(spoof)).toEqual(
      expect.arrayContaining(["x-tenant-id", "x-tenant-slug", "x-tenant-context", "x-tenant-signature"]),
    );
    const ctx = await newUserContext(spec.browser, { extraHTTPHeaders: spoof });
    const page = await ctx.newPage();
    await page.goto(tenantUrl(b.slug, "/login"));
    await page.getByRole("heading", { name: `Sign in to Org ${b.slug}` }).waitFor();
    expect(await page.getByText(`Org ${a.slug}`).count()).toBe(0);
    await screenshot(page, "20-spoofed-headers-login");
    // Signing in with A's credentials on B's host fails: B's users are in B's schema only.
    await page.getByLabel("Email").fill(a.email);
    await page.getByLabel("Password").fill(a.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("The email or password is incorrect.").waitFor();
    await screenshot(page, "21-spoofed-headers-wrong-tenant-login");
    await ctx.close();
  });

  it("are ignored by tRPC and REST routes", async () => {
    const publicOf = async (host: string, headers: Record<string, string> = {}) => {
      const res = await rawRequest({ host, path: "/api/trpc/tenant.public", headers });
      return { status: res.status, body: JSON.parse(res.body) as Json };
    };
    const onB = await publicOf(`${b.slug}.localhost`, spoof);
    expect(onB.status).toBe(200);
    expect(onB.body.result?.data?.json?.slug).toBe(b.slug);
    expect(onB.body.result?.data?.json?.id).not.toBe(aId);

    // The base domain has no tenant, whatever the headers say.
    const onBase = await publicOf("localhost", spoof);
    expect(onBase.status).toBe(404);
    expect(onBase.body.error?.json?.data?.appCode).toBe("TENANT_NOT_FOUND");

    // A real session of A, sent to B's host together with A's headers: not a session there.
    const port = e2e().webPort;
    const signIn = await rawRequest({
      host: `${a.slug}.localhost`,
      path: "/api/trpc/auth.signIn",
      method: "POST",
      headers: { "content-type": "application/json", origin: `https://${a.slug}.localhost:${port}` },
      body: JSON.stringify({ json: { email: a.email, password: a.password } }),
    });
    expect(signIn.status).toBe(200);
    const cookie = String([signIn.headers["set-cookie"]].flat()[0]).split(";")[0]!;
    const meOnA = await rawRequest({
      host: `${a.slug}.localhost`,
      path: "/api/trpc/auth.me",
      headers: { cookie },
    });
    expect((JSON.parse(meOnA.body) as Json).result?.data?.json).toMatchObject({ user: { email: a.email } });
    const meOnB = await rawRequest({
      host: `${b.slug}.localhost`,
      path: "/api/trpc/auth.me",
      headers: { cookie, ...spoof },
    });
    expect(meOnB.status).toBe(200);
    expect((JSON.parse(meOnB.body) as Json).result?.data?.json).toBeNull();

    // REST: the members of B are not readable with A's session and A's headers.
    const members = await rawRequest({
      host: `${b.slug}.localhost`,
      path: "/api/trpc/members.list",
      headers: { cookie, ...spoof },
    });
    expect(members.status).toBe(401);
    const rest = await rawRequest({
      host: `${b.slug}.localhost`,
      path: "/api/tenants/by-slug?slug=whatever",
      headers: spoof,
    });
    expect(rest.body).not.toContain(aId);
  });
});
