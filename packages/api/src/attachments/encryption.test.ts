import { randomBytes } from "node:crypto";
import { parseMasterKey, withTenant } from "@nchat/db";
import { testMasterKey } from "@nchat/db/testing";
import { describe, expect, it } from "vitest";
import { AttachmentService } from "./attachment-service";
import { decryptFile, rotateMasterKey, TenantKeyring } from "./keys";
import { owned, root, services, storedBytes, text, upload, useKit } from "./testkit";

/** Attachments encrypted at rest: ciphertext only on disk, per-tenant keys, master key rotation. */

useKit();

describe("encryption at rest", () => {
  it("stores ciphertext only, and downloads the plaintext", async () => {
    const o = await owned();
    const plain = text("the quarterly numbers are confidential ".repeat(50));
    const a = await upload(o, o.general, plain, "report.txt", "text/plain");
    expect(a).toMatchObject({
      channelId: o.general,
      fileName: "report.txt",
      contentType: "text/plain",
      sizeBytes: plain.length,
      messageId: null,
    });

    const { bytes: onDisk } = await storedBytes(services, root, o.tenant, a.id);
    expect(onDisk.length).toBe(plain.length + 28); // iv + tag + ciphertext
    expect(onDisk.includes(plain.subarray(0, 32))).toBe(false);
    expect(onDisk.toString("latin1")).not.toContain("confidential");

    const got = await services.attachments.download(o.tenant, o.user, a.id);
    expect(got.bytes.equals(plain)).toBe(true);
    expect(got.inline).toBe(false);
  });

  it("another tenant's key (or another attachment's id) does not decrypt a file", async () => {
    const a = await owned();
    const b = await owned();
    const plain = randomBytes(256);
    const file = await upload(a, a.general, plain);
    const { bytes: sealed } = await storedBytes(services, root, a.tenant, file.id);
    const keyring = new TenantKeyring(services.masterKey);
    const keyA = await withTenant(services.db, a.tenant, ({ db }) => keyring.dataKey(db, a.tenant));
    const keyB = await withTenant(services.db, b.tenant, ({ db }) => keyring.dataKey(db, b.tenant));
    expect(keyA.key.equals(keyB.key)).toBe(false);
    expect(decryptFile(keyA.key, a.tenant.id, file.id, sealed).equals(plain)).toBe(true);
    expect(() => decryptFile(keyB.key, a.tenant.id, file.id, sealed)).toThrow();
    expect(() => decryptFile(keyB.key, b.tenant.id, file.id, sealed)).toThrow();
    expect(() => decryptFile(keyA.key, b.tenant.id, file.id, sealed)).toThrow(); // bound to the tenant
    expect(() => decryptFile(keyA.key, a.tenant.id, crypto.randomUUID(), sealed)).toThrow(); // and the attachment
    // The tenant role reads its own key row only (RLS): B's transaction cannot unwrap A's key.
    await expect(
      withTenant(services.db, b.tenant, ({ db }) => keyring.dataKey(db, a.tenant)),
    ).rejects.toThrow(/no data key/);
  });

  it("rotating the master key re-wraps data keys without touching files", async () => {
    const o = await owned();
    const plain = randomBytes(1000);
    const file = await upload(o, o.general, plain);
    const { bytes: before } = await storedBytes(services, root, o.tenant, file.id);
    const newMaster = parseMasterKey(randomBytes(32).toString("base64"));
    const keyRow = async () =>
      (
        await services.db.admin<{ wrapped_key: string; master_key_id: string; version: number }[]>`
        select wrapped_key, master_key_id, version from public.tenant_keys where tenant_id = ${o.tenant.id}`
      )[0]!;
    const old = await keyRow();

    expect(
      await rotateMasterKey(services.db, testMasterKey, newMaster, { tenantIds: [o.tenant.id] }),
    ).toEqual({
      rotated: 1,
      alreadyRotated: 0,
      failed: [],
    });
    const now = await keyRow();
    expect(now.master_key_id).toBe(newMaster.id);
    expect(now.wrapped_key).not.toBe(old.wrapped_key);
    expect(now.version).toBe(old.version);
    const { bytes: after } = await storedBytes(services, root, o.tenant, file.id);
    expect(after.equals(before)).toBe(true);

    const withNew = new AttachmentService({
      db: services.db,
      blobs: services.blobs,
      keyring: new TenantKeyring(newMaster),
      usage: services.usage,
    });
    expect((await withNew.download(o.tenant, o.user, file.id)).bytes.equals(plain)).toBe(true);
    // During the switch-over a keyring holding both keys reads every tenant.
    const both = new AttachmentService({
      db: services.db,
      blobs: services.blobs,
      keyring: new TenantKeyring([newMaster, testMasterKey]),
      usage: services.usage,
    });
    expect((await both.download(o.tenant, o.user, file.id)).bytes.equals(plain)).toBe(true);
    const oldOnly = new AttachmentService({
      db: services.db,
      blobs: services.blobs,
      keyring: new TenantKeyring(testMasterKey),
      usage: services.usage,
    });
    await expect(oldOnly.download(o.tenant, o.user, file.id)).rejects.toThrow(/unknown master key/);

    // Again: nothing left to do; with the wrong old key: reported, not changed.
    expect(
      await rotateMasterKey(services.db, testMasterKey, newMaster, { tenantIds: [o.tenant.id] }),
    ).toMatchObject({ rotated: 0, alreadyRotated: 1 });
    const other = parseMasterKey(randomBytes(32).toString("base64"));
    const wrong = await rotateMasterKey(
      services.db,
      other,
      parseMasterKey(randomBytes(32).toString("base64")),
      { tenantIds: [o.tenant.id] },
    );
    expect(wrong).toMatchObject({ rotated: 0, failed: [{ tenantId: o.tenant.id }] });
    expect((await keyRow()).wrapped_key).toBe(now.wrapped_key);
  });
});
