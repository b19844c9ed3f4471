import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { withTenant } from "@nchat/db";
import { AVATAR_MAX_BYTES } from "@nchat/protocol/profile";
import { eq, sql } from "drizzle-orm";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servicesWithTempFiles } from "../attachments/testkit";
import { generalId, person, rejects, type Workspace, workspace } from "../chat/test-kit";
import type { Services } from "../server";
import { TestClient } from "../testing";
import { fetchAvatar, picture, uploadAvatar } from "./testkit";

let services: Services;
let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ services, root, cleanup } = await servicesWithTempFiles());
});
afterAll(() => cleanup());

async function storedKeys(ws: Workspace, userId: string) {
  return withTenant(services.db, ws.tenant, async ({ db, t }) => {
    const [u] = await db
      .select({ full: t.users.avatarKey, thumb: t.users.avatarThumbKey })
      .from(t.users)
      .where(eq(t.users.id, userId));
    return u!;
  });
}

describe("name and time zone", () => {
  it("a new name is what others see in chat history, member lists and the profile card", async () => {
    const ws = await workspace(services, "prof-name");
    const ann = await person(services, ws, "member", "Ann Before");
    const general = await generalId(services, ws);
    await ann.client.call((c) => c.chat.send({ channelId: general, body: "hello from Ann" }));

    const me = await ann.client.call((c) => c.profile.update({ name: "  Ann After  " }));
    expect(me).toMatchObject({ id: ann.user.id, name: "Ann After" });

    const history = await ws.client.call((c) => c.chat.list({ channelId: general }));
    const mine = history.messages.find((m) => m.body === "hello from Ann");
    expect(mine?.author).toEqual({ id: ann.user.id, name: "Ann After" });
    const { members } = await ws.client.call((c) => c.members.list());
    expect(members.find((m) => m.id === ann.user.id)?.name).toBe("Ann After");
    const inChannel = await ws.client.call((c) => c.chat.channelMembers({ channelId: general }));
    expect(inChannel.members.find((m) => m.id === ann.user.id)?.name).toBe("Ann After");
    expect(await ws.client.call((c) => c.profile.card({ userId: ann.user.id }))).toMatchObject({
      name: "Ann After",
      role: "member",
    });
    // Her own session says so at once (cached sessions are read again).
    expect((await ann.client.call((c) => c.auth.me()))?.user.name).toBe("Ann After");

    const audit = await services.db.admin<{ action: string; before: unknown; after: unknown }[]>`
      select action, before, after from public.tenant_audit_logs
      where tenant_id = ${ws.tenant.id} and action = 'user.renamed'`;
    expect(audit).toEqual([
      { action: "user.renamed", before: { name: "Ann Before" }, after: { name: "Ann After" } },
    ]);
  });

  it("names are refused empty, too long or with control characters (typed errors by field)", async () => {
    const ws = await workspace(services, "prof-badname");
    for (const name of ["   ", "x".repeat(101), "Ann\nAdmin"]) {
      const err = await rejects(ws.client.call((c) => c.profile.update({ name })));
      expect(err).toMatchObject({ appCode: "VALIDATION_FAILED" });
      expect((err.details as { fields: { path: string }[] }).fields[0]!.path).toBe("name");
    }
    expect((await ws.client.call((c) => c.profile.me())).name).toBe("Owner");
  });

  it("time zones are IANA names checked with Intl and stored canonical; others are refused", async () => {
    const ws = await workspace(services, "prof-tz");
    expect((await ws.client.call((c) => c.profile.me())).timeZone).toBeNull();
    const set = await ws.client.call((c) => c.profile.update({ timeZone: "europe/berlin" }));
    expect(set.timeZone).toBe("Europe/Berlin");
    for (const timeZone of ["Mars/Olympus_Mons", "+01:00", "Europe/../etc", "", "x".repeat(70)]) {
      const err = await rejects(ws.client.call((c) => c.profile.update({ timeZone })));
      expect(err, timeZone).toMatchObject({ appCode: "VALIDATION_FAILED" });
      expect((err.details as { fields: { path: string }[] }).fields[0]!.path).toBe("timeZone");
    }
    const ann = await person(services, ws, "guest");
    expect(await ann.client.call((c) => c.profile.card({ userId: ws.ownerId }))).toMatchObject({
      id: ws.ownerId,
      name: "Owner",
      role: "owner",
      timeZone: "Europe/Berlin",
      avatarUrl: null,
    });
  });

  it("cards are of people of this workspace only: other ids are NOT_FOUND", async () => {
    const a = await workspace(services, "prof-card-a");
    const b = await workspace(services, "prof-card-b");
    for (const userId of [b.ownerId, "not-a-uuid", "00000000-0000-4000-8000-000000000000"])
      expect(await rejects(a.client.call((c) => c.profile.card({ userId })))).toMatchObject({
        appCode: "NOT_FOUND",
      });
  });
});

