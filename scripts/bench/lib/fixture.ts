import { type Services, SYSTEM } from "@nchat/api";
import { type Env, loadEnv } from "@nchat/config";
import type { ScratchDatabase } from "@nchat/db/scratch";

/**
 * The environment of a benchmark's services on a scratch database: a production build's settings
 * (offline billing, explicitly — production refuses to start without a billing mode), multi-tenant
 * under `bench.test`, Redis when the run has REDIS_URL; `over` changes any of it.
 */
export function benchEnv(scratch: ScratchDatabase, over: Record<string, string> = {}): Env {
  return loadEnv({
    NODE_ENV: "production",
    DATABASE_URL: scratch.adminUrl,
    BILLING_MODE: "offline",
    DB_ROLE_PREFIX: scratch.rolePrefix,
    DATABASE_APP_PASSWORD: scratch.appPassword,
    MASTER_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString("base64"),
    NEXT_PUBLIC_BASE_DOMAIN: "bench.test",
    ENABLE_MULTI_TENANCY: "true",
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    ...over,
  });
}

/** A Custom-plan tenant `slug` with a signed-in owner: its session token for cookies. */
export async function signedInOwner(services: Services, slug: string) {
  const email = `o@${slug}.test`;
  const password = "bench-password-1";
  const { tenant } = await services.tenants.createTenant(
    { name: slug, slug, ownerEmail: email, ownerName: "O", ownerPassword: password },
    SYSTEM,
    { plan: "custom" },
  );
  const { token } = await services.auth.signIn(tenant, { email, password }, { ip: null, userAgent: null });
  return { tenant, token };
}
