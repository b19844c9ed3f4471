import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { withTenant } from "@nchat/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { SYSTEM } from "../audit/actor";
import { addMember, createChannel, setMember } from "../realtime/testkit";
import { linkToMessage } from "./attachment-service";
import { sanitizeFileName } from "./file-name";
import {
  filesUnder,
  JPEG,
  message,
  owned,
  PDF,
  PNG,
  rejects,
  root,
  services,
  setLimits,
  storedBytes,
  text,
  upload,
  useKit,
} from "./testkit";

/** Attachments: upload rules, who can download, usage. */

useKit();

describe("upload rules", () => {
  it("the plan's maximum file size (exactly at it passes, one byte more does not), per plan", async () => {
    const o = await owned();
    const max = 10 * 1024 * 1024; // Free: 10 MB
    expect(await services.attachments.maxUploadBytes(o.tenant)).toBe(max);
    const over = await rejects(upload(o, o.general, Buffer.alloc(max + 1)));
    expect(over).toMatchObject({
      code: "LIMIT_EXCEEDED",
      details: { resource: "upload_size", maxBytes: max },
    });
    expect((await upload(o, o.general, Buffer.alloc(max))).sizeBytes).toBe(max);

    await services.tenants.updateTenant(o.tenant.id, { billingPlan: "pro" }, SYSTEM);
    expect(await services.attachments.maxUploadBytes(o.tenant)).toBe(100 * 1024 * 1024);
    expect((await upload(o, o.general, Buffer.alloc(max + 1))).sizeBytes).toBe(max + 1);

    await setLimits(services, o.tenant.id, { maxUploadMb: 0.001 }, "pro"); // 1,049 bytes
    expect(await rejects(upload(o, o.general, Buffer.alloc(1050)))).toMatchObject({ code: "LIMIT_EXCEEDED" });
    expect((await upload(o, o.general, Buffer.alloc(1049))).sizeBytes).toBe(1049);
  });

  it("the storage quota holds exactly under 20 concurrent uploads when only 3 fit", async () => {
    const o = await owned();
    await setLimits(services, o.tenant.id, { storageGb: 3500 / 1024 ** 3 }); // 3,500 bytes
    const before = (await filesUnder(join(root, o.tenant.id))).length;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => upload(o, o.general, randomBytes(1000), `f${i}.bin`)),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    expect(ok).toHaveLength(3);
    expect(
      refused.map((r) => (r.reason as { code: string; details: { resource: string } }).details.resource),
    ).toEqual(Array(17).fill("storage"));
    const [sum] = await services.db.admin<{ bytes: string; n: string }[]>`
      select coalesce(sum(size_bytes), 0)::text as bytes, count(*)::text as n
      from ${services.db.admin(o.tenant.schemaName)}.attachments`;
    expect(sum).toEqual({ bytes: "3000", n: "3" });
    // Refused uploads left no bodies behind.
    expect((await filesUnder(join(root, o.tenant.id))).length - before).toBe(3);
  });

  it("refuses a declared image or PDF whose bytes are something else; takes the sniffed type when none is declared", async () => {
    const o = await owned();
    const html = text("<html><script>alert(document.cookie)</script></html>");
    for (const declared of [
      "image/png",
      "image/jpeg",
      "image/gif",
      "image/webp",
      "application/pdf",
      "IMAGE/PNG; x=1",
    ]) {
      expect(await rejects(upload(o, o.general, html, "x", declared))).toMatchObject({
        code: "VALIDATION_FAILED",
      });
    }
    expect(await rejects(upload(o, o.general, PNG, "x.pdf", "application/pdf"))).toMatchObject({
      code: "VALIDATION_FAILED",
      details: { declared: "application/pdf", detected: "image/png" },
    });
    expect(await rejects(upload(o, o.general, PNG, "x", "not a type"))).toMatchObject({
      code: "VALIDATION_FAILED",
    });
    expect((await upload(o, o.general, JPEG, "p.jpg", "image/jpg")).contentType).toBe("image/jpeg");
    expect((await upload(o, o.general, PDF, "d.pdf", "application/pdf")).contentType).toBe("application/pdf");
    expect((await upload(o, o.general, PNG, "noname", null)).contentType).toBe("image/png");
    expect((await upload(o, o.general, PNG, "x", "application/octet-stream")).contentType).toBe("image/png");
    // Kept as declared — but never served inline.
    const page = await upload(o, o.general, html, "page.html", "text/html");
    expect(page.contentType).toBe("text/html");
    expect((await services.attachments.download(o.tenant, o.user, page.id)).inline).toBe(false);
    expect(
      (
        await services.attachments.download(
          o.tenant,
          o.user,
          (
            await upload(o, o.general, PNG, "i.png", "image/png")
          ).id,
        )
      ).inline,
    ).toBe(true);
  });

  it("file names: no paths, no control or bidi characters, at most 200 characters", async () => {
    expect(sanitizeFileName("../../etc/passwd")).toBe("passwd");
    expect(sanitizeFileName("C:\\Users\\me\\report.pdf")).toBe("report.pdf");
    expect(sanitizeFileName("invoice\u202Efdp.exe")).toBe("invoicefdp.exe");
    expect(sanitizeFileName("a\u0000b\nc\td")).toBe("abcd");
    expect(sanitizeFileName("..")).toBe("file");
    expect(sanitizeFileName("   ")).toBe("file");
    const long = sanitizeFileName(`${"é".repeat(300)}.txt`);
    expect(Array.from(long)).toHaveLength(200);
    expect(long.endsWith(".txt")).toBe(true);
    const o = await owned();
    expect((await upload(o, o.general, text("x"), "/tmp/../../secret.txt")).fileName).toBe("secret.txt");
  });

  it("needs the fileUploads feature, channel membership, a live channel", async () => {
    const o = await owned();
    const member = await addMember(services, o);
    const m = { tenant: o.tenant, user: { id: member.user.id } };
    const notJoined = await createChannel(services, o.tenant, "public", [o.ownerId]);
    const secret = await createChannel(services, o.tenant, "private", [o.ownerId]);
    expect(await rejects(upload(m, notJoined, text("x")))).toMatchObject({ code: "FORBIDDEN" });
    expect(await rejects(upload(m, secret, text("x")))).toMatchObject({ code: "NOT_FOUND" }); // not even revealed
    expect(await rejects(upload(m, crypto.randomUUID(), text("x")))).toMatchObject({ code: "NOT_FOUND" });
    expect(await rejects(upload(m, "not-a-uuid", text("x")))).toMatchObject({ code: "NOT_FOUND" });
    expect(await rejects(upload(m, o.general, Buffer.alloc(0)))).toMatchObject({ code: "VALIDATION_FAILED" });
    expect((await upload(m, o.general, text("x"))).uploaderId).toBe(member.user.id);

    await withTenant(services.db, o.tenant, ({ db, t }) =>
      db.update(t.channels).set({ archivedAt: new Date() }).where(eq(t.channels.id, notJoined)),
    );
    expect(await rejects(upload(o, notJoined, text("x")))).toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/archived/),
    });

    await services.tenants.updateTenant(o.tenant.id, { features: { fileUploads: false } }, SYSTEM);
    expect(await rejects(upload(o, o.general, text("x")))).toMatchObject({ code: "FEATURE_NOT_IN_PLAN" });
  });
});

