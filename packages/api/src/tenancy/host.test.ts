import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeHost, parseHost } from "./host";

const BASE = "nchat.app";

describe("parseHost", () => {
  it.each([
    ["acme.nchat.app", { kind: "subdomain", slug: "acme" }],
    ["acme.nchat.app:443", { kind: "subdomain", slug: "acme" }],
    ["ACME.NChat.App", { kind: "subdomain", slug: "acme" }],
    ["acme.nchat.app.", { kind: "subdomain", slug: "acme" }],
    ["acme.nchat.app.:8080", { kind: "subdomain", slug: "acme" }],
    ["my-team.nchat.app", { kind: "subdomain", slug: "my-team" }],
    ["nchat.app", { kind: "base" }],
    ["nchat.app:3000", { kind: "base" }],
    ["www.nchat.app", { kind: "base" }],
    ["admin.nchat.app", { kind: "reserved", label: "admin" }],
    ["api.nchat.app", { kind: "reserved", label: "api" }],
    ["app.nchat.app", { kind: "reserved", label: "app" }],
    ["a.b.nchat.app", { kind: "invalid", reason: "nested subdomain" }],
    ["ac--me.nchat.app", { kind: "invalid", reason: "not a workspace address" }],
    ["ab.nchat.app", { kind: "invalid", reason: "not a workspace address" }],
    ["chat.acme.com", { kind: "custom", domain: "chat.acme.com" }],
    ["Chat.Acme.COM.", { kind: "custom", domain: "chat.acme.com" }],
    ["bücher.example", { kind: "custom", domain: "xn--bcher-kva.example" }],
    ["xn--bcher-kva.example", { kind: "custom", domain: "xn--bcher-kva.example" }],
    ["nchat.app.evil.com", { kind: "custom", domain: "nchat.app.evil.com" }],
    ["evilnchat.app", { kind: "custom", domain: "evilnchat.app" }],
    ["127.0.0.1", { kind: "ip" }],
    ["127.0.0.1:3000", { kind: "ip" }],
    ["[::1]:3000", { kind: "ip" }],
    ["::1", { kind: "ip" }],
  ])("%s → %o", (host, expected) => {
    expect(parseHost(host, BASE)).toEqual(expected);
  });

  it("works with localhost as the base domain", () => {
    expect(parseHost("demo.localhost:3000", "localhost")).toEqual({ kind: "subdomain", slug: "demo" });
    expect(parseHost("localhost:3000", "localhost")).toEqual({ kind: "base" });
  });

  it.each([
    "",
    " ",
    "acme.nchat.app:99999",
    "acme.nchat.app:",
    "acme nchat.app",
    "acme.nchat.app/evil",
    "user@acme.nchat.app",
    "acme.nchat.app\r\nX-Tenant-Id: x",
    "-acme.nchat.app",
    "acme..nchat.app",
    "a_b.nchat.app",
    `${"a".repeat(64)}.nchat.app`,
    `${"a.".repeat(150)}nchat.app`,
    "x'; drop table tenants; --.nchat.app",
    "[zz::1]:80",
  ])("refuses %j as invalid", (host) => {
    expect(parseHost(host, BASE).kind).toBe("invalid");
  });

  it("never yields a subdomain slug outside the slug grammar, whatever the input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const r = parseHost(s, BASE);
        if (r.kind === "subdomain") expect(r.slug).toMatch(/^[a-z][a-z0-9-]{1,40}[a-z0-9]$/);
      }),
      { numRuns: 2000 },
    );
  });

  it("recognises every valid slug under the base domain, in any case, with any port and trailing dot", () => {
    const slug = fc.stringMatching(/^[a-z][a-z0-9-]{1,40}[a-z0-9]$/).filter((s) => !s.includes("--"));
    fc.assert(
      fc.property(
        slug,
        fc.boolean(),
        fc.option(fc.integer({ min: 1, max: 65535 })),
        fc.boolean(),
        (s, upper, port, dot) => {
          const host = `${upper ? s.toUpperCase() : s}.${BASE}${dot ? "." : ""}${port === null ? "" : `:${port}`}`;
          const r = parseHost(host, BASE);
          expect(r.kind === "subdomain" || r.kind === "reserved").toBe(true);
          if (r.kind === "subdomain") expect(r.slug).toBe(s);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("normalisation is idempotent", () => {
    fc.assert(
      fc.property(fc.domain(), (d) => {
        const once = normalizeHost(d);
        if (once) expect(normalizeHost(once.host)).toEqual(once);
      }),
    );
  });
});
