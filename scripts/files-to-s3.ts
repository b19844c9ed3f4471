// `pnpm files:to-s3 [--dry-run] [--delete-local] [--concurrency N]`: copies every file of the disk
// store (FILES_DIR) to the bucket of S3_BUCKET (S3_* settings, whatever FILES_STORE says), under the same
// keys, as they are (ciphertext). Idempotent and resumable: objects already there with the same size and
// MD5 are skipped. The disk copies stay unless --delete-local, and then only once verified. Exit code 1
// if any file failed; run it again to retry them.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { copyDiskToS3, LocalDiskBlobStore, S3BlobStore, s3ConfigFromEnv } from "@nchat/api";
import { loadEnv } from "@nchat/config";
import { ROOT } from "./lib/runtime";

const { values } = parseArgs({
  options: {
    "dry-run": { type: "boolean", default: false },
    "delete-local": { type: "boolean", default: false },
    concurrency: { type: "string", default: "4" },
  },
});
const concurrency = Number(values.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
  console.error("--concurrency must be an integer from 1 to 32");
  process.exit(2);
}

if (existsSync(join(ROOT, ".env"))) process.loadEnvFile(join(ROOT, ".env"));
const env = loadEnv(process.env);
if (!env.S3_BUCKET) {
  console.error("files:to-s3: set S3_BUCKET (and S3_REGION / S3_ENDPOINT / credentials as needed).");
  process.exit(2);
}
const disk = new LocalDiskBlobStore(env.FILES_DIR);
const s3 = new S3BlobStore(s3ConfigFromEnv(env));
const dryRun = values["dry-run"];
const tty = process.stdout.isTTY;
let seen = 0;
console.log(
  `files:to-s3: ${disk.root} → s3://${s3.bucket}${dryRun ? " (dry run: nothing is written or deleted)" : ""}`,
);
try {
  const summary = await copyDiskToS3(disk, s3, {
    dryRun,
    deleteLocal: values["delete-local"],
    concurrency,
    onFile: (f) => {
      seen++;
      if (f.outcome === "failed") console.error(`  FAILED ${f.key}: ${f.error}`);
      else if (tty) process.stdout.write(`\r  ${seen} files`);
      else if (seen % 1000 === 0) console.log(`  ${seen} files`);
    },
  });
  if (tty) process.stdout.write("\n");
  const mib = (summary.bytesCopied / 1024 / 1024).toFixed(1);
  console.log(
    dryRun
      ? `files:to-s3 (dry run): ${summary.scanned} files, ${summary.wouldCopy} to copy, ${summary.skipped} already in the bucket, ${summary.failed} failed`
      : `files:to-s3: ${summary.scanned} files, ${summary.copied} copied (${mib} MiB), ${summary.skipped} already in the bucket, ${summary.deleted} deleted from disk, ${summary.failed} failed`,
  );
  process.exitCode = summary.failed ? 1 : 0;
} finally {
  s3.client.destroy();
}
