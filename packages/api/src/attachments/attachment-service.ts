import { randomUUID } from "node:crypto";
import { type Database, type PublicTx, type TenantRef, type TenantTables, withTenant } from "@nchat/db";
import { tenants } from "@nchat/db/public";
import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import { z } from "zod";
import { atLeast } from "../auth/permissions";
import type { MessagePayload } from "../chat/events";
import { AppError } from "../errors";
import { requireFeature } from "../limits/features";
import { assertWithinLimit, resourceUsage } from "../limits/limits";
import type { UsageRecorder } from "../limits/usage";
import { canSeeChannel, currentViewer, type Viewer } from "../realtime/visibility";
import { assertStatusAllows } from "../tenancy/status-policy";
import { type BlobStore, newStorageKey } from "./blob-store";
import { sanitizeFileName } from "./file-name";
import { decryptFile, encryptFile, type TenantKeyring } from "./keys";
import { INLINE_TYPES, resolveContentType } from "./sniff";

/** Upper bound of any upload whatever the plan says (files are held in memory while encrypted). */
export const HARD_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;

export const uploadInput = z.object({
  channelId: z.string().max(100),
  fileName: z.string().max(2_000),
  contentType: z.string().max(300).nullish(),
  bytes: z.custom<Uint8Array>((v) => v instanceof Uint8Array, "The file is missing."),
});
export type UploadRequest = z.output<typeof uploadInput>;

/** An attachment as clients see it (never its storage key). */
export type AttachmentMeta = {
  id: string;
  channelId: string;
  messageId: number | null;
  uploaderId: string | null;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  createdAt: Date;
};

/** A file to send: its bytes in clear, and whether it may be shown inline. */
export type DownloadedFile = { attachment: AttachmentMeta; bytes: Buffer; inline: boolean };

export type AttachmentServiceDeps = {
  db: Database;
  blobs: BlobStore;
  keyring: TenantKeyring;
  usage: Pick<UsageRecorder, "touch">;
  log?: (msg: string, err?: unknown) => void;
};

type Row = TenantTables["attachments"]["$inferSelect"];

const uuid = z.uuid();
const fileNotFound = () => new AppError("NOT_FOUND", "No such file.");
const channelNotFound = () => new AppError("NOT_FOUND", "No such channel.");

const view = (r: Row): AttachmentMeta => ({
  id: r.id,
  channelId: r.channelId,
  messageId: r.messageId,
  uploaderId: r.uploaderId,
  fileName: r.fileName,
  contentType: r.contentType,
  sizeBytes: r.sizeBytes,
  createdAt: r.createdAt,
});

/** Bytes of a plan's `maxUploadMb` (MiB; -1 unlimited, capped by HARD_MAX_UPLOAD_BYTES; malformed → 0). */
export function maxUploadBytes(limits: unknown): number {
  const mb = (limits as { maxUploadMb?: unknown } | null)?.maxUploadMb;
  if (typeof mb !== "number" || !Number.isFinite(mb)) return 0;
  if (mb < 0) return HARD_MAX_UPLOAD_BYTES;
  return Math.min(Math.round(mb * 1024 * 1024), HARD_MAX_UPLOAD_BYTES);
}

/**
 * Files in channels. Bodies are encrypted with the tenant's data key (AES-256-GCM, bound to tenant
 * and attachment id) and kept in a BlobStore under random keys; rows in the tenant's
 * `attachments` table. An upload starts unattached (`message_id` null, visible to its uploader
 * only) and is attached by the chat service with `linkToMessage` when the message is sent.
 *
 * Who sees a file: whoever sees its channel (public: members of the tenant except guests; private
 * and DMs: channel members) and its message (not deleted). Anything else is NOT_FOUND, never
 * FORBIDDEN, so ids reveal nothing — another tenant's id is simply unknown in this schema.
 */
export class AttachmentService {
  constructor(private readonly deps: AttachmentServiceDeps) {}

  /** The largest upload the tenant's plan allows now, in bytes (for cutting off request bodies). */
  async maxUploadBytes(tenant: TenantRef): Promise<number> {
    return withTenant(this.deps.db, tenant, async ({ db }) => {
      const [row] = await db
        .select({ limits: tenants.limits })
        .from(tenants)
        .where(eq(tenants.id, tenant.id));
      return row ? maxUploadBytes(row.limits) : 0;
    });
  }

  /**
   * Stores a file in a channel the user is a member of. Refused: FEATURE_NOT_IN_PLAN (no
   * `fileUploads`), LIMIT_EXCEEDED (bigger than the plan's `maxUploadMb` — details.resource
   * "upload_size" — or beyond the storage quota, checked exactly under concurrency), NOT_FOUND
   * (no channel the user can see), FORBIDDEN (not a member, archived), VALIDATION_FAILED (empty,
   * a content type its bytes contradict).
   */
  async upload(tenant: TenantRef, user: { id: string }, input: UploadRequest): Promise<AttachmentMeta> {
    if (!uuid.safeParse(input.channelId).success) throw channelNotFound();
    const bytes = Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength);
    if (bytes.length === 0) throw new AppError("VALIDATION_FAILED", "The file is empty.");
    const fileName = sanitizeFileName(input.fileName);
    const contentType = resolveContentType(input.contentType, bytes);
    const channelId = input.channelId;

