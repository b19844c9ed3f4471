import { loadEnv } from "@nchat/config";
import { type TenantRef, withTenant } from "@nchat/db";
import { uniqueSlug } from "@nchat/db/testing";
import { expect, inject } from "vitest";
import { SYSTEM } from "./audit/actor";
import { SESSION_COOKIE } from "./auth/cookies";
import { AppError } from "./errors";
import { createCaller } from "./root";
import { createServices, type Services } from "./server";
import { type AppName, createContext } from "./trpc";

export const TEST_BASE_DOMAIN = "nchat.test";
const MASTER_KEY = Buffer.alloc(32, 7).toString("base64"); // same as @nchat/db/testing's testMasterKey

/** Services over the run's test database (and Redis when the run has one). */
export async function testServices(
  over: Record<string, string> = {},
  opts: Parameters<typeof createServices>[1] = {},
): Promise<Services> {
  const db = inject("testDb");
  const redisUrl = inject("redisUrl");
  return createServices(
    loadEnv({
      NODE_ENV: "test",
      DATABASE_URL: db.adminUrl,
      DB_ROLE_PREFIX: db.rolePrefix,
      DATABASE_APP_PASSWORD: db.appPassword,
      ...(db.appUrl ? { DATABASE_APP_URL: db.appUrl } : {}),
      ...(db.appPoolMode ? { DATABASE_APP_POOL_MODE: db.appPoolMode } : {}),
      MASTER_ENCRYPTION_KEY: MASTER_KEY,
      // Test files run in parallel against one server (max_connections 100): a small budget each.
      DATABASE_POOL_MAX: "10",
      NEXT_PUBLIC_BASE_DOMAIN: TEST_BASE_DOMAIN,
      ENABLE_MULTI_TENANCY: "true",
      // Jobs are queued but not worked, unless a test asks for workers (the mail tests do).
      QUEUE_WORKER: "false",
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
      ...over,
    }),
    opts,
  );
}

/** A browser-like client of one host: keeps its cookies, sends same-origin requests. */
export class TestClient {
  readonly cookies = new Map<string, string>();
  /** Each client has its own address, as distinct browsers would (rate limits are per address). */
  readonly ip = randomIp();
  constructor(
    private readonly services: Services,
    readonly host: string,
    private readonly app: AppName = "web",
    readonly extraHeaders: Record<string, string> = {},
  ) {}

  headers(): Headers {
    const h = new Headers({
      host: this.host,
      origin: `http://${this.host}`,
      "user-agent": "vitest",
      "x-nchat-client-address": this.ip,
      ...this.extraHeaders,
    });
    if (this.cookies.size) h.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    return h;
  }

  /** One typed call; Set-Cookie from the response is kept, as a browser would. */
  async call<T>(fn: (caller: ReturnType<typeof createCaller>) => Promise<T>): Promise<T> {
    const resHeaders = new Headers();
    const ctx = await createContext({
      services: this.services,
      headers: this.headers(),
      resHeaders,
      app: this.app,
    });
    try {
      return await fn(createCaller(ctx));
    } finally {
      this.absorb(resHeaders);
    }
  }

  /** Calls through the real HTTP adapter (status codes, error bodies). */
  async http(
    path: string,
    init: { method?: "GET" | "POST"; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    const { trpcHandler } = await import("./http");
    const h = this.headers();
    for (const [k, v] of Object.entries(init.headers ?? {})) h.set(k, v);
    if (init.body !== undefined) h.set("content-type", "application/json");
    const res = await trpcHandler(
      this.services,
      this.app,
      new Request(`http://${this.host}/api/trpc/${path}`, {
        method: init.method ?? (init.body === undefined ? "GET" : "POST"),
        headers: h,
        body: init.body === undefined ? undefined : JSON.stringify({ json: init.body }),
      }),
    );
    this.absorb(res.headers);
    return res;
  }

  absorb(headers: Headers) {
    for (const c of headers.getSetCookie()) {
      const [pair] = c.split(";");
      const [name, ...rest] = pair!.split("=");
      const value = rest.join("=");
      if (!value || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name!);
      else this.cookies.set(name!, value);
    }
  }
}

/**
 * Turns the tenant's "Allow guests" setting on (directly, no audit entry): guest invitations are
 * refused while it is off. `tenant`: its id, or a client of its host.
 */
export async function allowGuests(services: Services, tenant: string | TestClient): Promise<void> {
  const sql = services.db.admin;
  if (typeof tenant === "string") {
    await sql`update public.tenant_settings set allow_guest_access = true where tenant_id = ${tenant}`;
    return;
  }
  const slug = tenant.host.split(".")[0]!;
  await sql`update public.tenant_settings s set allow_guest_access = true
    from public.tenants t where t.id = s.tenant_id and t.slug = ${slug}`;
}

/** Creates a tenant with its owner and returns a signed-in client of its host. */
export async function tenantWithOwner(services: Services, slug: string, password = "owner-password-1") {
  const { tenant, ownerId } = await services.tenants.createTenant(
    {
      name: `Org ${slug}`,
      slug,
      ownerEmail: `owner@${slug}.test`,
      ownerName: "Owner",
      ownerPassword: password,
    },
    SYSTEM,
  );
  const client = new TestClient(services, `${slug}.${TEST_BASE_DOMAIN}`);
  await client.call((c) => c.auth.signIn({ email: `owner@${slug}.test`, password }));
  return { tenant, ownerId, client };
}

/**
 * Adds a user with `role` to the tenant (directly, no invitation) and returns them with a client of
 * `host` signed in as them.
 */
export async function memberOf(
  services: Services,
  tenant: TenantRef,
  host: string,
  role: "admin" | "member" | "guest",
): Promise<{ id: string; email: string; client: TestClient }> {
  const email = `${role}-${uniqueSlug("u")}@x.test`;
  const [user] = await withTenant(services.db, tenant, ({ db, t }) =>
    db.insert(t.users).values({ email, name: role, role }).returning({ id: t.users.id }),
  );
  const { token } = await services.auth.createSession(tenant, user!.id, { ip: null, userAgent: null });
  const client = new TestClient(services, host);
  client.cookies.set(SESSION_COOKIE, token);
  return { id: user!.id, email, client };
}

/**
 * The error of a call that must fail: tRPC code, app code (the typed AppError's, else the tRPC
 * code), message, details. An input refused by a procedure's schema arrives as VALIDATION_FAILED
 * with its fields (trpc.ts maps the ZodError).
 */
export async function rejects(p: Promise<unknown> | (() => Promise<unknown>)) {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    const err = e as {
      code: string;
      message: string;
      cause?: { code?: string; details?: Record<string, unknown> };
    };
    return {
      code: err.code,
      appCode: err.cause?.code ?? err.code,
      message: err.message,
      details: err.cause?.details,
    };
  }
  throw new Error("expected a rejection");
}

/** The AppError a service call must fail with, checked to have this code. */
export async function expectCode(p: Promise<unknown>, code: string): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

export const randomIp = () => `10.${rnd()}.${rnd()}.${rnd()}`;
const rnd = () => Math.floor(Math.random() * 254) + 1;