describe("who can download", () => {
  it("channel members after the file is attached to a message; never non-members, other tenants, deleted messages", async () => {
    const o = await owned();
    const member = await addMember(services, o);
    const guest = await addMember(services, o, "guest");
    const m = { id: member.user.id };
    const secret = await createChannel(services, o.tenant, "private", [o.ownerId]);
    const inSecret = await upload(o, secret, PNG, "plan.png", "image/png");
    const inGeneral = await upload(o, o.general, PNG, "pub.png", "image/png");
    const notFound = { code: "NOT_FOUND", message: "No such file." };

    // Unattached uploads are their uploader's only.
    expect(await rejects(services.attachments.download(o.tenant, m, inGeneral.id))).toMatchObject(notFound);
    const msg = await message(o.tenant, o.general, o.ownerId);
    const linked = await withTenant(services.db, o.tenant, ({ db, t }) =>
      linkToMessage(db, t, [inGeneral.id], msg, o.ownerId),
    );
    expect(linked).toEqual([
      { id: inGeneral.id, fileName: "pub.png", contentType: "image/png", sizeBytes: PNG.length },
    ]);
    expect((await services.attachments.download(o.tenant, m, inGeneral.id)).bytes.equals(PNG)).toBe(true);
    // The guest is a member of general (joined at invite): allowed; the secret channel: no one but members.
    expect(
      (await services.attachments.download(o.tenant, { id: guest.user.id }, inGeneral.id)).bytes.equals(PNG),
    ).toBe(true);

    const secretMsg = await message(o.tenant, secret, o.ownerId);
    await withTenant(services.db, o.tenant, ({ db, t }) =>
      linkToMessage(db, t, [inSecret.id], secretMsg, o.ownerId),
    );
    expect(await rejects(services.attachments.download(o.tenant, m, inSecret.id))).toMatchObject(notFound);
    expect(await rejects(services.attachments.get(o.tenant, m, inSecret.id))).toMatchObject(notFound);
    await setMember(services, o.tenant, secret, member.user.id, true);
    expect((await services.attachments.download(o.tenant, m, inSecret.id)).bytes.equals(PNG)).toBe(true);

    // Another tenant (its own user, its own schema) does not know the id at all.
    const other = await owned();
    expect(
      await rejects(services.attachments.download(other.tenant, other.user, inGeneral.id)),
    ).toMatchObject(notFound);
    expect(await rejects(services.attachments.download(other.tenant, o.user, inGeneral.id))).toMatchObject(
      notFound,
    );
    expect(await rejects(services.attachments.download(o.tenant, m, "../../etc/passwd"))).toMatchObject(
      notFound,
    );

    // A deleted message takes its files with it.
    await withTenant(services.db, o.tenant, ({ db, t }) =>
      db.update(t.messages).set({ deletedAt: new Date() }).where(eq(t.messages.id, msg)),
    );
    expect(await rejects(services.attachments.download(o.tenant, o.user, inGeneral.id))).toMatchObject(
      notFound,
    );
  });

  it("linkToMessage: only the uploader's own unattached files of the message's channel, all or nothing", async () => {
    const o = await owned();
    const member = await addMember(services, o);
    const mine = await upload(o, o.general, text("mine"));
    const theirs = await upload(
      { tenant: o.tenant, user: { id: member.user.id } },
      o.general,
      text("theirs"),
    );
    const elsewhere = await createChannel(services, o.tenant, "public", [o.ownerId]);
    const wrongChannel = await upload(o, elsewhere, text("elsewhere"));
    const msg = await message(o.tenant, o.general, o.ownerId);
    const link = (ids: string[]) =>
      withTenant(services.db, o.tenant, ({ db, t }) => linkToMessage(db, t, ids, msg, o.ownerId));
    for (const ids of [[mine.id, theirs.id], [mine.id, wrongChannel.id], ["nope"], [crypto.randomUUID()]]) {
      expect(await rejects(link(ids))).toMatchObject({ code: "VALIDATION_FAILED" });
    }
    expect((await services.attachments.get(o.tenant, o.user, mine.id)).messageId).toBeNull(); // nothing half-done
    expect(await link([mine.id, mine.id])).toHaveLength(1);
    expect(await rejects(link([mine.id]))).toMatchObject({ code: "VALIDATION_FAILED" }); // already attached
    expect(await link([])).toEqual([]);
  });

  it("delete: the uploader or an admin; frees the storage and removes the body", async () => {
    const o = await owned();
    const member = await addMember(services, o);
    const file = await upload(o, o.general, text("to be deleted"));
    const msg = await message(o.tenant, o.general, o.ownerId);
    await withTenant(services.db, o.tenant, ({ db, t }) => linkToMessage(db, t, [file.id], msg, o.ownerId));
    const { key } = await storedBytes(services, root, o.tenant, file.id);
    expect(
      await rejects(services.attachments.delete(o.tenant, { id: member.user.id }, file.id)),
    ).toMatchObject({ code: "FORBIDDEN" });
    const own = await upload({ tenant: o.tenant, user: { id: member.user.id } }, o.general, text("own"));
    await services.attachments.delete(o.tenant, { id: member.user.id }, own.id);
    await services.attachments.delete(o.tenant, o.user, file.id); // the owner (an admin and the uploader)
    await expect(readFile(join(root, key))).rejects.toMatchObject({ code: "ENOENT" });
    expect(await rejects(services.attachments.download(o.tenant, o.user, file.id))).toMatchObject({
      code: "NOT_FOUND",
    });
  });
});

describe("usage", () => {
  it("storage_bytes and files_count are recounted at flush after uploads and deletes", async () => {
    const o = await owned();
    const a = await upload(o, o.general, randomBytes(1234));
    await upload(o, o.general, randomBytes(766));
    await upload(o, o.general, randomBytes(10));
    await services.attachments.delete(o.tenant, o.user, a.id);
    await services.usage.flush();
    const [row] = await services.db.admin<{ storage_bytes: string; files_count: number }[]>`
      select storage_bytes::text, files_count from public.tenant_usage
      where tenant_id = ${o.tenant.id} and period = to_char(now() at time zone 'utc', 'YYYY-MM')`;
    expect(row).toEqual({ storage_bytes: "776", files_count: 2 });
  });
});