describe("avatars", () => {
  it("an upload becomes 256 and 64 px squares without metadata, sealed at rest, shown to members", async () => {
    const ws = await workspace(services, "prof-avatar");
    const bob = await person(services, ws, "member");
    const jpeg = await picture("jpeg", { width: 640, height: 480, exif: true });
    expect((await sharp(jpeg).metadata()).exif).toBeDefined();

    const res = await uploadAvatar(services, ws.client, jpeg, { "content-type": "image/jpeg" });
    expect(res.status).toBe(200);
    const profile = (await res.json()) as { avatarUrl: string };
    expect(profile.avatarUrl).toMatch(new RegExp(`^/api/avatars/${ws.ownerId}\\?v=[0-9a-f]{12}$`));
    expect(await bob.client.call((c) => c.profile.avatars())).toEqual({ [ws.ownerId]: profile.avatarUrl });
    expect((await bob.client.call((c) => c.profile.card({ userId: ws.ownerId }))).avatarUrl).toBe(
      profile.avatarUrl,
    );

    for (const [size, px] of [
      [undefined, 256],
      ["thumb", 64],
    ] as const) {
      const got = await fetchAvatar(services, bob.client, ws.ownerId, { size });
      expect(got.status).toBe(200);
      expect(got.headers.get("content-type")).toBe("image/webp");
      expect(got.headers.get("x-content-type-options")).toBe("nosniff");
      const meta = await sharp(Buffer.from(await got.arrayBuffer())).metadata();
      expect(meta).toMatchObject({ format: "webp", width: px, height: px });
      expect(meta.exif).toBeUndefined();
      expect(meta.icc).toBeUndefined();
      // Revalidation answers 304 for the same picture.
      const again = await fetchAvatar(services, bob.client, ws.ownerId, {
        size,
        headers: { "if-none-match": got.headers.get("etag")! },
      });
      expect(again.status).toBe(304);
    }

    // At rest: sealed, neither an image nor the camera's metadata.
    const keys = await storedKeys(ws, ws.ownerId);
    const sealed = await readFile(join(root, keys.full!));
    expect(sealed.subarray(0, 4).toString("latin1")).not.toBe("RIFF");
    expect(sealed.includes(Buffer.from("SecretCam"))).toBe(false);

    // A new picture replaces the old one (its bodies are removed); removing goes back to initials.
    const second = await uploadAvatar(services, ws.client, await picture("png"));
    expect(second.status).toBe(200);
    expect(((await second.json()) as { avatarUrl: string }).avatarUrl).not.toBe(profile.avatarUrl);
    await expect(readFile(join(root, keys.full!))).rejects.toMatchObject({ code: "ENOENT" });
    await ws.client.call((c) => c.profile.removeAvatar());
    expect((await fetchAvatar(services, bob.client, ws.ownerId)).status).toBe(404);
    expect(await bob.client.call((c) => c.profile.avatars())).toEqual({});
  });

  it("is served to signed-in members of the same workspace only", async () => {
    const a = await workspace(services, "prof-av-a");
    const b = await workspace(services, "prof-av-b");
    expect((await uploadAvatar(services, a.client, await picture("png"))).status).toBe(200);

    // Anonymous: 401.
    const anonymous = new TestClient(services, a.client.host);
    const anon = await fetchAvatar(services, anonymous, a.ownerId);
    expect(anon.status).toBe(401);
    expect(await anon.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });
    // Tenant B's member, with B's session, on A's host: not a session there.
    const crossHost = await fetchAvatar(services, b.client, a.ownerId, { host: a.client.host });
    expect(crossHost.status).toBe(401);
    // On B's own host, A's person is unknown.
    const ownHost = await fetchAvatar(services, b.client, a.ownerId);
    expect(ownHost.status).toBe(404);
    expect(await ownHost.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
    // And at the database: B's role cannot read A's users table at all.
    const denied = await withTenant(services.db, b.tenant, ({ db }) =>
      db.execute(sql.raw(`select avatar_key from "${a.tenant.schemaName}".users`)),
    ).then(
      () => null,
      (err: Error) => err,
    );
    expect(String(denied?.cause ?? denied)).toMatch(/permission denied/);
  });

  it("a non-image and an oversized file get typed errors; nothing is stored", async () => {
    const ws = await workspace(services, "prof-av-bad");
    const text = Buffer.from("just some text, not a picture");
    const notImage = await uploadAvatar(services, ws.client, text, { "content-type": "image/png" });
    expect(notImage.status).toBe(415);
    expect(await notImage.json()).toMatchObject({
      error: { code: "VALIDATION_FAILED", details: { reason: "not_an_image", detected: null } },
    });
    const pdf = await uploadAvatar(services, ws.client, Buffer.from("%PDF-1.7\n%%EOF\n"));
    expect(((await pdf.json()) as { error: { details: unknown } }).error.details).toMatchObject({
      reason: "not_an_image",
      detected: "application/pdf",
    });
    // A PNG signature over garbage: an image by its first bytes, unreadable after.
    const broken = Buffer.concat([(await picture("png")).subarray(0, 16), Buffer.alloc(200, 1)]);
    const unreadable = await uploadAvatar(services, ws.client, broken);
    expect(unreadable.status).toBe(400);
    expect(await unreadable.json()).toMatchObject({
      error: { code: "VALIDATION_FAILED", details: { reason: "unreadable_image" } },
    });

    const big = Buffer.concat([await picture("png"), Buffer.alloc(AVATAR_MAX_BYTES)]);
    const tooBig = await uploadAvatar(services, ws.client, big);
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({
      error: { code: "LIMIT_EXCEEDED", details: { resource: "avatar_size", maxBytes: AVATAR_MAX_BYTES } },
    });
    expect(await storedKeys(ws, ws.ownerId)).toEqual({ full: null, thumb: null });
    expect((await ws.client.call((c) => c.profile.me())).avatarUrl).toBeNull();
  });

  it("uploads need a session of this host and the same origin", async () => {
    const ws = await workspace(services, "prof-av-auth");
    const png = await picture("png");
    expect((await uploadAvatar(services, new TestClient(services, ws.client.host), png)).status).toBe(401);
    const crossSite = await uploadAvatar(services, ws.client, png, { origin: "http://evil.example" });
    expect(crossSite.status).toBe(403);
    expect((await ws.client.call((c) => c.profile.me())).avatarUrl).toBeNull();
  });
});
