import createClient from "openapi-fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generalId, workspace } from "../chat/test-kit";
import { publicApiHandler } from "../openapi/handler";
import type { paths } from "../openapi/v1-types";
import type { Services } from "../server";
import { testServices } from "../testing";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

/** A Pro workspace with a read key, and a typed client of its /api/v1 as the app server hands requests over. */
async function withReadKey(base: string) {
  const ws = await workspace(services, base, "pro");
  const { key } = await ws.client.call((c) => c.apiKeys.create({ name: "reader", scope: "read" }));
  const api = createClient<paths>({
    baseUrl: `http://${ws.client.host}/api/v1`,
    headers: { authorization: `Bearer ${key}` },
    fetch: (request: Request) => {
      const headers = new Headers(request.headers);
      headers.set("host", ws.client.host);
      headers.set("x-nchat-client-address", "10.9.8.7");
      return publicApiHandler(services, new Request(request, { headers }));
    },
  });
  return { ...ws, api };
}

describe("GET /api/v1/search", () => {
  it("searches with a read key, as its service user sees the workspace; a bad date is 400", async () => {
    const a = await withReadKey("srch-rest");
    const b = await withReadKey("srch-rest-b");
    const aGeneral = await generalId(services, a);
    await a.client.call((c) => c.chat.send({ channelId: aGeneral, body: "Deployed the zebra release" }));
    const bGeneral = await generalId(services, b);
    await b.client.call((c) => c.chat.send({ channelId: bGeneral, body: "zebra in the other workspace" }));
    const client = a.api;
    const res = await client.GET("/search", { params: { query: { q: "zebra deploy", limit: 5 } } });
    expect(res.response.status).toBe(200);
    expect(res.data?.results).toHaveLength(1);
    expect(res.data?.results[0]).toMatchObject({
      channel: { id: aGeneral, kind: "public" },
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
