import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import type { Env } from "@nchat/config";
import { assertStorageKey, type BlobStore, LocalDiskBlobStore } from "./blob-store";

export type S3StoreConfig = {
  bucket: string;
  /** Unset: the SDK's default chain (AWS_REGION, the shared config file). */
  region?: string;
  /** An S3-compatible server (MinIO, Ceph, a local test server). Unset: AWS. */
  endpoint?: string;
  /** Bucket in the path (`endpoint/bucket/key`) instead of the host name; most S3-compatible servers need it. */
  forcePathStyle?: boolean;
  /** Unset: the SDK's default credential chain (environment, shared files, instance or task role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
};

/** What the store knows of one object without reading it. */
export type BlobHead = { size: number; etag: string | null };

/**
 * Encrypted file bodies as objects of one bucket, one per storage key (the key is the object name,
 * checked against the platform's key format like on disk: nothing a user typed reaches it). Same
 * contract as LocalDiskBlobStore: `put` replaces and resolves once the server acknowledged the whole
 * object (its MD5 is sent, so a body damaged on the way is refused), `get` of a missing key is null,
 * `delete` of a missing key is no error. Other failures (credentials, network, a missing bucket) are
 * thrown as `blob store: s3 <operation> failed` with the SDK's error as `cause`.
 */
export class S3BlobStore implements BlobStore {
  readonly client: S3Client;
  readonly bucket: string;

  constructor(config: S3StoreConfig, client?: S3Client) {
    this.bucket = config.bucket;
    this.client =
      client ??
      new S3Client({
        region: config.region,
        endpoint: config.endpoint,
        forcePathStyle: config.forcePathStyle ?? false,
        credentials: config.credentials,
        // Integrity comes from Content-MD5 on every put; the newer default checksums (CRC32 in
        // trailers) are not understood by every S3-compatible server.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
        maxAttempts: 3,
      });
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const Key = assertStorageKey(key);
    const md5 = createHash("md5").update(bytes).digest("base64");
    await this.send("put", () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key,
          Body: bytes,
          ContentLength: bytes.byteLength,
          ContentMD5: md5,
          ContentType: "application/octet-stream",
        }),
      ),
    );
  }

  /**
   * Uploads a file as the object of `key`, streamed (memory stays bounded whatever its size); `md5`
   * (hex) of its bytes, computed by the caller, is checked by the server.
   */
  async putFile(key: string, path: string, size: number, md5: string): Promise<void> {
    const Key = assertStorageKey(key);
    await this.send("put", () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key,
          Body: createReadStream(path),
          ContentLength: size,
          ContentMD5: Buffer.from(md5, "hex").toString("base64"),
          ContentType: "application/octet-stream",
        }),
      ),
    );
  }

  async get(key: string): Promise<Buffer | null> {
    const Key = assertStorageKey(key);
    // The body is read inside `send`: a connection lost mid-body is a `blob store` error too.
    return this.send("get", async () => {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      return res.Body ? Buffer.from(await res.Body.transformToByteArray()) : null;
    });
  }

  /** Size and ETag of a key's object; null when there is none. */
  async head(key: string): Promise<BlobHead | null> {
    const Key = assertStorageKey(key);
    const res = await this.send("head", () =>
      this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key })),
    );
    if (!res) return null;
    return { size: res.ContentLength ?? 0, etag: res.ETag?.replaceAll('"', "") ?? null };
  }

  async delete(key: string): Promise<void> {
    const Key = assertStorageKey(key);
    await this.send("delete", () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key })));
  }

  /** Runs one request; a missing object is `null`, any other failure a `blob store` error. */
  private async send<T>(operation: string, request: () => Promise<T>): Promise<T | null> {
    try {
      return await request();
    } catch (err) {
      if (isMissing(err)) return null;
      const name = err instanceof Error ? err.name : "Error";
      throw new Error(`blob store: s3 ${operation} failed (${name})`, { cause: err });
    }
  }
}

/** NoSuchKey (GET), NotFound (HEAD has no body, so only the status): the object is not there. */
function isMissing(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  if (err.name === "NoSuchBucket") return false;
  return err.name === "NoSuchKey" || err.name === "NotFound" || err.$metadata.httpStatusCode === 404;
}

type FilesEnv = Pick<
  Env,
  | "FILES_STORE"
  | "FILES_DIR"
  | "S3_BUCKET"
  | "S3_REGION"
  | "S3_ENDPOINT"
  | "S3_FORCE_PATH_STYLE"
  | "S3_ACCESS_KEY_ID"
  | "S3_SECRET_ACCESS_KEY"
>;

/** The S3 settings of the environment (S3_*); throws when S3_BUCKET is not set. */
export function s3ConfigFromEnv(env: FilesEnv): S3StoreConfig {
  if (!env.S3_BUCKET) throw new Error("S3_BUCKET is not set.");
  return {
    bucket: env.S3_BUCKET,
    region: env.S3_REGION,
    endpoint: env.S3_ENDPOINT,
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
    credentials:
      env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY
        ? { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY }
        : undefined,
  };
}

/** The store FILES_STORE names: files under FILES_DIR (disk, the default) or the S3_BUCKET (s3). */
export function blobStoreFromEnv(env: FilesEnv): BlobStore {
  return env.FILES_STORE === "s3"
    ? new S3BlobStore(s3ConfigFromEnv(env))
    : new LocalDiskBlobStore(env.FILES_DIR);
}
