import { describe, expect, it } from "vitest";
import { memberOf, rejects } from "../testing";
import { services, tenantOn, useKit } from "./test-kit";

useKit();

const hostOf = (client: { host: string }) => client.host;

describe("webhooks procedures", () => {
  it("lets owners and admins manage endpoints, never members or guests", async () => {
    const { tenant, client } = await tenantOn("pro", "hookr");
    const created = await client.call((c) =>
      c.webhooks.create({ url: "https://hooks.example.com/in", eventTypes: ["message.created"] }),
    );
    expect(created.secret).toMatch(/^whsec_/);
    // the secret is shown once: never in the list
    const listed = await client.call((c) => c.webhooks.list());
    expect(listed.map((e) => e.id)).toEqual([created.endpoint.id]);
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    const stored = await services.db.admin.unsafe<{ secret: string }[]>(
      `select secret from "${tenant.schemaName}".webhook_endpoints`,
    );
    expect(stored[0]!.secret).not.toContain(created.secret.slice(6));

    const admin = await memberOf(services, tenant, hostOf(client), "admin");
    const rotated = await admin.client.call((c) =>
      c.webhooks.rotateSecret({ id: created.endpoint.id, overlapHours: 2 }),
    );
    expect(rotated.secret).not.toBe(created.secret);

    for (const role of ["member", "guest"] as const) {
      const { client: other } = await memberOf(services, tenant, hostOf(client), role);
      expect((await rejects(other.call((c) => c.webhooks.list()))).appCode).toBe("FORBIDDEN");
      expect(
        (
          await rejects(
            other.call((c) =>
              c.webhooks.create({ url: "https://x.example/", eventTypes: ["message.created"] }),
            ),
          )
        ).appCode,
      ).toBe("FORBIDDEN");
    }
    expect(await client.call((c) => c.webhooks.list())).toHaveLength(1);
  });

  it("refuses a plan without integrations, bad URLs and unknown event types", async () => {
    const free = await tenantOn("free", "hookf");
    expect(
      (
        await rejects(
          free.client.call((c) =>
            c.webhooks.create({ url: "https://x.example/", eventTypes: ["message.created"] }),
          ),
        )
      ).appCode,
    ).toBe("FEATURE_NOT_IN_PLAN");

    const { client } = await tenantOn("pro", "hookv");
    for (const input of [
      { url: "ftp://x.example/", eventTypes: ["message.created"] },
      { url: "https://user:pw@x.example/", eventTypes: ["message.created"] },
      { url: "https://x.example:22/", eventTypes: ["message.created"] },
      { url: "https://x.example/", eventTypes: ["message.exploded"] },
      { url: "https://x.example/", eventTypes: ["webhook.test"] },
      { url: "https://x.example/", eventTypes: [] },
    ])
      expect(
        (await rejects(client.call((c) => c.webhooks.create(input as never)))).appCode,
        JSON.stringify(input),
      ).toBe("VALIDATION_FAILED");
    expect(await client.call((c) => c.webhooks.list())).toEqual([]);
  });

  it("answers NOT_FOUND for another workspace's endpoint", async () => {
    const a = await tenantOn("pro", "hookx");
    const b = await tenantOn("pro", "hooky");
    const { endpoint } = await a.client.call((c) =>
      c.webhooks.create({ url: "https://hooks.example.com/a", eventTypes: ["message.created"] }),
    );
    expect((await rejects(b.client.call((c) => c.webhooks.remove({ id: endpoint.id })))).appCode).toBe(
      "NOT_FOUND",
    );
    expect(
      (await rejects(b.client.call((c) => c.webhooks.update({ id: endpoint.id, enabled: false })))).appCode,
    ).toBe("NOT_FOUND");
    expect((await a.client.call((c) => c.webhooks.list()))[0]).toMatchObject({ enabled: true });
  });
});
