import { type Database, open, seal, type TenantRef, type TenantTx, withTenant } from "@nchat/db";
import { and, eq, isNotNull, isNull } from "drizzle-orm";
import { z } from "zod";
import { type BlobStore, newStorageKey } from "../attachments/blob-store";
import type { TenantKeyring } from "../attachments/keys";
import { type Actor, audit } from "../audit/actor";
import type { AuthService } from "../auth/auth-service";
import type { Role } from "../auth/permissions";
import { AppError } from "../errors";
import { type AvatarSize, avatarImages } from "./avatar-image";
import type { UpdateProfileInput } from "./inputs";

/** The signed-in person's own profile. */
export type ProfileView = {
  id: string;
  email: string;
  name: string;
  role: Role;
  /** IANA name; null until chosen (the page then suggests the browser's). */
  timeZone: string | null;
  /** Where members fetch the picture (`&size=thumb` for 64 px); null: initials. */
  avatarUrl: string | null;
  /** Mention digests by mail while away (on by default; the mail's unsubscribe link turns it off). */
  mentionEmails: boolean;
};

/** What anyone in the workspace sees of a person (the profile card). */
export type ProfileCard = {
  id: string;
  name: string;
  role: Role;
  timeZone: string | null;
  avatarUrl: string | null;
};

/** A stored avatar image in clear. */
export type AvatarFile = { bytes: Buffer; etag: string };

type Signed = Actor & { id: string };

export type ProfileServiceDeps = {
  db: Database;
  blobs: BlobStore;
  keyring: TenantKeyring;
  auth: Pick<AuthService, "refreshUserSessions">;
  log?: (msg: string, err?: unknown) => void;
};

const uuid = z.uuid();
const personNotFound = () => new AppError("NOT_FOUND", "No such person in this workspace.");
const noAvatar = () => new AppError("NOT_FOUND", "No profile picture.");

/** What binds a sealed avatar to its tenant, its person and its slot (a body moved elsewhere fails). */
const avatarAad = (tenantId: string, userId: string, storageKey: string) =>
  Buffer.from(`nchat:avatar:${tenantId}:${userId}:${storageKey}`);

/**
 * Locks the person's own row for a change and returns what the changes compare or replace.
 * NOT_FOUND once they are deactivated (a change then has nothing to change).
 */
async function lockOwnRow({ db, t }: Pick<TenantTx, "db" | "t">, userId: string) {
  const [row] = await db
    .select({
      name: t.users.name,
      timeZone: t.users.timeZone,
      mentionEmails: t.users.mentionEmails,
      full: t.users.avatarKey,
      thumb: t.users.avatarThumbKey,
    })
    .from(t.users)
    .where(and(eq(t.users.id, userId), isNull(t.users.deactivatedAt)))
    .for("update");
  if (!row) throw personNotFound();
  return row;
}

/** The URL members fetch an avatar from; the version changes with every new picture (caches). */
export const avatarUrl = (userId: string, storageKey: string) =>
  `/api/avatars/${userId}?v=${storageKey.slice(-12)}`;

/**
 * A person's own profile (name, time zone, picture) and what others see of it (the profile card).
 * Pictures are resized to squares, sealed with the tenant's data key (AES-256-GCM, bound to tenant,
 * person and storage key) and kept in the blob store like attachments; the users row holds their
 * storage keys. Everything runs in the tenant's schema under its own role: a person of another
 * workspace is simply unknown here.
 */
export class ProfileService {
  constructor(private readonly deps: ProfileServiceDeps) {}

