import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import type { LocalDiskBlobStore } from "./blob-store";
import type { BlobHead, S3BlobStore } from "./blob-store-s3";

export type CopyOptions = {
  /** Report what would be copied (and deleted) without writing or deleting anything. */
  dryRun?: boolean;
  /** Remove a disk file once its object in the bucket is verified equal (same size and MD5). */
  deleteLocal?: boolean;
  /** Files worked on at once (default 4). Each streams, so memory stays bounded by this count. */
  concurrency?: number;
  onFile?: (result: FileResult) => void;
};

export type FileResult = {
  key: string;
  size: number;
  outcome: "copied" | "skipped" | "would-copy" | "failed";
  /** The disk copy was removed (only with deleteLocal, after verification). */
  deleted: boolean;
  error?: string;
};

export type CopySummary = {
  scanned: number;
  copied: number;
  /** Already in the bucket with the same size and MD5 (an earlier, possibly interrupted, run). */
  skipped: number;
  /** Dry run: would have been copied. */
  wouldCopy: number;
  failed: number;
  deleted: number;
  bytesCopied: number;
  failures: { key: string; error: string }[];
};

/**
 * Copies every blob of the disk store to the bucket, one object per key (the same key). Idempotent
 * and resumable: an object already there with the disk file's size and MD5 (ETag of a single-part
 * upload) is skipped, so running it again after an interruption copies only the rest. Each upload is
 * streamed from disk with its MD5 (the server refuses a damaged body) and verified afterwards with a
 * HEAD. The disk copy is deleted only with `deleteLocal`, and only once the bucket's object was
 * verified. The files are already ciphertext: nothing is decrypted or re-encrypted.
 */
export async function copyDiskToS3(
  disk: LocalDiskBlobStore,
  s3: S3BlobStore,
  opts: CopyOptions = {},
): Promise<CopySummary> {
  const summary: CopySummary = {
    scanned: 0,
    copied: 0,
    skipped: 0,
    wouldCopy: 0,
    failed: 0,
    deleted: 0,
    bytesCopied: 0,
    failures: [],
  };
  const concurrency = Math.max(1, Math.min(opts.concurrency ?? 4, 32));
  const keys = disk.keys();
  const worker = async () => {
    for (;;) {
      const next = await keys.next();
      if (next.done) return;
      const result = await copyOne(disk, s3, next.value, opts);
      summary.scanned++;
      if (result.outcome === "copied") {
        summary.copied++;
        summary.bytesCopied += result.size;
      } else if (result.outcome === "skipped") summary.skipped++;
      else if (result.outcome === "would-copy") summary.wouldCopy++;
      else {
        summary.failed++;
        summary.failures.push({ key: result.key, error: result.error ?? "unknown" });
      }
      if (result.deleted) summary.deleted++;
      opts.onFile?.(result);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return summary;
}

async function copyOne(
  disk: LocalDiskBlobStore,
  s3: S3BlobStore,
  key: string,
  opts: CopyOptions,
): Promise<FileResult> {
  const path = disk.path(key);
  let size = 0;
  try {
    size = (await stat(path)).size;
    const md5 = await fileMd5(path);
    const there = await s3.head(key);
    if (sameObject(there, size, md5)) {
      return {
        key,
        size,
        outcome: "skipped",
        deleted: await removeIfVerified(opts, s3, key, path, md5, there),
      };
    }
    if (opts.dryRun) return { key, size, outcome: "would-copy", deleted: false };
    await s3.putFile(key, path, size, md5);
    const after = await s3.head(key);
    if (!sameObject(after, size, md5)) throw new Error("the bucket's object differs after the upload");
    return { key, size, outcome: "copied", deleted: await removeIfVerified(opts, s3, key, path, md5, after) };
  } catch (err) {
    return { key, size, outcome: "failed", deleted: false, error: (err as Error).message };
  }
}

/**
 * Same size, and the same MD5 when the ETag is one (single-part uploads without SSE-KMS; otherwise
 * the ETag is opaque and only the size can be compared).
 */
function sameObject(head: BlobHead | null, size: number, md5: string): boolean {
  if (!head || head.size !== size) return false;
  if (head.etag && /^[0-9a-f]{32}$/.test(head.etag)) return head.etag === md5;
  return true;
}

/**
 * Deletes the disk file when asked, once the object is known to hold the same bytes: its ETag is the
 * file's MD5, or (an opaque ETag) the object's bytes, read back, hash to it.
 */
async function removeIfVerified(
  opts: CopyOptions,
  s3: S3BlobStore,
  key: string,
  path: string,
  md5: string,
  head: BlobHead | null,
): Promise<boolean> {
  if (!opts.deleteLocal || opts.dryRun) return false;
  if (head?.etag !== md5) {
    const bytes = await s3.get(key);
    if (!bytes || createHash("md5").update(bytes).digest("hex") !== md5)
      throw new Error("the bucket's object could not be verified: the disk copy is kept");
  }
  await rm(path, { force: true });
  return true;
}

function fileMd5(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("md5");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}
