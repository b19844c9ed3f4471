import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

/**
 * Where encrypted file bodies live, by opaque key. Keys are chosen by the platform (never from a
 * file name). Local disk now; an S3-compatible store can implement the same three calls.
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

  private path(key: string): string {
    if (!KEY.test(key)) throw new Error("blob store: invalid key");
    return join(this.root, key);
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
