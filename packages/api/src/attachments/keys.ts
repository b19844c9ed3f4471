import {
  type Database,
  type MasterKey,
  open,
  type PublicTx,
  seal,
  type TenantRef,
  unwrapDataKey,
  withPlatformAdmin,
  wrapDataKey,
} from "@nchat/db";
import { tenantKeys } from "@nchat/db/public";
import { and, asc, eq, gt, inArray } from "drizzle-orm";
import { LRUCache } from "lru-cache";

/** A tenant's data key in clear, with the version recorded on what it encrypts. */
export type DataKey = { key: Buffer; version: number };

/**
 * Tenants' data keys (envelope encryption): each tenant has one random 256-bit key, stored in
 * public.tenant_keys wrapped (AES-256-GCM, bound to the tenant id) with the platform master key.
 * The keyring unwraps them with whichever known master key wrapped them — the current one first,
 * older ones while a master-key rotation is under way — and caches the result briefly.
 */
export class TenantKeyring {
  private readonly masters: Map<string, MasterKey>;
  private readonly cache = new LRUCache<string, DataKey>({ max: 2_000, ttl: 5 * 60_000 });

  constructor(masterKeys: MasterKey | MasterKey[]) {
    const list = Array.isArray(masterKeys) ? masterKeys : [masterKeys];
    if (list.length === 0) throw new Error("keyring: no master key");
    this.masters = new Map(list.map((m) => [m.id, m]));
  }

  /** The tenant's data key, read in the caller's tenant transaction (RLS: only its own row). */
  async dataKey(tx: PublicTx, tenant: TenantRef): Promise<DataKey> {
    const [row] = await tx
      .select({
        wrapped: tenantKeys.wrappedKey,
        masterKeyId: tenantKeys.masterKeyId,
        version: tenantKeys.version,
      })
      .from(tenantKeys)
      .where(eq(tenantKeys.tenantId, tenant.id));
    if (!row) throw new Error(`keyring: tenant ${tenant.id} has no data key`);
    const cacheKey = `${tenant.id}|${row.version}|${row.wrapped}`;
    const hit = this.cache.get(cacheKey);
    if (hit) return hit;
    const master = this.masters.get(row.masterKeyId);
    if (!master)
      throw new Error(
        `keyring: tenant ${tenant.id}'s key is wrapped with unknown master key ${row.masterKeyId}`,
      );
    const key = { key: unwrapDataKey(master, tenant.id, row.wrapped), version: row.version };
    this.cache.set(cacheKey, key);
    return key;
  }
}

/** What binds a file's ciphertext to its tenant and attachment: a body moved elsewhere fails to open. */
export const fileAad = (tenantId: string, attachmentId: string) =>
  Buffer.from(`nchat:attachment:${tenantId}:${attachmentId}`);

/** AES-256-GCM with the tenant's data key: iv (12) | tag (16) | ciphertext. */
export function encryptFile(
  dataKey: Buffer,
  tenantId: string,
  attachmentId: string,
  plaintext: Buffer,
): Buffer {
  return seal(dataKey, plaintext, fileAad(tenantId, attachmentId));
}

/** Throws when the key, tenant or attachment id is not the one the file was sealed with, or it was altered. */
export function decryptFile(dataKey: Buffer, tenantId: string, attachmentId: string, sealed: Buffer): Buffer {
  return open(dataKey, sealed, fileAad(tenantId, attachmentId));
}

export type MasterKeyRotation = {
  /** Keys re-wrapped with the new master key. */
  rotated: number;
  /** Keys already under the new master key (a rotation that was interrupted and run again). */
  alreadyRotated: number;
  /** Keys left as they were: wrapped with another master key, or failing to unwrap. */
  failed: { tenantId: string; reason: string }[];
};

/**
 * Re-wraps every tenant's data key (or only `tenantIds`) from `oldMaster` to `newMaster`, in
 * batches, each in its own transaction under the platform-admin role. Files are not touched: their
 * data keys do not change. Resumable: keys already under the new master are skipped. Run it, then
 * start the processes with the new MASTER_ENCRYPTION_KEY (the keyring accepts both meanwhile).
 */
export async function rotateMasterKey(
  db: Pick<Database, "platformDb" | "availability">,
  oldMaster: MasterKey,
  newMaster: MasterKey,
  opts: { tenantIds?: string[]; batchSize?: number } = {},
): Promise<MasterKeyRotation> {
  const result: MasterKeyRotation = { rotated: 0, alreadyRotated: 0, failed: [] };
  if (oldMaster.id === newMaster.id) return result;
  const batchSize = opts.batchSize ?? 200;
  let after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const last = await withPlatformAdmin(db, async (tx) => {
      const rows = await tx
        .select()
        .from(tenantKeys)
        .where(
          and(
            gt(tenantKeys.tenantId, after),
            opts.tenantIds ? inArray(tenantKeys.tenantId, opts.tenantIds) : undefined,
          ),
        )
        .orderBy(asc(tenantKeys.tenantId))
        .limit(batchSize)
        .for("update");
      for (const row of rows) {
        if (row.masterKeyId === newMaster.id) {
          result.alreadyRotated++;
          continue;
        }
        if (row.masterKeyId !== oldMaster.id) {
          result.failed.push({
            tenantId: row.tenantId,
            reason: `wrapped with master key ${row.masterKeyId}`,
          });
          continue;
        }
        let wrapped: string;
        try {
          wrapped = wrapDataKey(
            newMaster,
            row.tenantId,
            unwrapDataKey(oldMaster, row.tenantId, row.wrappedKey),
          );
        } catch {
          result.failed.push({ tenantId: row.tenantId, reason: "does not unwrap with the old master key" });
          continue;
        }
        await tx
          .update(tenantKeys)
          .set({ wrappedKey: wrapped, masterKeyId: newMaster.id, rotatedAt: new Date() })
          .where(and(eq(tenantKeys.tenantId, row.tenantId), eq(tenantKeys.masterKeyId, oldMaster.id)));
        result.rotated++;
      }
      return rows.length === batchSize ? rows.at(-1)!.tenantId : null;
    });
    if (last === null) return result;
    after = last;
  }
}
