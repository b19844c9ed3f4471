import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import type { MasterKey } from "@nchat/db";
import { type ResolvedTenant, resolvedTenantSchema } from "./resolved-tenant";

/**
 * The tenant headers the proxy sets on forwarded requests. Any inbound header with this prefix is
 * removed first; the context is HMAC-signed, so a route handler accepts it only if the proxy made it.
 *
 * The signed context is bound to the request it was made for: it names the Host it was resolved
 * from and expires shortly after. A context captured from one request (a log, a debugging proxy, a
 * leaked header set) is refused on another host, and on its own host once it has expired — which
 * matters on the routes the proxy does not cover (e.g. /api/attachments), where nothing strips
 * inbound X-Tenant-* headers.
 */
export const TENANT_HEADER_PREFIX = "x-tenant-";
export const TENANT_HEADERS = {
  id: "x-tenant-id",
  slug: "x-tenant-slug",
  schema: "x-tenant-schema",
  context: "x-tenant-context",
  signature: "x-tenant-signature",
} as const;

/** A key for signing tenant contexts, derived from the master key (no extra secret to manage). */
export function contextKey(master: MasterKey): Buffer {
  return Buffer.from(hkdfSync("sha256", master.key, Buffer.alloc(0), "nchat tenant-context v1", 32));
}

/**
 * How long a signed context is valid. The proxy and the route handler serve the same request, so a
 * few seconds would do; a minute leaves room for a slow request body or a busy event loop.
 */
export const CONTEXT_TTL_MS = 60_000;
/** Clock difference tolerated between the process that signs and the one that verifies. */
export const CONTEXT_CLOCK_SKEW_MS = 5_000;

/** The Host a context is bound to: the header as sent, lower-cased ("" when there is none). */
const boundHost = (host: string | null | undefined) => (host ?? "").trim().toLowerCase();

const sign = (key: Buffer, payload: string) => createHmac("sha256", key).update(payload).digest("base64url");

/** Removes every inbound X-Tenant-* header (in place). */
export function stripTenantHeaders(headers: Headers): Headers {
  for (const name of [...headers.keys()])
    if (name.toLowerCase().startsWith(TENANT_HEADER_PREFIX)) headers.delete(name);
  return headers;
}

/**
 * Sets the signed tenant headers (in place), after stripping inbound ones. The context is bound to
 * `host` (default: the headers' own Host) and expires CONTEXT_TTL_MS after `now`.
 */
export function setTenantHeaders(
  headers: Headers,
  tenant: ResolvedTenant,
  key: Buffer,
  opts: { host?: string | null; now?: Date } = {},
): Headers {
  stripTenantHeaders(headers);
  const issuedAt = (opts.now ?? new Date()).getTime();
  const context = JSON.stringify({
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    schema: tenant.schemaName,
    dbRole: tenant.dbRole,
    status: tenant.status,
    plan: tenant.plan,
    branding: tenant.branding,
    features: tenant.features,
    rateLimits: tenant.rateLimits,
    trialEndsAt: tenant.trialEndsAt,
    host: boundHost(opts.host === undefined ? headers.get("host") : opts.host),
    iat: issuedAt,
    exp: issuedAt + CONTEXT_TTL_MS,
  });
  headers.set(TENANT_HEADERS.id, tenant.id);
  headers.set(TENANT_HEADERS.slug, tenant.slug);
  headers.set(TENANT_HEADERS.schema, tenant.schemaName);
  // Header values must be ByteStrings: non-ASCII (e.g. a name with accents) is escaped.
  headers.set(
    TENANT_HEADERS.context,
    context.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
  );
  headers.set(TENANT_HEADERS.signature, sign(key, context));
  return headers;
}

/**
 * The tenant of a forwarded request, only if its context carries a valid signature, was made for
 * this request's Host and has not expired. Anything else is treated as no context at all.
 */
export function readTenantHeaders(headers: Headers, key: Buffer, now = new Date()): ResolvedTenant | null {
  const raw = headers.get(TENANT_HEADERS.context);
  const signature = headers.get(TENANT_HEADERS.signature);
  if (!raw || !signature) return null;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return null;
  }
  const expected = Buffer.from(sign(key, JSON.stringify(parsed)));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  if (headers.get(TENANT_HEADERS.id) !== parsed.id) return null;
  // Bound to the Host it was resolved from: never valid for another tenant's host (nor for none).
  const host = boundHost(headers.get("host"));
  if (!host || parsed.host !== host) return null;
  // Short-lived: issued at most CONTEXT_CLOCK_SKEW_MS "in the future", not yet expired.
  const t = now.getTime();
  const { iat, exp } = parsed;
  if (typeof iat !== "number" || typeof exp !== "number") return null;
  if (iat > t + CONTEXT_CLOCK_SKEW_MS || exp < t - CONTEXT_CLOCK_SKEW_MS) return null;
  if (exp - iat > CONTEXT_TTL_MS) return null;
  const tenant = resolvedTenantSchema.safeParse({
    id: parsed.id,
    slug: parsed.slug,
    name: parsed.name,
    schemaName: parsed.schema,
    dbRole: parsed.dbRole,
    status: parsed.status,
    plan: parsed.plan,
    branding: parsed.branding ?? {},
    features: parsed.features ?? {},
    rateLimits: parsed.rateLimits ?? {},
    trialEndsAt: parsed.trialEndsAt ?? null,
  });
  return tenant.success ? tenant.data : null;
}
