import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { createDatabase, type Database } from "./client";
import { parseMasterKey } from "./crypto";
import type { ProvisionInput } from "./provision";

declare module "vitest" {
  export interface ProvidedContext {
    testDb: {
      adminUrl: string;
      rolePrefix: string;
      appPassword: string;
      embedded: boolean;
      /** Set when the run's app role goes through a transaction pooler. */
      appUrl?: string;
      appPoolMode?: "session" | "transaction";
    };
    redisUrl: string | null;
  }
}

/** A Database on the run's test server (real PostgreSQL: CI's, or an embedded one). */
export function testDatabase(opts: { poolMax?: number; tenantPoolMax?: number } = {}): Database {
  const cfg = inject("testDb");
  return createDatabase({ ...cfg, poolMax: opts.poolMax ?? 10, tenantPoolMax: opts.tenantPoolMax });
}

export const testMasterKey = parseMasterKey(Buffer.alloc(32, 7).toString("base64"));

/** A slug no other test uses. */
export function uniqueSlug(base = "t"): string {
  return `${base}-${randomBytes(5).toString("hex")}`;
}

/** A valid provisioning input for a Free-plan tenant with a few overrides. */
export function provisionInput(slug: string, over: Partial<ProvisionInput> = {}): ProvisionInput {
  return {
    name: `Org ${slug}`,
    slug,
    owner: { email: `owner@${slug}.test`, name: "Owner", passwordHash: null },
    plan: "free",
    status: "active",
    limits: { users: 10, channels: 5, storageGb: 1, apiCallsPerMonth: 1000, maxUploadMb: 10 },
    features: {},
    audit: { actorType: "system" },
    ...over,
  };
}

/** PostgreSQL's SQLSTATE of a failed query (drizzle wraps the driver error). */
export async function sqlState(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    let e = err as { code?: string; cause?: unknown } | undefined;
    while (e && !e.code) e = e.cause as typeof e;
    return e?.code;
  }
}