  async get(tenant: TenantRef, userId: string): Promise<ProfileView> {
    const found = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const [u] = await db
        .select({
          id: t.users.id,
          email: t.users.email,
          name: t.users.name,
          role: t.users.role,
          timeZone: t.users.timeZone,
          avatarUrl: t.users.avatarUrl,
          mentionEmails: t.users.mentionEmails,
        })
        .from(t.users)
        .where(and(eq(t.users.id, userId), isNull(t.users.deactivatedAt)));
      return u ?? null;
    });
    if (!found) throw personNotFound();
    return found;
  }

  /**
   * Changes the name and/or time zone (already validated: a display name, a canonical IANA zone).
   * A new name is in the audit log and in every cached session at once (typing and presence carry it).
   */
  async update(tenant: TenantRef, user: Signed, input: UpdateProfileInput): Promise<ProfileView> {
    const renamed = await withTenant(
      this.deps.db,
      tenant,
      async ({ db, t }) => {
        const before = await lockOwnRow({ db, t }, user.id);
        const name = input.name !== undefined && input.name !== before.name ? input.name : undefined;
        const timeZone =
          input.timeZone !== undefined && input.timeZone !== before.timeZone ? input.timeZone : undefined;
        const mentionEmails =
          input.mentionEmails !== undefined && input.mentionEmails !== before.mentionEmails
            ? input.mentionEmails
            : undefined;
        if (name === undefined && timeZone === undefined && mentionEmails === undefined) return false;
        await db
          .update(t.users)
          .set({ name, timeZone, mentionEmails, updatedAt: new Date() })
          .where(eq(t.users.id, user.id));
        if (name !== undefined)
          await audit(db, tenant.id, user, {
            action: "user.renamed",
            resourceType: "user",
            resourceId: user.id,
            before: { name: before.name },
            after: { name },
          });
        return name !== undefined;
      },
      { userId: user.id },
    );
    if (renamed) await this.deps.auth.refreshUserSessions(tenant, user.id);
    return this.get(tenant, user.id);
  }

  /** A person as members see them; NOT_FOUND for ids that are no active person here. */
  async card(tenant: TenantRef, rawUserId: string): Promise<ProfileCard> {
    if (!uuid.safeParse(rawUserId).success) throw personNotFound();
    const found = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const [u] = await db
        .select({
          id: t.users.id,
          name: t.users.name,
          role: t.users.role,
          timeZone: t.users.timeZone,
          avatarUrl: t.users.avatarUrl,
        })
        .from(t.users)
        .where(and(eq(t.users.id, rawUserId), isNull(t.users.deactivatedAt), eq(t.users.isService, false)));
      return u ?? null;
    });
    if (!found) throw personNotFound();
    return found;
  }

  /** Everyone's picture URL here (active people who have one), by id: lists and messages show them. */
  async avatars(tenant: TenantRef): Promise<Record<string, string>> {
    const rows = await withTenant(this.deps.db, tenant, ({ db, t }) =>
      db
        .select({ id: t.users.id, avatarUrl: t.users.avatarUrl })
        .from(t.users)
        .where(and(isNull(t.users.deactivatedAt), isNotNull(t.users.avatarUrl))),
    );
    return Object.fromEntries(rows.map((r) => [r.id, r.avatarUrl!]));
  }

  /**
   * A new picture from uploaded bytes (see avatarImages for what is accepted and how it is made).
   * The new bodies are stored before the row points at them; the old ones are removed after.
   */
  async setAvatar(tenant: TenantRef, user: Signed, bytes: Buffer): Promise<ProfileView> {
    const images = await avatarImages(bytes);
    const { key, version } = await withTenant(this.deps.db, tenant, ({ db }) =>
      this.deps.keyring.dataKey(db, tenant),
    );
    const keys = { full: newStorageKey(tenant.id), thumb: newStorageKey(tenant.id) };
    const sealFor = (size: AvatarSize) => seal(key, images[size], avatarAad(tenant.id, user.id, keys[size]));
    await Promise.all([
      this.deps.blobs.put(keys.full, sealFor("full")),
      this.deps.blobs.put(keys.thumb, sealFor("thumb")),
    ]);
    let old: (string | null)[];
    try {
      old = await this.pointAvatarAt(tenant, user.id, { ...keys, version });
    } catch (err) {
      await this.removeBodies([keys.full, keys.thumb]);
      throw err;
    }
    await this.removeBodies(old);
    return this.get(tenant, user.id);
  }

  /** Back to initials. */
  async removeAvatar(tenant: TenantRef, user: Signed): Promise<ProfileView> {
    await this.removeBodies(await this.pointAvatarAt(tenant, user.id, null));
    return this.get(tenant, user.id);
  }

  /** Points the person's row at new picture bodies (null: none); returns the storage keys it held. */
  private pointAvatarAt(
    tenant: TenantRef,
    userId: string,
    next: { full: string; thumb: string; version: number } | null,
  ): Promise<(string | null)[]> {
    return withTenant(
      this.deps.db,
      tenant,
      async ({ db, t }) => {
        const before = await lockOwnRow({ db, t }, userId);
        await db
          .update(t.users)
          .set({
            avatarKey: next?.full ?? null,
            avatarThumbKey: next?.thumb ?? null,
            avatarKeyVersion: next?.version ?? null,
            avatarUrl: next ? avatarUrl(userId, next.full) : null,
            updatedAt: new Date(),
          })
          .where(eq(t.users.id, userId));
        return [before.full, before.thumb];
      },
      { userId },
    );
  }

  /** Deletes picture bodies no row points at any more; a failure is logged (the body is orphaned). */
  private async removeBodies(storageKeys: (string | null)[]): Promise<void> {
    await Promise.all(
      storageKeys.flatMap((k) =>
        k
          ? [
              this.deps.blobs
                .delete(k)
                .catch((e) => this.deps.log?.("profile: removing an avatar body failed", e)),
            ]
          : [],
      ),
    );
  }

  /**
   * A person's picture in clear, for a signed-in member of the same workspace (the caller checks
   * the session). NOT_FOUND when the id is no one's here or they have no picture.
   */
  async avatar(tenant: TenantRef, rawUserId: string, size: AvatarSize): Promise<AvatarFile> {
    if (!uuid.safeParse(rawUserId).success) throw personNotFound();
    const found = await withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const [u] = await db
        .select({ full: t.users.avatarKey, thumb: t.users.avatarThumbKey, version: t.users.avatarKeyVersion })
        .from(t.users)
        .where(eq(t.users.id, rawUserId));
      const storageKey = u?.[size];
      if (!u || !storageKey) return null;
      return { storageKey, version: u.version, key: await this.deps.keyring.dataKey(db, tenant) };
    });
    if (!found) throw noAvatar();
    if (found.version !== found.key.version)
      throw new Error(
        `profile: an avatar was sealed with data key v${found.version}, the tenant has v${found.key.version}`,
      );
    const sealed = await this.deps.blobs.get(found.storageKey);
    if (!sealed) {
      this.deps.log?.(`profile: the avatar body ${found.storageKey} is missing from the store`);
      throw noAvatar();
    }
    const bytes = open(
      found.key.key,
      sealed,
      avatarAad(tenant.id, rawUserId.toLowerCase(), found.storageKey),
    );
    return { bytes, etag: `"${found.storageKey.slice(-32)}"` };
  }

  /** The ETag of a person's current picture (for If-None-Match), without reading the body. */
  async avatarTag(tenant: TenantRef, rawUserId: string, size: AvatarSize): Promise<string | null> {
    if (!uuid.safeParse(rawUserId).success) return null;
    return withTenant(this.deps.db, tenant, async ({ db, t }) => {
      const [u] = await db
        .select({ full: t.users.avatarKey, thumb: t.users.avatarThumbKey })
        .from(t.users)
        .where(eq(t.users.id, rawUserId));
      const k = u?.[size];
      return k ? `"${k.slice(-32)}"` : null;
    });
  }
}
