import { describe, expect, it } from "vitest";
import { openApiDocument } from "./document";
import { renderReference } from "./reference";

describe("renderReference", () => {
  it("lists every operation of the document under its tag, with parameters, body and response fields", () => {
    const html = renderReference(openApiDocument("https://acme.example.com"));
    for (const tag of ["Channels", "Messages", "Members", "Workspace", "Files"])
      expect(html).toContain(`<h2 id="tag-${tag}">${tag}</h2>`);
    const doc = openApiDocument();
    const count = Object.values(doc.paths ?? {}).reduce((n, item) => n + Object.keys(item).length, 0);
    expect(html.match(/<section class="op"/g)).toHaveLength(count);
    const send = html.slice(html.indexOf('id="chat-send"'));
    expect(send).toMatch(/<code>channelId<\/code>.*path/s);
    expect(send).toContain("<h4>Request body (JSON)</h4>");
    expect(send).toContain("<code>body</code>");
    expect(send).toContain("<h4>Response 200</h4>");
    expect(html).toContain("<code>https://acme.example.com/api/v1</code>");
  });

  it("escapes every text of the document and contains no script", () => {
    const html = renderReference({
      openapi: "3.1.0",
      info: { title: '<script>alert("t")</script>', version: "1<b>", description: "**bold** `<img src=x>`" },
      paths: {
        "/x/{id}": {
          get: {
            summary: "<iframe>",
            tags: ['"><svg onload=1>'],
            parameters: [{ name: "<id>", in: "path", required: true, schema: { type: "string" } }],
            responses: {},
          },
        },
      },
    });
    expect(html).not.toMatch(/<script|<iframe|<svg|<img|<b>/i);
    expect(html).toContain("&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;");
    expect(html).toContain("<strong>bold</strong> <code>&lt;img src=x&gt;</code>");
    expect(html).toContain("<code>&lt;id&gt;</code>");
  });
});
