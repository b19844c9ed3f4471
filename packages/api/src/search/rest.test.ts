import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, useServices, workspace } from "../openapi/public-api-kit";
import type { Services } from "../server";
import { testServices } from "../testing";

let services: Services;
beforeAll(async () => {
  services = await testServices();
  useServices(services);
});
afterAll(() => services.close());

describe("GET /api/v1/search", () => {
  it("searches with a read key, as its service user sees the workspace; a bad date is 400", async () => {
    const a = await workspace("srch-rest");
    const b = await workspace("srch-rest-b");
    await a.owner.call((c) => c.chat.send({ channelId: a.general, body: "Deployed the zebra release" }));
    await b.owner.call((c) => c.chat.send({ channelId: b.general, body: "zebra in the other workspace" }));
    const client = api(a.host, a.readKey);
    const res = await client.GET("/search", { params: { query: { q: "zebra deploy", limit: 5 } } });
    expect(res.response.status).toBe(200);
    expect(res.data?.results).toHaveLength(1);
    expect(res.data?.results[0]).toMatchObject({
      channel: { id: a.general, kind: "public" },
      link: expect.stringMatching(/^\/\?c=/),
      createdAt: expect.any(String),
    });
    expect(res.data?.results[0]?.snippet.filter((p) => p.match).map((p) => p.text)).toEqual([
      "Deployed",
      "zebra",
    ]);
    expect(res.data?.nextCursor).toBeNull();

    const bad = await client.GET("/search", { params: { query: { q: "zebra before:2026-02-30" } } });
    expect(bad.response.status).toBe(400);
    expect(bad.error).toMatchObject({ data: { appCode: "VALIDATION_FAILED", fields: [{ path: "q" }] } });
  });
});
