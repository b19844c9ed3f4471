import { beforeAll, describe, expect, it } from "vitest";
import { mentionToken } from "../chat/mentions";
import { generalId, type Person, person, type Workspace, workspace } from "../chat/test-kit";
import { jobByName } from "../jobs/catalog";
import { unsubscribeRoute } from "../rest/unsubscribe";
import { randomIp } from "../testing";
import { digestTenant, type MentionDigestDeps, runMentionDigests } from "./mention-digest";
import { linkIn, mailTestServices } from "./test-kit";
import { unsubscribeKey } from "./unsubscribe";

let deps: MentionDigestDeps;
const kit = mailTestServices("digest", {
  MAIL_FROM: "Workspace mail <mail@nchat.test>",
  JOB_MENTIONS_CRON: "off",
  JOB_BILLING_NOTICES_CRON: "off",
});
const { smtp } = kit;
beforeAll(() => {
  deps = {
    db: kit.services.db,
    mail: kit.services.mail,
    delayMinutes: 10,
    tenantUrl: (slug) => `http://${slug}.nchat.test`,
    unsubscribeKey: unsubscribeKey(kit.services.masterKey),
  };
});

/** The tenant as the job has it (with its slug). */
const at = (ws: Workspace) => ({ ...ws.tenant, slug: ws.slug });

/** Sets when a person was last active, `minutesAgo` before now. */
async function seen(ws: Workspace, who: Person, minutesAgo: number) {
  const a = kit.services.db.admin;
  await a`update ${a(ws.tenant.schemaName)}.users
    set last_seen_at = now() - make_interval(mins => ${minutesAgo}) where id = ${who.user.id}`;
}

/** The digests queued for a tenant (the delivery log), by recipient. */
async function digestsTo(ws: Workspace, email: string) {
  const a = kit.services.db.admin;
  const rows = await a<{ n: number }[]>`select count(*)::int as n from public.mail_deliveries
    where tenant_id = ${ws.tenant.id} and kind = 'mention_digest' and recipient = ${email}`;
  return rows[0]!.n;
}

async function setup(prefix: string) {
  const ws = await workspace(kit.services, prefix);
  const ann = await person(kit.services, ws, "member", "Ann");
  const general = await generalId(kit.services, ws);
  const send = (body: string, channelId = general) =>
    kit.services.chat.send(ws.tenant, ws.actor, { channelId, body });
  return { ws, ann, general, send };
}

