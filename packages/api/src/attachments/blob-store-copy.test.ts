import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LocalDiskBlobStore, newStorageKey } from "./blob-store";
import { copyDiskToS3 } from "./blob-store-copy";
import { S3BlobStore } from "./blob-store-s3";
import { s3Env, startTestS3, type TestS3 } from "./blob-store-testkit";

// `pnpm files:to-s3`: every disk blob copied once, as it is, verified before any disk copy goes.

let s3: TestS3;
let dir: string;
let disk: LocalDiskBlobStore;
let files: Map<string, Buffer>;

beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A fresh disk store with files of two tenants (one empty, one of 3 MiB), and a fresh key space. */
beforeEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = await mkdtemp(join(tmpdir(), "nchat-copy-"));
  disk = new LocalDiskBlobStore(dir);
  files = new Map();
  const tenants = [randomUUID(), randomUUID()];
  const sizes = [0, 1, 1000, 70_000, 3 * 1024 * 1024, 500];
  for (const [i, size] of sizes.entries()) {
    const key = newStorageKey(tenants[i % 2]!);
    const bytes = randomBytes(size);
    await disk.put(key, bytes);
    files.set(key, bytes);
  }
  // Not blobs: a temporary file of an interrupted write, and a stray file. Never copied.
  const [first] = files.keys();
  await writeFile(`${disk.path(first!)}.abc123.tmp`, "partial");
  await writeFile(join(dir, "README"), "not a blob");
});

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe("copyDiskToS3", () => {
  it("a dry run reports what it would copy and writes nothing", async () => {
    const summary = await copyDiskToS3(disk, s3.store, { dryRun: true, deleteLocal: true });
    expect(summary).toMatchObject({ scanned: 6, wouldCopy: 6, copied: 0, skipped: 0, deleted: 0, failed: 0 });
    for (const key of files.keys()) {
      expect(await s3.rawObject(key)).toBeNull();
      expect(await exists(disk.path(key))).toBe(true);
    }
  });

  it("copies every blob byte for byte under its key, keeps the disk copies, and skips them the next time", async () => {
    const first = await copyDiskToS3(disk, s3.store, { concurrency: 3 });
    const total = [...files.values()].reduce((n, b) => n + b.length, 0);
    expect(first).toMatchObject({
      scanned: 6,
      copied: 6,
      skipped: 0,
      deleted: 0,
      failed: 0,
      bytesCopied: total,
    });
    for (const [key, bytes] of files) {
      expect((await s3.rawObject(key))?.equals(bytes)).toBe(true);
      expect(await exists(disk.path(key))).toBe(true);
    }
    const again = await copyDiskToS3(disk, s3.store);
    expect(again).toMatchObject({ scanned: 6, copied: 0, skipped: 6, failed: 0, bytesCopied: 0 });
  });

  it("resumes: what is already there is skipped, a stale or partial object is copied again", async () => {
    const [done, stale, partial] = [...files.keys()].filter((k) => files.get(k)!.length > 0);
    await s3.store.put(done!, files.get(done!)!);
    await s3.store.put(stale!, randomBytes(files.get(stale!)!.length)); // same size, other bytes
    await s3.store.put(partial!, files.get(partial!)!.subarray(0, 1));
    const summary = await copyDiskToS3(disk, s3.store);
    expect(summary).toMatchObject({ scanned: 6, copied: 5, skipped: 1, failed: 0 });
    for (const [key, bytes] of files) expect((await s3.rawObject(key))?.equals(bytes)).toBe(true);
  });

  it("--delete-local removes each disk copy only after its object is verified", async () => {
    const summary = await copyDiskToS3(disk, s3.store, { deleteLocal: true });
    expect(summary).toMatchObject({ scanned: 6, copied: 6, deleted: 6, failed: 0 });
    for (const [key, bytes] of files) {
      expect(await exists(disk.path(key))).toBe(false);
      expect((await s3.rawObject(key))?.equals(bytes)).toBe(true);
    }
    // Nothing else under the directory was touched.
    expect(await exists(join(dir, "README"))).toBe(true);
  });

  it("a failing bucket fails each file, and nothing is deleted from disk", async () => {
    const nowhere = new S3BlobStore({ ...s3.config, bucket: "no-such-bucket" });
    const summary = await copyDiskToS3(disk, nowhere, { deleteLocal: true });
    nowhere.client.destroy();
    expect(summary).toMatchObject({ scanned: 6, copied: 0, deleted: 0, failed: 6 });
    expect(summary.failures[0]!.error).toMatch(/^blob store: s3 put failed/);
    for (const key of files.keys()) expect(await exists(disk.path(key))).toBe(true);
  });
});

describe("pnpm files:to-s3", () => {
  const root = resolve(import.meta.dirname, "../../../..");
  const run = (...args: string[]) =>
    promisify(execFile)(join(root, "node_modules/.bin/tsx"), ["scripts/files-to-s3.ts", ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, NODE_ENV: "test", FILES_DIR: dir, ...s3Env(s3) },
    });

  // Each run starts a process: generous timeouts on a busy machine.
  it("dry run, copy, then a second run that skips everything; a summary each time", {
    timeout: 120_000,
  }, async () => {
    const dry = await run("--dry-run");
    expect(dry.stdout).toContain(
      "files:to-s3 (dry run): 6 files, 6 to copy, 0 already in the bucket, 0 failed",
    );
    const copy = await run("--concurrency", "2");
    expect(copy.stdout).toMatch(
      /files:to-s3: 6 files, 6 copied \(3\.1 MiB\), 0 already in the bucket, 0 deleted/,
    );
    const again = await run("--delete-local");
    expect(again.stdout).toContain(
      "6 files, 0 copied (0.0 MiB), 6 already in the bucket, 6 deleted from disk, 0 failed",
    );
    for (const key of files.keys()) expect(await exists(disk.path(key))).toBe(false);
  });

  it("refuses to run without a bucket", { timeout: 120_000 }, async () => {
    const err = await promisify(execFile)(join(root, "node_modules/.bin/tsx"), ["scripts/files-to-s3.ts"], {
      cwd: root,
      env: { PATH: process.env.PATH, NODE_ENV: "test", FILES_DIR: dir },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toContain("set S3_BUCKET");
  });
});
