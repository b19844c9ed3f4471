import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnv } from "@nchat/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BlobStore, LocalDiskBlobStore, newStorageKey } from "./blob-store";
import { blobStoreFromEnv, S3BlobStore } from "./blob-store-s3";
import { s3Env, startTestS3, type TestS3 } from "./blob-store-testkit";

// One contract, two stores: whatever the attachments and avatars rely on holds on disk and in S3.

let s3: TestS3;
let dir: string;
beforeAll(async () => {
  s3 = await startTestS3();
  dir = await mkdtemp(join(tmpdir(), "nchat-blobs-"));
});
afterAll(async () => {
  await s3?.stop();
  await rm(dir, { recursive: true, force: true });
});

const stores: [string, () => BlobStore][] = [
  ["disk", () => new LocalDiskBlobStore(dir)],
  ["s3", () => s3.store],
];

describe.each(stores)("%s store", (_name, store) => {
  const tenant = randomUUID();

  it("gives back the bytes it was given", async () => {
    const key = newStorageKey(tenant);
    const bytes = randomBytes(1000);
    await store().put(key, bytes);
    expect(await store().get(key)).toEqual(bytes);
  });

  it("answers null for a key it never stored, and for a deleted one", async () => {
    expect(await store().get(newStorageKey(tenant))).toBeNull();
    const key = newStorageKey(tenant);
    await store().put(key, Buffer.from("x"));
    await store().delete(key);
    expect(await store().get(key)).toBeNull();
  });

  it("deletes a missing key without an error", async () => {
    await expect(store().delete(newStorageKey(tenant))).resolves.toBeUndefined();
  });

  it("replaces the bytes on a second put (shorter ones leave nothing of the first)", async () => {
    const key = newStorageKey(tenant);
    await store().put(key, Buffer.from("first version, the longer one"));
    await store().put(key, Buffer.from("second"));
    expect((await store().get(key))?.toString()).toBe("second");
  });

  it("stores an empty body and a large one (8 MiB) exactly", async () => {
    const empty = newStorageKey(tenant);
    await store().put(empty, new Uint8Array(0));
    expect(await store().get(empty)).toEqual(Buffer.alloc(0));
    const large = newStorageKey(tenant);
    const bytes = randomBytes(8 * 1024 * 1024);
    await store().put(large, bytes);
    const back = await store().get(large);
    expect(back?.length).toBe(bytes.length);
    expect(back?.equals(bytes)).toBe(true);
  });

  it("keeps keys apart: another tenant's key and another file's key are other objects", async () => {
    const a = newStorageKey(tenant);
    const b = newStorageKey(randomUUID());
    await store().put(a, Buffer.from("a"));
    await store().put(b, Buffer.from("b"));
    await store().delete(b);
    expect((await store().get(a))?.toString()).toBe("a");
  });

  it("leaves one whole version when two puts race on a key", async () => {
    const key = newStorageKey(tenant);
    const one = Buffer.alloc(256 * 1024, 1);
    const two = Buffer.alloc(256 * 1024, 2);
    await Promise.all([store().put(key, one), store().put(key, two)]);
    const back = await store().get(key);
    expect(back?.equals(one) || back?.equals(two)).toBe(true);
  });

  it.each([
    "../../etc/passwd",
    `${tenant}/../x`,
    `${tenant}/ab/${"0".repeat(31)}.`,
    "report.pdf",
    `${tenant.toUpperCase()}/ab/${"0".repeat(32)}`,
    "",
  ])("refuses a key that is not a platform-made storage key (%j)", async (key) => {
    await expect(store().put(key, Buffer.from("x"))).rejects.toThrow("blob store: invalid key");
    await expect(store().get(key)).rejects.toThrow("blob store: invalid key");
    await expect(store().delete(key)).rejects.toThrow("blob store: invalid key");
  });
});

describe("S3 store failures", () => {
  it("a server that does not answer is an error, never a missing file", async () => {
    const dead = new S3BlobStore({
      ...s3.config,
      endpoint: "http://127.0.0.1:9", // discard port: nothing listens
    });
    await expect(dead.get(newStorageKey(randomUUID()))).rejects.toThrow("blob store: s3 get failed");
    await expect(dead.put(newStorageKey(randomUUID()), Buffer.from("x"))).rejects.toThrow(
      "blob store: s3 put failed",
    );
    dead.client.destroy();
  });

  it("a missing bucket is an error, never a missing file", async () => {
    const nowhere = new S3BlobStore({ ...s3.config, bucket: "no-such-bucket" });
    await expect(nowhere.get(newStorageKey(randomUUID()))).rejects.toThrow("blob store: s3 get failed");
    nowhere.client.destroy();
  });

  it("wrong credentials are an error, and the message carries no secret", async () => {
    const wrong = new S3BlobStore({
      ...s3.config,
      credentials: { accessKeyId: "NOT-A-KEY", secretAccessKey: "not-the-secret" },
    });
    const err = await wrong.put(newStorageKey(randomUUID()), Buffer.from("x")).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^blob store: s3 put failed/);
    expect((err as Error).message).not.toContain("not-the-secret");
    wrong.client.destroy();
  });
});

describe("the store chosen by the environment", () => {
  const base = { NODE_ENV: "test" };

  it("is the disk under FILES_DIR by default, S3 with FILES_STORE=s3", async () => {
    expect(blobStoreFromEnv(loadEnv({ ...base, FILES_DIR: dir }))).toBeInstanceOf(LocalDiskBlobStore);
    const chosen = blobStoreFromEnv(loadEnv({ ...base, ...s3Env(s3) }));
    expect(chosen).toBeInstanceOf(S3BlobStore);
    // It is the test server's bucket: what one store writes, the other reads.
    const key = newStorageKey(randomUUID());
    await chosen.put(key, Buffer.from("via env"));
    expect((await s3.store.get(key))?.toString()).toBe("via env");
    (chosen as S3BlobStore).client.destroy();
  });

  it("refuses FILES_STORE=s3 without a bucket, and half a key pair", () => {
    expect(() => loadEnv({ ...base, FILES_STORE: "s3" })).toThrow(
      "S3_BUCKET: FILES_STORE=s3 needs S3_BUCKET.",
    );
    expect(() =>
      loadEnv({
        NODE_ENV: "production",
        DATABASE_URL: "postgres://u@h/db",
        MASTER_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64"),
        DATABASE_APP_PASSWORD: "a-real-password",
        BILLING_MODE: "offline",
        FILES_STORE: "s3",
      }),
    ).toThrow("S3_BUCKET: FILES_STORE=s3 needs S3_BUCKET.");
    expect(() => loadEnv({ ...base, FILES_STORE: "s3", S3_BUCKET: "b-1", S3_ACCESS_KEY_ID: "AK" })).toThrow(
      "S3_SECRET_ACCESS_KEY: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together",
    );
    expect(() => loadEnv({ ...base, FILES_STORE: "ftp" })).toThrow(/FILES_STORE/);
  });
});
