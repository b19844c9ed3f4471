import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TenantRef, withTenant } from "@nchat/db";
import { uniqueSlug } from "@nchat/db/testing";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../auth/cookies";
import { fetchAvatar, picture, uploadAvatar } from "../profile/testkit";
import { generalChannel } from "../realtime/testkit";
import { downloadAttachmentRoute, uploadAttachmentRoute } from "../rest/attachments";
import type { Services } from "../server";
import { type TestClient, tenantWithOwner, testServices } from "../testing";
import { LocalDiskBlobStore } from "./blob-store";
import { S3BlobStore } from "./blob-store-s3";
import { s3Env, startTestS3, type TestS3 } from "./blob-store-testkit";

// Attachments through the REST routes and the services, with the store FILES_STORE chooses: what
// reaches the store is ciphertext, and tenants stay apart whichever store holds the bodies.

let s3: TestS3;
let filesDir: string;
const services: Record<"disk" | "s3", Services> = {} as never;
beforeAll(async () => {
  s3 = await startTestS3();
  filesDir = await mkdtemp(join(tmpdir(), "nchat-files-"));
  services.s3 = await testServices(s3Env(s3));
  services.disk = await testServices({ FILES_STORE: "disk", FILES_DIR: filesDir });
});
afterAll(async () => {
  await Promise.all([services.s3?.close(), services.disk?.close()]);
  await s3?.stop();
  await rm(filesDir, { recursive: true, force: true });
});

const cookie = (c: TestClient) => `${SESSION_COOKIE}=${c.cookies.get(SESSION_COOKIE)}`;

function upload(svc: Services, client: TestClient, channelId: string, bytes: Buffer) {
  return uploadAttachmentRoute(
    svc,
    new Request(`http://${client.host}/api/attachments?channelId=${channelId}`, {
      method: "POST",
      headers: {
        host: client.host,
        origin: `http://${client.host}`,
        cookie: cookie(client),
        "x-nchat-client-address": client.ip,
        "content-type": "text/plain",
        "content-length": String(bytes.length),
        "x-file-name": "plan.txt",
      },
      body: bytes,
      duplex: "half",
    } as RequestInit),
  );
}

function download(svc: Services, client: TestClient, id: string) {
  return downloadAttachmentRoute(
    svc,
    new Request(`http://${client.host}/api/attachments/${id}`, {
      headers: { host: client.host, cookie: cookie(client), "x-nchat-client-address": client.ip },
    }),
    id,
  );
}

async function storageKey(svc: Services, tenant: TenantRef, id: string): Promise<string> {
  return withTenant(svc.db, tenant, async ({ db, t }) => {
    const [row] = await db
      .select({ key: t.attachments.storageKey })
      .from(t.attachments)
      .where(eq(t.attachments.id, id));
    return row!.key;
  });
}

describe("FILES_STORE picks the services' store", () => {
  it("s3: the bucket of S3_BUCKET; disk: FILES_DIR", () => {
    expect(services.s3.blobs).toBeInstanceOf(S3BlobStore);
    expect((services.s3.blobs as S3BlobStore).bucket).toBe(s3.config.bucket);
    expect(services.disk.blobs).toBeInstanceOf(LocalDiskBlobStore);
    expect((services.disk.blobs as LocalDiskBlobStore).root).toBe(filesDir);
  });
});

