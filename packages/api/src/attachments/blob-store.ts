import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

/**
 * Where encrypted file bodies live, by opaque key. Keys are chosen by the platform (never from a
 * file name). Local disk (LocalDiskBlobStore) or an S3-compatible bucket (S3BlobStore in
 * ./blob-store-s3), chosen by FILES_STORE; both hold ciphertext only (sealed per tenant before `put`).
 */
export interface BlobStore {
  /** Stores bytes under a key (replacing any previous ones), durably before it resolves. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes under a key; null when there are none. */
  get(key: string): Promise<Buffer | null>;
  /** Removes a key's bytes; no error when there are none. */
  delete(key: string): Promise<void>;
}

/** Storage keys: `<tenant id>/<2 hex>/<32 hex>`: no dots, so no way out of the root. */
const KEY = /^[0-9a-f-]{36}\/[0-9a-f]{2}\/[0-9a-f]{32}$/;

/** Whether a string is a storage key the platform made (the only keys a store accepts). */
export function isStorageKey(key: string): boolean {
  return KEY.test(key);
}

/** Refuses anything but a platform-made storage key before it reaches a path or an object name. */
export function assertStorageKey(key: string): string {
  if (!KEY.test(key)) throw new Error("blob store: invalid key");
  return key;
}

/** A new random storage key for one of a tenant's files. */
export function newStorageKey(tenantId: string): string {
  const id = randomBytes(16).toString("hex");
  return `${tenantId}/${id.slice(0, 2)}/${id}`;
}

/**
 * Files under a directory (default `.data/files`), one per key, written to a temporary name,
 * synced, then renamed into place: a reader never sees half a file. Owner-only permissions.
 */
export class LocalDiskBlobStore implements BlobStore {
  readonly root: string;

  constructor(root = ".data/files") {
    this.root = resolve(root);
  }

  /** The file of a key (for tools that stream it, e.g. the copy to S3). */
  path(key: string): string {
    return join(this.root, assertStorageKey(key));
  }

  /** Every stored key, in no particular order (temporary files and anything else are skipped). */
  async *keys(): AsyncGenerator<string> {
    const tenants = await readdir(this.root).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return [] as string[];
      throw err;
    });
    for (const tenant of tenants) {
      const shards = await readdir(join(this.root, tenant)).catch(() => [] as string[]);
      for (const shard of shards) {
        const names = await readdir(join(this.root, tenant, shard)).catch(() => [] as string[]);
        for (const name of names) {
          const key = `${tenant}/${shard}/${name}`;
          if (KEY.test(key)) yield key;
        }
      }
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      const file = await open(tmp, "wx", 0o600);
      try {
        await file.writeFile(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}
