import { describe, expect, it } from "vitest";
import { isSearchable, parseSearchDay, parseSearchQuery, type SearchQuery, snippetParts } from "./search";

function ok(input: string): SearchQuery {
  const r = parseSearchQuery(input);
  if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.issues)}`);
  return r.query;
}

describe("search grammar", () => {
  it("splits words; the last one, still being typed, is the prefix", () => {
    expect(ok("deploy fail")).toMatchObject({ words: ["deploy"], prefix: "fail" });
    expect(ok("deploy failed ")).toMatchObject({ words: ["deploy", "failed"], prefix: null });
    expect(ok("  ")).toMatchObject({ words: [], prefix: null });
    expect(isSearchable(ok("  "))).toBe(false);
    expect(isSearchable(ok("x"))).toBe(true);
  });

  it("keeps quoted phrases whole, an unclosed quote runs to the end", () => {
    const q = ok('release "went out late" notes');
    expect(q.phrases).toEqual(["went out late"]);
    expect(q.words).toEqual(["release"]);
    expect(q.prefix).toBe("notes");
    expect(ok('"half open phrase').phrases).toEqual(["half open phrase"]);
    expect(ok('""').phrases).toEqual([]);
  });

  it("reads the operators, with # and @ optional and quoted values", () => {
    const q = ok('in:#General from:@ann from:"Ann Lee" has:file has:LINK has:file budget');
    expect(q.in).toEqual(["General"]);
    expect(q.from).toEqual(["ann", "Ann Lee"]);
    expect(q.has).toEqual(["file", "link"]);
    expect(q.prefix).toBe("budget");
    expect(q.operators.map((o) => o.key)).toEqual(["in", "from", "from", "has", "has", "has"]);
    expect(ok("in:ops from:me").in).toEqual(["ops"]);
    expect(ok("in:@ann").in).toEqual(["@ann"]);
    expect(isSearchable(ok("from:me"))).toBe(true);
  });

  it("excludes words and phrases after a minus; a lone minus is nothing", () => {
    const q = ok('deploy -staging -"dry run" - ');
    expect(q.excluded).toEqual(["staging", "dry run"]);
    expect(q.words).toEqual(["deploy"]);
  });

  it("treats unknown operators, and known ones without a value, as words", () => {
    const q = ok("foo:bar https://example.com/x in: is:open ");
    expect(q.words).toEqual(["foo:bar", "https://example.com/x", "in:", "is:open"]);
    expect(q.operators).toEqual([]);
    expect(ok('topic:"a b" ').words).toEqual(["topic a b"]);
    // An unknown operator as the last token is not a prefix (it is not one word).
    expect(ok("x foo:bar").prefix).toBeNull();
  });

  it("turns dates into a UTC range: before < day, after > day, on = that day", () => {
    expect(ok("before:2026-05-01")).toMatchObject({ until: "2026-05-01T00:00:00.000Z", since: null });
    expect(ok("after:2026-05-01")).toMatchObject({ since: "2026-05-02T00:00:00.000Z", until: null });
    expect(ok("on:2026-02-28")).toMatchObject({
      since: "2026-02-28T00:00:00.000Z",
      until: "2026-03-01T00:00:00.000Z",
    });
    // Repeated bounds narrow.
    expect(ok("after:2026-01-01 after:2026-03-01 before:2026-06-01 before:2026-04-01")).toMatchObject({
      since: "2026-03-02T00:00:00.000Z",
      until: "2026-04-01T00:00:00.000Z",
    });
  });

  it("refuses bad dates and has: values, one issue per token", () => {
    const r = parseSearchQuery("before:yesterday after:2026-02-30 on:2026-13-01 has:pdf fine");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.token)).toEqual([
      "before:yesterday",
      "after:2026-02-30",
      "on:2026-13-01",
      "has:pdf",
    ]);
    expect(r.issues[0]!.message).toMatch(/YYYY-MM-DD/);
    expect(parseSearchDay("2024-02-29")).toBe(Date.UTC(2024, 1, 29));
    expect(parseSearchDay("2023-02-29")).toBeNull();
    expect(parseSearchDay("2023-2-1")).toBeNull();
  });

  it("bounds the number of tokens", () => {
    const r = parseSearchQuery(Array.from({ length: 40 }, (_, i) => `w${i}`).join(" "));
    expect(r.ok).toBe(false);
  });
});

describe("snippet parts", () => {
  it("splits a marked snippet into matched and plain text, dropping stray markers", () => {
    expect(snippetParts("a \u0002deploy\u0003 <b>x</b>\u0003")).toEqual([
      { text: "a ", match: false },
      { text: "deploy", match: true },
      { text: " <b>x</b>", match: false },
    ]);
  });
});