describe("an attachment in the S3 store", () => {
  it("is ciphertext in the bucket, and the plaintext through the API", async () => {
    const svc = services.s3;
    const o = await tenantWithOwner(svc, uniqueSlug("s3att"));
    const general = await generalChannel(svc, o.tenant);
    const plain = Buffer.from("the merger closes on friday, keep it quiet ".repeat(40));
    const res = await upload(svc, o.client, general, plain);
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };

    const key = await storageKey(svc, o.tenant, id);
    expect(key.startsWith(`${o.tenant.id}/`)).toBe(true);
    const object = await s3.rawObject(key);
    expect(object).not.toBeNull();
    expect(object!.length).toBe(plain.length + 28); // iv + tag + ciphertext
    expect(object!.includes(plain.subarray(0, 24))).toBe(false);
    expect(object!.toString("latin1")).not.toContain("merger");

    const got = await download(svc, o.client, id);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(plain)).toBe(true);
  });

  it("whose object is gone is the same 404 as a file missing on disk", async () => {
    for (const svc of [services.s3, services.disk]) {
      const o = await tenantWithOwner(svc, uniqueSlug("gone"));
      const general = await generalChannel(svc, o.tenant);
      const { id } = (await (await upload(svc, o.client, general, Buffer.from("soon gone"))).json()) as {
        id: string;
      };
      await svc.blobs.delete(await storageKey(svc, o.tenant, id));
      const res = await download(svc, o.client, id);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: "NOT_FOUND", message: "No such file." } });
    }
  });

  it("is removed from the bucket when the file is deleted", async () => {
    const svc = services.s3;
    const o = await tenantWithOwner(svc, uniqueSlug("s3del"));
    const general = await generalChannel(svc, o.tenant);
    const { id } = (await (await upload(svc, o.client, general, Buffer.from("delete me"))).json()) as {
      id: string;
    };
    const key = await storageKey(svc, o.tenant, id);
    expect(await s3.rawObject(key)).not.toBeNull();
    await svc.attachments.delete(o.tenant, { id: o.ownerId }, id);
    expect(await s3.rawObject(key)).toBeNull();
  });
});

describe("an avatar in the S3 store", () => {
  it("is stored as ciphertext objects and served to the workspace's members only", async () => {
    const svc = services.s3;
    const o = await tenantWithOwner(svc, uniqueSlug("s3pic"));
    const png = await picture("png");
    expect((await uploadAvatar(svc, o.client, png, { "content-type": "image/png" })).status).toBe(200);
    const [keys] = await svc.db.admin<{ full: string; thumb: string }[]>`
      select avatar_key as full, avatar_thumb_key as thumb from ${svc.db.admin(o.tenant.schemaName)}.users
      where id = ${o.ownerId}`;
    for (const key of [keys!.full, keys!.thumb]) {
      const object = await s3.rawObject(key);
      expect(object).not.toBeNull();
      expect(object!.subarray(0, 16).toString("latin1")).not.toContain("RIFF"); // not the WebP in clear
    }
    const got = await fetchAvatar(svc, o.client, o.ownerId);
    expect(got.status).toBe(200);
    expect(
      Buffer.from(await got.arrayBuffer())
        .subarray(0, 4)
        .toString("latin1"),
    ).toBe("RIFF");
    const other = await tenantWithOwner(svc, uniqueSlug("s3pic"));
    expect((await fetchAvatar(svc, other.client, o.ownerId)).status).toBe(404);
  });
});

describe.each(["disk", "s3"] as const)("tenants stay apart with the %s store", (store) => {
  it("tenant B cannot read tenant A's attachment through the API, nor decrypt A's body", async () => {
    const svc = services[store];
    const a = await tenantWithOwner(svc, uniqueSlug("sa"));
    const b = await tenantWithOwner(svc, uniqueSlug("sb"));
    const general = await generalChannel(svc, a.tenant);
    const plain = Buffer.from("tenant A's secret file");
    const { id } = (await (await upload(svc, a.client, general, plain)).json()) as { id: string };

    // B's owner, on B's host, asks for A's file id: not found (B's schema has no such row).
    const res = await download(svc, b.client, id);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "NOT_FOUND", message: "No such file." } });
    // B's session on A's host is no session there.
    const onA = {
      ...b.client,
      host: a.client.host,
      cookies: b.client.cookies,
      ip: b.client.ip,
    } as TestClient;
    expect((await download(svc, onA, id)).status).toBe(401);
    // The body itself is sealed with A's data key: even the raw object is not the plaintext.
    const key = await storageKey(svc, a.tenant, id);
    const raw = store === "s3" ? await s3.rawObject(key) : await readFile(join(filesDir, key));
    expect(raw!.includes(plain)).toBe(false);
    // A still reads it.
    expect(Buffer.from(await (await download(svc, a.client, id)).arrayBuffer()).equals(plain)).toBe(true);
  });
});
