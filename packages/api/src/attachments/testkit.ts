// Helpers for the attachment tests (not used by the product).
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planDefaults } from "@nchat/billing/plans";
import { type TenantRef, withTenant } from "@nchat/db";
import type { TenantLimits } from "@nchat/db/public";
import { uniqueSlug } from "@nchat/db/testing";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll } from "vitest";
import { SYSTEM } from "../audit/actor";
import { generalChannel } from "../realtime/testkit";
import type { Services } from "../server";
import { tenantWithOwner, testServices } from "../testing";
import { AttachmentService } from "./attachment-service";
import { LocalDiskBlobStore } from "./blob-store";
import { TenantKeyring } from "./keys";

/** Test services whose files go to a fresh temporary directory. */
export async function servicesWithTempFiles(): Promise<{
  services: Services;
  root: string;
  cleanup(): Promise<void>;
}> {
  const services = await testServices();
  const root = await mkdtemp(join(tmpdir(), "nchat-files-"));
  services.blobs = new LocalDiskBlobStore(root);
  services.attachments = new AttachmentService({
    db: services.db,
    blobs: services.blobs,
    keyring: new TenantKeyring(services.masterKey),
    usage: services.usage,
  });
  return {
    services,
    root,
    async cleanup() {
      await services.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Every file under a directory (relative paths). */
export async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

export async function storedBytes(services: Services, root: string, tenant: TenantRef, attachmentId: string) {
  const key = await withTenant(services.db, tenant, async ({ db, t }) => {
    const [row] = await db
      .select({ key: t.attachments.storageKey })
      .from(t.attachments)
      .where(eq(t.attachments.id, attachmentId));
    return row!.key;
  });
  return { key, bytes: await readFile(join(root, key)) };
}

/** Sets some of a tenant's limits (as a super admin would). */
export async function setLimits(
  services: Services,
  tenantId: string,
  over: Partial<TenantLimits>,
  plan: "free" | "pro" = "free",
) {
  await services.tenants.updateTenant(
    tenantId,
    { limits: { ...planDefaults(plan).limits, ...over } },
    SYSTEM,
  );
}

export const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]),
  Buffer.from("IHDR fake image body", "latin1"),
]);
export const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from("JFIF body")]);
export const PDF = Buffer.from("%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n");
export const text = (s: string) => Buffer.from(s, "utf8");

// ─── For the test files' own services (see useServices) ──────────────────────────────────────────

/** This test file's services and the folder its files go to (live bindings: set before its tests by `useKit`). */
export let services: Services;
export let root: string;

/** Registers the file's hooks: services whose files go to a fresh folder before the tests, both gone after them. */
export function useKit() {
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ services, root, cleanup } = await servicesWithTempFiles());
  });
  afterAll(() => cleanup());
}

export type Owner = Awaited<ReturnType<typeof tenantWithOwner>>;

export async function rejects(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: string; message: string; details?: Record<string, unknown> };
    return { code: err.code, message: err.message, details: err.details };
  }
  throw new Error("expected a rejection");
}

export async function owned(prefix = "att") {
  const owner = await tenantWithOwner(services, uniqueSlug(prefix));
  const general = await generalChannel(services, owner.tenant);
  return { ...owner, general, user: { id: owner.ownerId } };
}

export const upload = (
  o: { tenant: Owner["tenant"]; user: { id: string } },
  channelId: string,
  bytes: Buffer,
  fileName = "f.bin",
  contentType: string | null = null,
) => services.attachments.upload(o.tenant, o.user, { channelId, fileName, contentType, bytes });

/** A message row in a channel (the chat service's job; here directly). */
export async function message(tenant: Owner["tenant"], channelId: string, userId: string) {
  return withTenant(services.db, tenant, async ({ db, t }) => {
    const [m] = await db
      .insert(t.messages)
      .values({ channelId, userId, body: "see attached" })
      .returning({ id: t.messages.id });
    return m!.id;
  });
}
