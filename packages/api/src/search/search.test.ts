import { SNIPPET_START, SNIPPET_STOP } from "@nchat/protocol/search";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generalId, person, rejects, workspace } from "../chat/test-kit";
import type { Services } from "../server";
import { testServices } from "../testing";
import { attachFile, found, sentAt } from "./test-kit";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

describe("message search", () => {
  it("finds words by stem, as typed and as a prefix; phrases in order; excluded words; not deleted ones", async () => {
    const ws = await workspace(services, "srch", "pro");
    const ann = await person(services, ws, "member", "Ann");
    const general = await generalId(services, ws);
    const send = (body: string) => ann.client.call((c) => c.chat.send({ channelId: general, body }));
    const deployed = await send("We deployed the billing service to staging");
    const deploying = await send("Deploying the new search index now");
    const rollback = await send("Rollback: the deploy failed on production");
    const other = await send("Lunch at noon?");
    const gone = await send("deploy notes, soon deleted");
    await ann.client.call((c) => c.chat.delete({ messageId: gone.id }));

    // English stems: "deploys" finds deployed, deploying and deploy; newest first.
    expect(await found(ann.client, "deploys ")).toEqual([rollback.id, deploying.id, deployed.id]);
    // The word being typed is a prefix ("depl"), of the word as typed too ("stagi" → staging).
    expect(await found(ann.client, "depl")).toEqual([rollback.id, deploying.id, deployed.id]);
    expect(await found(ann.client, "stagi")).toEqual([deployed.id]);
    // Every word must match.
    expect(await found(ann.client, "deploy production ")).toEqual([rollback.id]);
    // Phrases: these words in this order.
    expect(await found(ann.client, '"search index"')).toEqual([deploying.id]);
    expect(await found(ann.client, '"index search"')).toEqual([]);
    // Excluded words and phrases.
    expect(await found(ann.client, 'deploy -staging -"deploy failed" ')).toEqual([deploying.id]);
    // Stop words still match as typed; punctuation in the query is harmless.
    expect(await found(ann.client, "the ")).toEqual([rollback.id, deploying.id, deployed.id]);
    expect(await found(ann.client, "noon?)(:*!&| ")).toEqual([other.id]);
    expect(await found(ann.client, "'; drop table messages; -- ")).toEqual([]);

    // An edit is searched as edited.
    await ann.client.call((c) => c.chat.edit({ messageId: other.id, body: "Lunch moved to one" }));
    expect(await found(ann.client, "noon ")).toEqual([]);
    expect(await found(ann.client, "moved ")).toEqual([other.id]);
  });

  it("highlights the matches in a snippet that is text, never markup, and links to the message", async () => {
    const ws = await workspace(services, "srch-hl", "pro");
    const general = await generalId(services, ws);
    const m = await services.chat.send(ws.tenant, ws.actor, {
      channelId: general,
      body: 'The <b>release</b> plan: <script>alert("x")</script> ships Friday',
    });
    const reply = await services.chat.send(ws.tenant, ws.actor, {
      channelId: general,
      body: "release notes are in the doc",
      parentId: m.id,
    });
    const page = await ws.client.call((c) => c.search.messages({ q: "release ", sort: "newest" }));
    expect(page.results.map((r) => r.id)).toEqual([reply.id, m.id]);
    const hit = page.results[1]!;
    expect(hit).toMatchObject({
      channel: { id: general, name: "general", kind: "public", archived: false },
      author: { id: ws.ownerId },
      parentId: null,
      link: `/?c=${general}&m=${m.id}`,
    });
    expect(hit.snippet.filter((p) => p.match).map((p) => p.text)).toEqual(["release"]);
    // Plain text around the match: ts_headline leaves tags out, and the client renders parts as text.
    const text = hit.snippet.map((p) => p.text).join("");
    expect(text).toContain('alert("x")');
    expect(text).not.toContain("<");
    expect(text).not.toContain(SNIPPET_START);
    expect(text).not.toContain(SNIPPET_STOP);
    // A reply opens in its thread.
    expect(page.results[0]).toMatchObject({ parentId: m.id, link: `/?c=${general}&m=${m.id}&t=${m.id}` });
  });

  it("reads the operators: in:, from:, has:file (and file names), has:link, dates", async () => {
    const ws = await workspace(services, "srch-op", "pro");
    const ann = await person(services, ws, "member", "Ann Lee");
    const general = await generalId(services, ws);
    const ops = await services.chat.createChannel(ws.tenant, ws.actor, { name: "Ops" });
    await ann.client.call((c) => c.chat.joinChannel({ channelId: ops.id }));
    const schema = ws.tenant.schemaName;
    const a1 = await services.chat.send(ws.tenant, ann.actor, { channelId: general, body: "budget draft" });
    const a2 = await services.chat.send(ws.tenant, ann.actor, {
      channelId: ops.id,
      body: "budget link https://example.com/budget",
    });
    const o1 = await services.chat.send(ws.tenant, ws.actor, { channelId: ops.id, body: "budget final" });
    const f1 = await services.chat.send(ws.tenant, ws.actor, { channelId: general, body: "see attached" });
    await attachFile(services, schema, f1, "Q3-budget_forecast.xlsx");
    await sentAt(services, schema, a1.id, "2026-01-15T10:00:00Z");
    await sentAt(services, schema, a2.id, "2026-02-01T23:59:59Z");

    expect(await found(ann.client, "budget in:#ops ")).toEqual([o1.id, a2.id]);
    expect(await found(ann.client, "budget in:OPS in:general ")).toEqual([f1.id, o1.id, a2.id, a1.id]);
    expect(await found(ann.client, "budget in:nowhere ")).toEqual([]);
    expect(await found(ann.client, 'budget from:"ann lee" ')).toEqual([a2.id, a1.id]);
    expect(await found(ann.client, `budget from:@${ann.user.email.split("@")[0]} `)).toEqual([a2.id, a1.id]);
    expect(await found(ann.client, "budget from:me ")).toEqual([a2.id, a1.id]);
    expect(await found(ann.client, "from:@nobody-here")).toEqual([]);
    // File names are searched (split at punctuation) and has:file keeps messages with files.
    expect(await found(ann.client, "forecast ")).toEqual([f1.id]);
    expect(await found(ann.client, "has:file")).toEqual([f1.id]);
    const page = await ann.client.call((c) => c.search.messages({ q: "xlsx " }));
    expect(page.results[0]?.files).toMatchObject([{ fileName: "Q3-budget_forecast.xlsx", match: true }]);
    expect(await found(ann.client, "budget has:link ")).toEqual([a2.id]);
    // Dates are UTC days: before < day, after > day, on = the day.
    expect(await found(ann.client, "budget before:2026-02-01 ")).toEqual([a1.id]);
    expect(await found(ann.client, "budget before:2026-02-02 after:2026-01-15 ")).toEqual([a2.id]);
    expect(await found(ann.client, "on:2026-02-01")).toEqual([a2.id]);
    expect(await found(ann.client, "budget after:2026-02-01 ")).toEqual([f1.id, o1.id]);
  });

  it("pages newest first by cursor and best first by offset, with a bounded page size", async () => {
    const ws = await workspace(services, "srch-pg", "pro");
    const general = await generalId(services, ws);
    const ids: number[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        (await services.chat.send(ws.tenant, ws.actor, { channelId: general, body: `report ${i}` })).id,
      );
    const strong = await services.chat.send(ws.tenant, ws.actor, {
      channelId: general,
      body: "report report report: the report",
    });
    const newest = [strong.id, ...ids.toReversed()];
    const p1 = await ws.client.call((c) => c.search.messages({ q: "report ", limit: 4 }));
    expect(p1.results.map((r) => r.id)).toEqual(newest.slice(0, 4));
    const p2 = await ws.client.call((c) =>
      c.search.messages({ q: "report ", limit: 4, cursor: p1.nextCursor! }),
    );
    expect(p2.results.map((r) => r.id)).toEqual(newest.slice(4));
    expect(p2.nextCursor).toBeNull();

    const b1 = await ws.client.call((c) => c.search.messages({ q: "report ", sort: "best", limit: 3 }));
    expect(b1.results[0]?.id).toBe(strong.id);
    expect(b1.nextCursor).toBe(3);
    const b2 = await ws.client.call((c) =>
      c.search.messages({ q: "report ", sort: "best", limit: 3, cursor: b1.nextCursor! }),
    );
    expect([...b1.results, ...b2.results].map((r) => r.id).toSorted()).toEqual(newest.toSorted());
    expect(b2.nextCursor).toBeNull();

    for (const input of [
      { q: "report", limit: 51 },
      { q: "report", limit: 0 },
      { q: "report", cursor: -1 },
      { q: "report", sort: "best" as const, cursor: 1001 },
    ])
      expect(await rejects(ws.client.call((c) => c.search.messages(input)))).toMatchObject({
        appCode: "VALIDATION_FAILED",
      });
  });

  it("refuses bad dates, has: values, empty and overlong queries with VALIDATION_FAILED on q", async () => {
    const ws = await workspace(services, "srch-bad");
    for (const q of ["before:yesterday", "x after:2026-02-30", "has:pdf", "   ", "x".repeat(501)]) {
      const err = await rejects(ws.client.call((c) => c.search.messages({ q })));
      expect(err).toMatchObject({ code: "BAD_REQUEST", appCode: "VALIDATION_FAILED" });
      expect(err.details).toMatchObject({ fields: [{ path: "q" }] });
    }
    const res = await ws.client.http(
      `search.messages?input=${encodeURIComponent(JSON.stringify({ json: { q: "on:2026-13-01" } }))}`,
    );
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain("YYYY-MM-DD");
  });
});