    // Refuse early (no disk write) what would be refused anyway; the exact check comes below.
    const { key, version } = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      await this.checkUpload(db, t, tenant, user.id, channelId, bytes.length, false);
      return this.deps.keyring.dataKey(db, tenant);
    });

    const id = randomUUID();
    const storageKey = newStorageKey(tenant.id);
    await this.deps.blobs.put(storageKey, encryptFile(key, tenant.id, id, bytes));
    let row: Row;
    try {
      row = await withTenant(
        this.deps.db,
        tenant,
        async ({ db, t }) => {
          await this.checkUpload(db, t, tenant, user.id, channelId, bytes.length, true);
          const [inserted] = await db
            .insert(t.attachments)
            .values({
              id,
              channelId,
              uploaderId: user.id,
              fileName,
              contentType,
              sizeBytes: bytes.length,
              storageKey,
              keyVersion: version,
            })
            .returning();
          return inserted!;
        },
        { userId: user.id },
      );
    } catch (err) {
      await this.deps.blobs
        .delete(storageKey)
        .catch((e) => this.deps.log?.("attachments: removing the body of a failed upload failed", e));
      throw err;
    }
    this.deps.usage.touch(tenant);
    return view(row);
  }

  /** The file's metadata, under the same rule as its download. */
  async get(tenant: TenantRef, user: { id: string }, attachmentId: string): Promise<AttachmentMeta> {
    const found = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const viewer = await currentViewer(db, t, user.id);
      return viewer ? this.visibleRow(db, t, viewer, attachmentId) : null;
    });
    if (!found) throw fileNotFound();
    return view(found);
  }

  /** The file in clear, when the user can see it; NOT_FOUND otherwise. */
  async download(tenant: TenantRef, user: { id: string }, attachmentId: string): Promise<DownloadedFile> {
    const found = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const viewer = await currentViewer(db, t, user.id);
      const row = viewer ? await this.visibleRow(db, t, viewer, attachmentId) : null;
      return row ? { row, key: await this.deps.keyring.dataKey(db, tenant) } : null;
    });
    if (!found) throw fileNotFound();
    const { row, key } = found;
    if (row.keyVersion !== key.version)
      throw new Error(
        `attachments: ${row.id} was encrypted with data key v${row.keyVersion}, the tenant has v${key.version}`,
      );
    const sealed = await this.deps.blobs.get(row.storageKey);
    if (!sealed) {
      this.deps.log?.(`attachments: the body of ${row.id} is missing from the store`);
      throw fileNotFound();
    }
    const bytes = decryptFile(key.key, tenant.id, row.id, sealed);
    return { attachment: view(row), bytes, inline: INLINE_TYPES.has(row.contentType) };
  }

  /** Removes a file: its uploader, or an admin/owner who can see it. */
  async delete(tenant: TenantRef, user: { id: string }, attachmentId: string): Promise<AttachmentMeta> {
    const row = await withTenant(
      this.deps.db,
      tenant,
      async ({ db, t }) => {
        const viewer = await currentViewer(db, t, user.id);
        const found = viewer ? await this.visibleRow(db, t, viewer, attachmentId) : null;
        if (!viewer || !found) throw fileNotFound();
        if (found.uploaderId !== viewer.id && !atLeast(viewer.role, "admin"))
          throw new AppError("FORBIDDEN", "Only the uploader or an admin can delete this file.");
        await db.delete(t.attachments).where(eq(t.attachments.id, found.id));
        return found;
      },
      { userId: user.id },
    );
    // After the commit: a failure here leaves an unreferenced body, never a row without one.
    await this.deps.blobs
      .delete(row.storageKey)
      .catch((e) => this.deps.log?.("attachments: removing a deleted file's body failed", e));
    this.deps.usage.touch(tenant);
    return view(row);
  }

  /** See the exported `linkToMessage`. */
  linkToMessage = linkToMessage;

  /** The attachment row if this viewer may see it (channel, message, or own unattached upload). */
  private async visibleRow(db: PublicTx, t: TenantTables, viewer: Viewer, attachmentId: string) {
    if (!uuid.safeParse(attachmentId).success) return null;
    const [row] = await db.select().from(t.attachments).where(eq(t.attachments.id, attachmentId));
    if (!row || !(await canSeeChannel(db, t, viewer, row.channelId))) return null;
    if (row.messageId === null) return row.uploaderId === viewer.id ? row : null;
    const [message] = await db
      .select({ deletedAt: t.messages.deletedAt })
      .from(t.messages)
      .where(eq(t.messages.id, row.messageId));
    return message && message.deletedAt === null ? row : null;
  }

  /** Plan, membership and quota checks; `exact` takes the storage lock (in the inserting transaction). */
  private async checkUpload(
    db: PublicTx,
    t: TenantTables,
    tenant: TenantRef,
    userId: string,
    channelId: string,
    size: number,
    exact: boolean,
  ): Promise<void> {
    const [plan] = await db
      .select({
        status: tenants.status,
        trialEndsAt: tenants.trialEndsAt,
        limits: tenants.limits,
        features: tenants.features,
      })
      .from(tenants)
      .where(eq(tenants.id, tenant.id));
    // The status as stored now (the request's view may be up to a cache lifetime old).
    assertStatusAllows(plan ?? null, "write");
    if (!plan) throw new AppError("TENANT_NOT_FOUND", "No such workspace.");
    requireFeature(plan.features, "fileUploads");
    const max = maxUploadBytes(plan.limits);
    if (size > max) {
      throw new AppError(
        "LIMIT_EXCEEDED",
        `Files can be at most ${formatBytes(max)} on your plan. Upgrade to share bigger files.`,
        { resource: "upload_size", maxBytes: max, sizeBytes: size },
      );
    }

    const viewer = await currentViewer(db, t, userId);
    if (!viewer) throw new AppError("UNAUTHORIZED", "Sign in to continue.");
    const [channel] = await db
      .select({ kind: t.channels.kind, archivedAt: t.channels.archivedAt })
      .from(t.channels)
      .where(eq(t.channels.id, channelId));
    if (!channel) throw channelNotFound();
    const [member] = await db
      .select({ userId: t.channelMembers.userId })
      .from(t.channelMembers)
      .where(and(eq(t.channelMembers.channelId, channelId), eq(t.channelMembers.userId, userId)));
    if (!member) {
      if (!(await canSeeChannel(db, t, viewer, channelId))) throw channelNotFound();
      throw new AppError("FORBIDDEN", "Join the channel to share files in it.");
    }
    if (channel.archivedAt) throw new AppError("FORBIDDEN", "This channel is archived.");

    if (exact) {
      await assertWithinLimit(db, tenant, "storage", size);
    } else {
      const u = await resourceUsage(db, tenant, "storage");
      if (u.limit >= 0 && u.used + size > u.limit) {
        throw new AppError(
          "LIMIT_EXCEEDED",
          "Your plan's storage is full. Upgrade or delete files to upload more.",
          {
            resource: "storage",
            used: u.used,
            limit: u.limit,
          },
        );
      }
    }
  }
}

