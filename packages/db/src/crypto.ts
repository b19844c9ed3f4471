import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/** The platform master key: 32 bytes, given base64-encoded. */
export type MasterKey = { id: string; key: Buffer };

export function parseMasterKey(base64: string): MasterKey {
  const key = Buffer.from(base64, "base64");
  if (key.length !== 32) throw new Error("MASTER_ENCRYPTION_KEY must be base64 of 32 bytes");
  return { id: createHash("sha256").update(key).digest("hex").slice(0, 12), key };
}

export function generateKeyBase64(): string {
  return randomBytes(32).toString("base64");
}

/** AES-256-GCM; output is iv (12) | tag (16) | ciphertext. */
export function seal(key: Buffer, plaintext: Buffer, aad?: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  if (aad) cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

export function open(key: Buffer, sealed: Buffer, aad?: Buffer): Buffer {
  if (sealed.length < 28) throw new Error("sealed data too short");
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12));
  if (aad) decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
}

/** A new tenant data key, and its wrapped form bound to the tenant id. */
export function newDataKey(master: MasterKey, tenantId: string): { dataKey: Buffer; wrapped: string } {
  const dataKey = randomBytes(32);
  return { dataKey, wrapped: wrapDataKey(master, tenantId, dataKey) };
}

export function wrapDataKey(master: MasterKey, tenantId: string, dataKey: Buffer): string {
  return seal(master.key, dataKey, Buffer.from(tenantId)).toString("base64");
}

export function unwrapDataKey(master: MasterKey, tenantId: string, wrapped: string): Buffer {
  return open(master.key, Buffer.from(wrapped, "base64"), Buffer.from(tenantId));
}
