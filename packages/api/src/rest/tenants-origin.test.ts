import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM } from "../audit/actor";
import { ADMIN_SESSION_COOKIE, SESSION_COOKIE } from "../auth/cookies";
import type { Services } from "../server";
import { type TestClient, tenantWithOwner, testServices } from "../testing";
import { tenantByIdRoute } from "./tenants";

let services: Services;
let adminCookie: string;
beforeAll(async () => {
  services = await testServices();
  const email = `root-${uniqueSlug("o")}@nchat.test`;
  await services.superAdmins.create({ email, name: "Root", password: "super-admin-password" }, SYSTEM);
  const { token } = await services.superAdmins.signIn(
    { email, password: "super-admin-password" },
    { ip: null, userAgent: null },
  );
  adminCookie = `${ADMIN_SESSION_COOKIE}=${token}`;
});
afterAll(() => services.close());

const sessionCookie = (c: TestClient) => `${SESSION_COOKIE}=${c.cookies.get(SESSION_COOKIE)}`;

function byId(
  id: string,
  init: { method: string; host: string; cookie: string; body?: unknown; headers?: Record<string, string> },
  app: "web" | "admin" = "web",
) {
  const headers = new Headers({ host: init.host, cookie: init.cookie, ...(init.headers ?? {}) });
  if (init.body !== undefined) headers.set("content-type", "application/json");
  return tenantByIdRoute(
    services,
    app,
    new Request(`http://${init.host}/api/tenants/${id}`, {
      method: init.method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    }),
    id,
  );
}

async function expectForbidden(res: Response) {
  expect(res.status).toBe(403);
  expect(await res.json()).toEqual({
    error: { code: "FORBIDDEN", message: "Cross-origin requests cannot change data." },
  });
}

describe("PUT/DELETE /api/tenants/:id refuse cross-site requests (CSRF)", () => {
  it("with the owner's cookie: 403 FORBIDDEN from another origin or a sibling subdomain; same origin works", async () => {
    const a = await tenantWithOwner(services, uniqueSlug("csrf"));
    const sibling = await tenantWithOwner(services, uniqueSlug("csrfb"));
    const host = a.client.host;
    const cookie = sessionCookie(a.client);
    const forged: Record<string, string>[] = [
      { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      { origin: "https://evil.example" },
      { "sec-fetch-site": "cross-site" },
      // Tenant subdomains are one site: SameSite cookies do not stop a sibling workspace's page.
      { origin: `http://${sibling.client.host}`, "sec-fetch-site": "same-site" },
      { origin: "null" },
    ];
    for (const headers of forged) {
      await expectForbidden(
        await byId(a.tenant.id, { method: "PUT", host, cookie, headers, body: { name: "Pwned" } }),
      );
      await expectForbidden(await byId(a.tenant.id, { method: "DELETE", host, cookie, headers }));
    }
    const unchanged = await services.tenants.getTenantById(a.tenant.id);
    expect(unchanged).toMatchObject({ name: a.tenant.name, status: "active" });

    // The workspace's own pages (and clients that send no Origin at all) are served as before.
    const put = await byId(a.tenant.id, {
      method: "PUT",
      host,
      cookie,
      headers: { origin: `http://${host}`, "sec-fetch-site": "same-origin" },
      body: { name: "Renamed" },
    });
    expect(put.status).toBe(200);
    expect(((await put.json()) as { name: string }).name).toBe("Renamed");
    const putNoOrigin = await byId(a.tenant.id, { method: "PUT", host, cookie, body: { name: "Again" } });
    expect(putNoOrigin.status).toBe(200);
    const del = await byId(a.tenant.id, {
      method: "DELETE",
      host,
      cookie,
      headers: { origin: `http://${host}`, "sec-fetch-site": "same-origin" },
    });
    expect(del.status).toBe(204);
    expect((await services.tenants.getTenantById(a.tenant.id))?.status).toBe("deleted");
  });

  it("with a super admin's cookie on the admin app: the same rule", async () => {
    const a = await tenantWithOwner(services, uniqueSlug("csrfa"));
    const host = "admin.example";
    const forged = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };
    await expectForbidden(
      await byId(
        a.tenant.id,
        { method: "PUT", host, cookie: adminCookie, headers: forged, body: { billingPlan: "pro" } },
        "admin",
      ),
    );
    await expectForbidden(
      await byId(a.tenant.id, { method: "DELETE", host, cookie: adminCookie, headers: forged }, "admin"),
    );
    expect(await services.tenants.getTenantById(a.tenant.id)).toMatchObject({
      billingPlan: "free",
      status: "active",
    });
    const same = { origin: `http://${host}`, "sec-fetch-site": "same-origin" };
    const put = await byId(
      a.tenant.id,
      { method: "PUT", host, cookie: adminCookie, headers: same, body: { billingPlan: "pro" } },
      "admin",
    );
    expect(put.status).toBe(200);
    expect(
      (await byId(a.tenant.id, { method: "DELETE", host, cookie: adminCookie, headers: same }, "admin"))
        .status,
    ).toBe(204);
  });
});