describe("mention digests", () => {
  it("mail one batched digest to a person away, with the message's link, once", async () => {
    const { ws, ann, general, send } = await setup("dg");
    await seen(ws, ann, 30);
    const first = await send(`${mentionToken(ann.user)} can you review the deploy?`);
    await send("no mention here");
    const second = await send(`and again ${mentionToken(ann.user)}`);

    expect(await digestTenant(deps, at(ws))).toBe(1);
    const mail = await smtp.waitFor(ann.user.email);
    expect(mail.subject).toBe(`2 new messages for you in Org ${ws.slug}`);
    expect(mail.text).toContain(`http://${ws.slug}.nchat.test/?c=${general}&m=${first.id}`);
    expect(mail.text).toContain(`http://${ws.slug}.nchat.test/?c=${general}&m=${second.id}`);
    expect(mail.text).toContain("can you review the deploy?");
    expect(mail.text).not.toContain("no mention here");
    expect(mail.html).toContain(`m=${first.id}`);

    // A second run finds nothing new; a newer mention is mailed on its own.
    expect(await digestTenant(deps, at(ws))).toBe(0);
    const third = await send(`${mentionToken(ann.user)} one more`);
    expect(await digestTenant(deps, at(ws))).toBe(1);
    const next = await smtp.waitFor(ann.user.email, 2);
    expect(next.subject).toBe(`1 new message for you in Org ${ws.slug}`);
    expect(next.text).toContain(`m=${third.id}`);
    expect(next.text).not.toContain(`m=${first.id}`);
    expect(await digestsTo(ws, ann.user.email)).toBe(2);
  });

  it("mail once when two runs go at the same time (the second skips the people the first holds)", async () => {
    const { ws, ann, send } = await setup("dgrace");
    await seen(ws, ann, 30);
    await send(`${mentionToken(ann.user)} only once`);
    const runs = await Promise.all([digestTenant(deps, at(ws)), digestTenant(deps, at(ws))]);
    expect(runs[0]! + runs[1]!).toBe(1);
    expect(await digestsTo(ws, ann.user.email)).toBe(1);
  });

  it("include DMs, list at most 20 and count the rest", async () => {
    const { ws, ann } = await setup("dgdm");
    await seen(ws, ann, 30);
    const dm = await kit.services.chat.openDm(ws.tenant, ws.actor, { userIds: [ann.user.id] });
    for (let i = 1; i <= 23; i++)
      await kit.services.chat.send(ws.tenant, ws.actor, { channelId: dm.id, body: `dm ${i}` });
    expect(await digestTenant(deps, at(ws))).toBe(1);
    const mail = await smtp.waitFor(ann.user.email);
    expect(mail.subject).toBe(`23 new messages for you in Org ${ws.slug}`);
    expect(mail.text).toContain("Direct message · Owner: dm 20 ");
    expect(mail.text).not.toContain("dm 21 ");
    expect(mail.text).toContain("and 3 more.");
    expect(await digestTenant(deps, at(ws))).toBe(0);
  });

  it("mail nobody online, nobody who turned them off, nothing muted or already read", async () => {
    const { ws, ann, general, send } = await setup("dgno");
    const bob = await person(kit.services, ws, "member", "Bob");
    const cid = await person(kit.services, ws, "member", "Cid");
    const dan = await person(kit.services, ws, "member", "Dan");
    await seen(ws, ann, 2); // online (active 2 minutes ago)
    await seen(ws, bob, 30);
    await seen(ws, cid, 30);
    await seen(ws, dan, 30);
    // Bob turns them off on his profile (and the profile shows it).
    expect((await bob.client.call((c) => c.profile.me())).mentionEmails).toBe(true);
    const off = await bob.client.call((c) => c.profile.update({ mentionEmails: false }));
    expect(off.mentionEmails).toBe(false);
    await cid.client.call((c) => c.chat.setNotificationSettings({ channelId: general, muted: true }));
    const m = await send(`${[ann, bob, cid, dan].map((p) => mentionToken(p.user)).join(" ")} hello`);
    await dan.client.call((c) => c.chat.markRead({ channelId: general, messageId: m.id }));

    expect(await digestTenant(deps, at(ws))).toBe(0);
    for (const p of [ann, bob, cid, dan]) expect(await digestsTo(ws, p.user.email)).toBe(0);

    // Ann goes away: now she gets it.
    await seen(ws, ann, 30);
    expect(await digestTenant(deps, at(ws))).toBe(1);
    expect(await digestsTo(ws, ann.user.email)).toBe(1);
  });

  it("run as the scheduled job over every workspace, never mixing one workspace's messages into another's", async () => {
    const one = await setup("dgone");
    const two = await setup("dgtwo");
    await seen(one.ws, one.ann, 30);
    await seen(two.ws, two.ann, 30);
    await one.send(`${mentionToken(one.ann.user)} secret of one`);
    // Two's Ann is mentioned by a token carrying one's Ann's id: it matches nobody in two.
    await two.send(`${mentionToken(one.ann.user)} not for two`);
    await two.send(`${mentionToken(two.ann.user)} for two`);

    const job = jobByName("mention-digests")!;
    const result = await job.run({ ...kit.services, retentionDays: 30 });
    expect(result.errors).toEqual([]);
    expect(result.summary.mailed).toBeGreaterThanOrEqual(2);
    const a = await smtp.waitFor(one.ann.user.email);
    const b = await smtp.waitFor(two.ann.user.email);
    expect(a.text).toContain("secret of one");
    expect(a.text).not.toContain("for two");
    expect(b.text).toContain("for two");
    expect(b.text).not.toContain("secret of one");
    expect(b.text).not.toContain("not for two");
    expect((await runMentionDigests(deps)).mailed).toBe(0);
  });

  it("carry an unsubscribe link: GET only asks, POST turns mention emails off; other tokens are refused", async () => {
    const { ws, ann, send } = await setup("dgun");
    const other = await setup("dgunx");
    await seen(ws, ann, 30);
    await send(`${mentionToken(ann.user)} ping`);
    expect(await digestTenant(deps, at(ws))).toBe(1);
    const mail = await smtp.waitFor(ann.user.email);
    const link = linkIn(mail, `http://${ws.slug}.nchat.test/api/unsubscribe?t=`);
    // The raw header lines (mailparser folds List-* headers into one parsed "list" header).
    expect(mail.headerLines.find((h) => h.key === "list-unsubscribe")?.line.replace(/\r?\n\s+/g, " ")).toBe(
      `List-Unsubscribe: <${link}>`,
    );
    expect(mail.headerLines.find((h) => h.key === "list-unsubscribe-post")?.line).toBe(
      "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
    );
    expect(mail.html).toContain("Turn off these emails");

    const call = (method: string, url: string) =>
      unsubscribeRoute(
        kit.services,
        new Request(url, {
          method,
          headers: { host: new URL(url).host, "x-nchat-client-address": randomIp() },
        }),
      );
    const prefOf = async (w: Workspace, p: Person) => {
      const a = kit.services.db.admin;
      const [row] = await a<
        { on: boolean }[]
      >`select mention_emails as on from ${a(w.tenant.schemaName)}.users
        where id = ${p.user.id}`;
      return row!.on;
    };
    const token = new URL(link).searchParams.get("t")!;

    // Opening the link (as a mail scanner would) changes nothing.
    const shown = await call("GET", link);
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain('<form method="post">');
    expect(await prefOf(ws, ann)).toBe(true);

    // Tampered, or used at another workspace's address (same user id format): refused.
    const tampered = `${token.slice(0, -2)}${token.endsWith("AA") ? "BB" : "AA"}`;
    for (const url of [
      `http://${ws.slug}.nchat.test/api/unsubscribe?t=${tampered}`,
      `http://${ws.slug}.nchat.test/api/unsubscribe?t=${other.ann.user.id}.${token.split(".")[1]}`,
      `http://${other.ws.slug}.nchat.test/api/unsubscribe?t=${token}`,
      `http://${ws.slug}.nchat.test/api/unsubscribe`,
    ]) {
      const res = await call("POST", url);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
    }
    expect(await prefOf(ws, ann)).toBe(true);
    expect(await prefOf(other.ws, other.ann)).toBe(true);

    const done = await call("POST", link);
    expect(done.status).toBe(200);
    expect(await prefOf(ws, ann)).toBe(false);
    // Off: no more digests.
    await send(`${mentionToken(ann.user)} after unsubscribing`);
    expect(await digestTenant(deps, at(ws))).toBe(0);
  });
});
