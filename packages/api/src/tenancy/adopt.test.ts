import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { AdoptResult } from "@nchat/db";
import { buildLegacySchema, type LegacySchema } from "@nchat/db/adopt-testkit";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { hashPassword } from "../passwords";
import type { Services } from "../server";
import { TEST_BASE_DOMAIN, TestClient, tenantWithOwner, testServices } from "../testing";
import { adoptTenant } from "./adopt";

// A database built the single-tenant way, adopted as a tenant: its owner signs in through the
// services, on the workspace's host when multi-tenant and on any host with DISABLE_MULTI_TENANCY.

const PASSWORD = "legacy-password-1";
let multi: Services;
let single: Services;
let legacy: LegacySchema;
let adopted: AdoptResult;
const slug = uniqueSlug("legacy");

beforeAll(async () => {
  multi = await testServices();
  legacy = await buildLegacySchema(multi.db, { ownerPasswordHash: await hashPassword(PASSWORD) });
  adopted = await adoptTenant(multi, {
    schema: legacy.schema,
    slug,
    ownerEmail: legacy.ownerEmail,
    plan: "pro",
  });
  single = await testServices({ DISABLE_MULTI_TENANCY: "true", DEFAULT_TENANT_SLUG: slug });
});
afterAll(async () => {
  await Promise.all([multi?.close(), single?.close()]);
});

async function signedIn(services: Services, host: string): Promise<TestClient> {
  const client = new TestClient(services, host);
  await client.call((c) => c.auth.signIn({ email: legacy.ownerEmail, password: PASSWORD }));
  return client;
}

describe("an adopted single-tenant database", () => {
  it("its owner signs in on the workspace's host and reads the old messages", async () => {
    const client = await signedIn(multi, `${slug}.${TEST_BASE_DOMAIN}`);
    const page = await client.call((c) => c.chat.list({ channelId: legacy.channelId }));
    expect(page.messages.map((m) => m.body).sort()).toEqual([...legacy.messages].sort());
    // and can act as the owner: post in the old channel
    await client.call((c) => c.chat.send({ channelId: legacy.channelId, body: "after the move" }));
  });

  it("with DISABLE_MULTI_TENANCY=true and DEFAULT_TENANT_SLUG it is served on any host", async () => {
    for (const host of ["chat.example.org", "localhost:3000", "10.1.2.3"]) {
      expect((await single.resolver.resolveHost(host, single.tenancy)).tenant?.id).toBe(adopted.tenant.id);
    }
    const client = await signedIn(single, "chat.example.org");
    const page = await client.call((c) => c.chat.list({ channelId: legacy.channelId }));
    expect(page.messages.map((m) => m.body)).toContain(legacy.messages[0]);
  });

  it("stays apart from other tenants: another workspace's owner is no user of it", async () => {
    const other = await tenantWithOwner(multi, uniqueSlug("neighbour"));
    await expect(
      new TestClient(multi, `${slug}.${TEST_BASE_DOMAIN}`).call((c) =>
        c.auth.signIn({ email: `owner@${other.tenant.slug}.test`, password: "owner-password-1" }),
      ),
    ).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(
      other.client.call((c) => c.chat.list({ channelId: legacy.channelId })),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});

describe("pnpm tenant:adopt", () => {
  const root = resolve(import.meta.dirname, "../../../..");
  const testDb = inject("testDb");
  const run = (...args: string[]) =>
    promisify(execFile)(join(root, "node_modules/.bin/tsx"), ["scripts/tenant-adopt.ts", ...args], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: "test",
        DATABASE_URL: testDb.adminUrl,
        DB_ROLE_PREFIX: testDb.rolePrefix,
        DATABASE_APP_PASSWORD: testDb.appPassword,
        MASTER_ENCRYPTION_KEY: multi.env.MASTER_ENCRYPTION_KEY!,
        QUEUE_WORKER: "false",
        LOG_LEVEL: "silent",
      },
    }).catch((e: { code: number; stdout: string; stderr: string }) => e);

  // Each run starts a process that loads the services: generous timeouts on a busy machine.
  const SLOW = 120_000;
  let other: LegacySchema;
  let args: string[];
  let cliSlug: string;

  it("--dry-run rehearses and changes nothing; then the adoption", { timeout: SLOW }, async () => {
    other = await buildLegacySchema(multi.db);
    cliSlug = uniqueSlug("cli");
    args = [
      "--schema",
      other.schema,
      "--slug",
      cliSlug,
      "--owner-email",
      other.ownerEmail,
      "--name",
      "From CLI",
    ];
    const rehearsal = await run(...args, "--dry-run");
    expect(rehearsal).toMatchObject({
      stdout: expect.stringContaining("dry run, rolled back: nothing changed"),
    });
    const [none] = await multi.db
      .admin`select count(*)::int as n from public.tenants where slug = ${cliSlug}`;
    expect(none!.n).toBe(0);
    const first = await run(...args);
    expect(first).toMatchObject({ stdout: expect.stringContaining(`is now the workspace "${cliSlug}"`) });
    expect(first.stdout).toContain(`schema renamed to "tenant_${cliSlug.replaceAll("-", "_")}"`);
    const [row] = await multi.db.admin`select name, billing_plan from public.tenants where slug = ${cliSlug}`;
    expect(row).toEqual({ name: "From CLI", billing_plan: "free" });
  });

  it("the same command again is refused", { timeout: SLOW }, async () => {
    const again = await run(...args);
    expect(again).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`The slug "${cliSlug}" is already a tenant`),
    });
  });

  it("a broken layout is refused with what differs; bad arguments are a usage error", {
    timeout: SLOW,
  }, async () => {
    const broken = await buildLegacySchema(multi.db);
    await multi.db.admin.unsafe(`drop table "${broken.schema}".pins`);
    const refused = await run(
      "--schema",
      broken.schema,
      "--slug",
      uniqueSlug("cli3"),
      "--owner-email",
      broken.ownerEmail,
    );
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('missing table "pins"') });
    expect(await run("--schema", broken.schema)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("usage:"),
    });
  });
});
