// A local S3-compatible server for the tests (s3rver, files in a temporary directory). Not used by the product.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { S3BlobStore, type S3StoreConfig } from "./blob-store-s3";

export type TestS3 = {
  config: S3StoreConfig;
  store: S3BlobStore;
  /** The raw bytes of an object, as the bucket holds them (null when there is none). */
  rawObject(key: string): Promise<Buffer | null>;
  stop(): Promise<void>;
};

/** Starts an S3-compatible server on a free local port with one empty bucket. */
export async function startTestS3(): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), "nchat-s3-"));
  const bucket = `files-${randomBytes(4).toString("hex")}`;
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const config: S3StoreConfig = {
    bucket,
    region: "us-east-1",
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  };
  const store = new S3BlobStore(config);
  return {
    config,
    store,
    async rawObject(key) {
      try {
        const res = await store.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await res.Body!.transformToByteArray());
      } catch (err) {
        if ((err as Error).name === "NoSuchKey") return null;
        throw err;
      }
    },
    async stop() {
      store.client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** FILES_STORE/S3_* variables that point the services at a test server. */
export function s3Env(s3: TestS3): Record<string, string> {
  return {
    FILES_STORE: "s3",
    S3_BUCKET: s3.config.bucket,
    S3_REGION: s3.config.region!,
    S3_ENDPOINT: s3.config.endpoint!,
    S3_FORCE_PATH_STYLE: "true",
    S3_ACCESS_KEY_ID: s3.config.credentials!.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.config.credentials!.secretAccessKey,
  };
}
