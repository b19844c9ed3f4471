import { readFileSync } from "node:fs";
import { compileErrors, validate } from "@readme/openapi-parser";
import { describe, expect, it } from "vitest";
import { generateTypes, TYPES_FILE } from "./generate-types";
import { a, raw, useKit } from "./test-kit";

/** The public REST API's document: valid OpenAPI 3.1 of the exposed procedures, the committed client types, the reference page. */

useKit("pa");

describe("the document", () => {
  it("GET /api/v1/openapi.json is a valid OpenAPI 3.1 document of the exposed procedures, served for this host", async () => {
    const res = await raw(a.host, "/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const doc = (await res.json()) as {
      openapi: string;
      servers: { url: string }[];
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers).toEqual([{ url: `http://${a.host}/api/v1` }]);
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? "" : compileErrors(result)).toBe("");
    expect(result.valid).toBe(true);
    const ops = Object.entries(doc.paths).flatMap(([p, item]) =>
      Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(ops).toEqual(
      expect.arrayContaining([
        "GET /channels",
        "POST /channels",
        "GET /channels/{channelId}",
        "PATCH /channels/{channelId}",
        "POST /channels/{channelId}/archive",
        "POST /channels/{channelId}/join",
        "POST /channels/{channelId}/leave",
        "GET /channels/{channelId}/members",
        "GET /channels/{channelId}/messages",
        "POST /channels/{channelId}/messages",
        "PATCH /messages/{messageId}",
        "DELETE /messages/{messageId}",
        "POST /messages/{messageId}/reactions",
        "GET /members",
        "POST /members/invitations",
        "PATCH /members/{userId}",
        "DELETE /members/{userId}",
        "GET /workspace",
        "GET /billing",
        "GET /usage",
        "GET /files/{id}",
        "GET /search",
      ]),
    );
    // Nothing that was not marked for the public API (sign-in, API keys, admin) is in it.
    expect(ops.some((o) => /auth|apiKeys|admin|api-keys/i.test(o))).toBe(false);
    for (const item of Object.values(doc.paths))
      for (const op of Object.values(item)) {
        expect(op.security).toEqual([{ apiKey: [] }]);
        expect(op.responses["429"]).toEqual({ $ref: "#/components/responses/Error429" });
      }
  });

  it("the committed client types are what the live document generates", async () => {
    expect(await generateTypes()).toBe(readFileSync(TYPES_FILE, "utf8"));
  });

  it("GET /api/v1/docs renders the reference from the document (no scripts)", async () => {
    const res = await raw(a.host, "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain("<title>nchat API reference</title>");
    expect(html).toContain(`http://${a.host}/api/v1`);
    expect(html).toContain("<code>/channels/{channelId}/messages</code>");
    expect(html).toContain('href="openapi.json"');
    expect(html).not.toMatch(/<script/i);
  });
});