/** A summary of a message's files, as in MessagePayload. */
export type AttachmentSummary = MessagePayload["attachments"][number];

/**
 * For the chat service, inside the transaction that creates a message: attaches the user's own
 * unattached uploads of the message's channel to it. All or nothing: VALIDATION_FAILED (and the
 * caller's transaction rolls back) when any id is not such an upload. Returns them in the given order.
 */
export async function linkToMessage(
  tx: PublicTx,
  t: TenantTables,
  attachmentIds: string[],
  messageId: number,
  userId: string,
): Promise<AttachmentSummary[]> {
  const ids = [...new Set(attachmentIds)];
  if (ids.length === 0) return [];
  const refuse = () =>
    new AppError("VALIDATION_FAILED", "A file cannot be attached: upload it to this channel first.", {
      attachmentIds: ids,
    });
  if (!ids.every((id) => uuid.safeParse(id).success)) throw refuse();
  const [message] = await tx
    .select({ channelId: t.messages.channelId })
    .from(t.messages)
    .where(eq(t.messages.id, messageId));
  if (!message) throw new AppError("NOT_FOUND", "No such message.");
  const rows = await tx
    .update(t.attachments)
    .set({ messageId })
    .where(
      and(
        inArray(t.attachments.id, ids),
        eq(t.attachments.uploaderId, userId),
        eq(t.attachments.channelId, message.channelId),
        isNull(t.attachments.messageId),
      ),
    )
    .returning({
      id: t.attachments.id,
      fileName: t.attachments.fileName,
      contentType: t.attachments.contentType,
      sizeBytes: t.attachments.sizeBytes,
    });
  if (rows.length !== ids.length) throw refuse();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id)!);
}

/** The files of some messages (for building MessagePayloads), oldest first per message. */
export async function attachmentsOf(
  tx: PublicTx,
  t: TenantTables,
  messageIds: number[],
): Promise<Map<number, AttachmentSummary[]>> {
  const out = new Map<number, AttachmentSummary[]>();
  if (messageIds.length === 0) return out;
  const rows = await tx
    .select({
      id: t.attachments.id,
      messageId: t.attachments.messageId,
      fileName: t.attachments.fileName,
      contentType: t.attachments.contentType,
      sizeBytes: t.attachments.sizeBytes,
    })
    .from(t.attachments)
    .where(inArray(t.attachments.messageId, [...new Set(messageIds)]))
    .orderBy(asc(t.attachments.createdAt), asc(t.attachments.id));
  for (const { messageId, ...summary } of rows) {
    const list = out.get(messageId!) ?? [];
    list.push(summary);
    out.set(messageId!, list);
  }
  return out;
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`;
  if (n >= 1024) return `${Math.round((n / 1024) * 10) / 10} KB`;
  return `${n} bytes`;
}
