/**
 * The admin console's read queries over the shared tables. Each takes the transaction it runs in:
 * PlatformService runs them under the platform-admin role (`withPlatformAdmin`); the scale test runs
 * them inside a transaction that is rolled back.
 */

import type { PlanId } from "@nchat/billing/plans";
import type { PublicTx } from "@nchat/db";
import { stripeWebhooks, tenantAuditLogs, tenantDomains, tenants, tenantUsage } from "@nchat/db/public";
import { and, asc, count, desc, eq, gte, inArray, like, lt, type SQL, sql } from "drizzle-orm";
import { usagePeriod } from "../limits/usage";
import {
  ACTOR_TYPES,
  type AuditLogInput,
  type ListTenantsInput,
  listTenantsInput,
  type TenantSort,
  type TenantStatus,
  type WebhookListInput,
  webhookListInput,
} from "./inputs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s);

/** A LIKE pattern matching strings that start with `s` (wildcards in `s` match literally). */
export const prefixPattern = (s: string) => `${s.replace(/[\\%_]/g, "\\$&")}%`;
/** A LIKE pattern matching strings that contain `s` (wildcards in `s` match literally). */
export const containsPattern = (s: string) => `%${prefixPattern(s)}`;

/**
 * Tenants whose name, slug, owner email or a custom domain contains `q` anywhere
 * (case-insensitive: `lower(x) like '%q%'`, the same as ILIKE).
 *
 * Scale: a substring match cannot use the btree (text_pattern_ops) indexes, which serve prefixes
 * only, so this reads public.tenants and public.tenant_domains whole. That is a deliberate choice
 * at admin-console scale (10,000 tenants: a few milliseconds, measured in platform-scale.test.ts).
 * The index-friendly alternative is pg_trgm (GIN trigram indexes serve `like '%q%'`): it is
 * an extension, present on Debian's and the embedded PostgreSQL but not installed by default and
 * not offered by every managed server, so the product does not depend on it.
 */
function tenantSearch(q: string): SQL {
  const p = containsPattern(q.toLowerCase());
  const branches = [
    sql`select id from public.tenants where lower(name) like ${p} or slug like ${p} or lower(owner_email) like ${p}`,
    sql`select tenant_id from public.tenant_domains where domain like ${p}`,
  ];
  if (isUuid(q)) branches.push(sql`select ${q.toLowerCase()}::uuid`);
  return sql`${tenants.id} in (${sql.join(branches, sql` union `)})`;
}

export type TenantListRow = {
  id: string;
  name: string;
  slug: string;
  status: TenantStatus;
  plan: PlanId;
  ownerEmail: string;
  createdAt: Date;
  deletedAt: Date | null;
  domains: string[];
  usage: { messages: number; activeUsers: number; users: number; storageBytes: number; apiCalls: number };
};

export type TenantListPage = {
  items: TenantListRow[];
  total: number;
  page: number;
  pageSize: number;
  pageCount: number;
  period: string;
};

/** One page of tenants: filtered, searched, sorted (ties broken by id), counted. */
export async function listTenantsQuery(
  tx: PublicTx,
  raw: ListTenantsInput,
  period = usagePeriod(),
): Promise<TenantListPage> {
  const input = listTenantsInput.parse(raw);
  const where: SQL[] = [];
  if (input.plan) where.push(eq(tenants.billingPlan, input.plan));
  if (input.status) where.push(eq(tenants.status, input.status));
  if (input.q) where.push(tenantSearch(input.q));
  const filter = where.length ? and(...where) : undefined;

  const key: Record<TenantSort, SQL | typeof tenants.createdAt> = {
    created: tenants.createdAt,
    name: sql`lower(${tenants.name})`,
    messages: sql`coalesce(${tenantUsage.messagesSent}, 0)`,
    activeUsers: sql`coalesce(${tenantUsage.usersActive}, 0)`,
    storage: sql`coalesce(${tenantUsage.storageBytes}, 0)`,
    apiCalls: sql`coalesce(${tenantUsage.apiCallsTotal}, 0)`,
  };
  const order = input.dir === "asc" ? asc : desc;
  const offset = (input.page - 1) * input.pageSize;

  const [rows, [counted]] = await Promise.all([
    tx
      .select({
        id: tenants.id,
        name: tenants.name,
        slug: tenants.slug,
        status: tenants.status,
        plan: tenants.billingPlan,
        ownerEmail: tenants.ownerEmail,
        createdAt: tenants.createdAt,
        deletedAt: tenants.deletedAt,
        messages: tenantUsage.messagesSent,
        activeUsers: tenantUsage.usersActive,
        users: tenantUsage.usersTotal,
        storageBytes: tenantUsage.storageBytes,
        apiCalls: tenantUsage.apiCallsTotal,
      })
      .from(tenants)
      .leftJoin(tenantUsage, and(eq(tenantUsage.tenantId, tenants.id), eq(tenantUsage.period, period)))
      .where(filter)
      .orderBy(order(key[input.sort]), order(tenants.id))
      .limit(input.pageSize)
      .offset(offset),
    tx.select({ n: count() }).from(tenants).where(filter),
  ]);

  const ids = rows.map((r) => r.id);
  const domains = ids.length
    ? await tx
        .select({ tenantId: tenantDomains.tenantId, domain: tenantDomains.domain })
        .from(tenantDomains)
        .where(inArray(tenantDomains.tenantId, ids))
        .orderBy(tenantDomains.domain)
    : [];
  const total = counted?.n ?? 0;
  return {
    items: rows.map((r) => ({
      id: r.id,
      name: r.name,
      slug: r.slug,
      status: r.status,
      plan: r.plan,
      ownerEmail: r.ownerEmail,
      createdAt: r.createdAt,
      deletedAt: r.deletedAt,
      domains: domains.filter((d) => d.tenantId === r.id).map((d) => d.domain),
      usage: {
        messages: r.messages ?? 0,
        activeUsers: r.activeUsers ?? 0,
        users: r.users ?? 0,
        storageBytes: r.storageBytes ?? 0,
        apiCalls: r.apiCalls ?? 0,
      },
    })),
    total,
    page: input.page,
    pageSize: input.pageSize,
    pageCount: Math.max(1, Math.ceil(total / input.pageSize)),
    period,
  };
}

// ─── Audit log across tenants ─────────────────────────────────────────────────────────────────────

export type AuditRow = typeof tenantAuditLogs.$inferSelect & {
  tenantSlug: string | null;
  tenantName: string | null;
};

/** Audit entries of every tenant (and of the platform), newest first, by id cursor. */
export async function auditLogQuery(
  tx: PublicTx,
  input: AuditLogInput,
): Promise<{ items: AuditRow[]; nextCursor: number | null }> {
  const limit = input.limit ?? 50;
  const where: SQL[] = [];
  if (input.tenant) {
    const t = input.tenant.toLowerCase();
    if (isUuid(t)) where.push(eq(tenantAuditLogs.tenantId, t));
    else where.push(sql`${tenantAuditLogs.tenantId} = (select id from public.tenants where slug = ${t})`);
  }
  if (input.actor) {
    const a = input.actor;
    if (isUuid(a)) where.push(eq(tenantAuditLogs.actorId, a.toLowerCase()));
    else if ((ACTOR_TYPES as readonly string[]).includes(a)) where.push(eq(tenantAuditLogs.actorType, a));
    else where.push(sql`lower(${tenantAuditLogs.actorEmail}) like ${prefixPattern(a.toLowerCase())}`);
  }
  if (input.action) {
    if (input.action.endsWith("*"))
      where.push(like(tenantAuditLogs.action, prefixPattern(input.action.slice(0, -1))));
    else where.push(eq(tenantAuditLogs.action, input.action));
  }
  if (input.from) where.push(gte(tenantAuditLogs.createdAt, input.from));
  if (input.until) where.push(lt(tenantAuditLogs.createdAt, input.until));
  if (input.cursor) where.push(lt(tenantAuditLogs.id, input.cursor));
  const rows = await tx
    .select({ log: tenantAuditLogs, tenantSlug: tenants.slug, tenantName: tenants.name })
    .from(tenantAuditLogs)
    .leftJoin(tenants, eq(tenants.id, tenantAuditLogs.tenantId))
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(tenantAuditLogs.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit).map((r) => ({
    ...r.log,
    tenantSlug: r.tenantSlug,
    tenantName: r.tenantName,
  }));
  return { items: page, nextCursor: rows.length > limit ? page.at(-1)!.id : null };
}

// ─── Stripe webhook events ────────────────────────────────────────────────────────────────────────

export type WebhookRow = {
  id: string;
  type: string;
  status: string;
  attempts: number;
  error: string | null;
  tenantId: string | null;
  tenantSlug: string | null;
  receivedAt: Date;
  processedAt: Date | null;
};

/** Keyset cursor: received_at to the microsecond (a JS Date would round it to milliseconds) and id. */
const encodeCursor = (r: { at: string; id: string }) =>
  Buffer.from(JSON.stringify([r.at, r.id])).toString("base64url");

function decodeCursor(c: string): { at: string; id: string } | null {
  try {
    const [at, id] = JSON.parse(Buffer.from(c, "base64url").toString("utf8")) as [unknown, unknown];
    if (typeof at !== "string" || typeof id !== "string" || !/^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(at))
      return null;
    return { at, id };
  } catch {
    return null;
  }
}

/** Stripe events, newest first (keyset on received_at, id); the payload only through `webhookQuery`. */
export async function webhookListQuery(
  tx: PublicTx,
  raw: WebhookListInput,
): Promise<{
  items: WebhookRow[];
  nextCursor: string | null;
  statuses: { status: string; count: number }[];
}> {
  const input = webhookListInput.parse(raw);
  const where: SQL[] = [];
  if (input.status) where.push(eq(stripeWebhooks.status, input.status));
  if (input.type) {
    if (input.type.endsWith("*"))
      where.push(like(stripeWebhooks.type, prefixPattern(input.type.slice(0, -1))));
    else where.push(eq(stripeWebhooks.type, input.type));
  }
  if (input.tenant) {
    const t = input.tenant.toLowerCase();
    where.push(
      isUuid(t)
        ? eq(stripeWebhooks.tenantId, t)
        : sql`${stripeWebhooks.tenantId} = (select id from public.tenants where slug = ${t})`,
    );
  }
  const cursor = input.cursor ? decodeCursor(input.cursor) : null;
  if (cursor)
    where.push(
      sql`(${stripeWebhooks.receivedAt}, ${stripeWebhooks.id}) < (${cursor.at}::timestamptz, ${cursor.id})`,
    );
  const [rows, statuses] = await Promise.all([
    tx
      .select({
        id: stripeWebhooks.id,
        type: stripeWebhooks.type,
        status: stripeWebhooks.status,
        attempts: stripeWebhooks.attempts,
        error: stripeWebhooks.error,
        tenantId: stripeWebhooks.tenantId,
        tenantSlug: tenants.slug,
        receivedAt: stripeWebhooks.receivedAt,
        processedAt: stripeWebhooks.processedAt,
        at: sql<string>`to_char(${stripeWebhooks.receivedAt} at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
      })
      .from(stripeWebhooks)
      .leftJoin(tenants, eq(tenants.id, stripeWebhooks.tenantId))
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(stripeWebhooks.receivedAt), desc(stripeWebhooks.id))
      .limit(input.limit + 1),
    tx
      .select({ status: stripeWebhooks.status, count: count() })
      .from(stripeWebhooks)
      .groupBy(stripeWebhooks.status)
      .orderBy(stripeWebhooks.status),
  ]);
  const page = rows.slice(0, input.limit);
  return {
    items: page.map(({ at: _at, ...row }) => row),
    nextCursor: rows.length > input.limit ? encodeCursor(page.at(-1)!) : null,
    statuses,
  };
}

/** One Stripe event with its payload. */
export async function webhookQuery(tx: PublicTx, id: string) {
  const [row] = await tx
    .select({ event: stripeWebhooks, tenantSlug: tenants.slug })
    .from(stripeWebhooks)
    .leftJoin(tenants, eq(tenants.id, stripeWebhooks.tenantId))
    .where(eq(stripeWebhooks.id, id));
  return row ? { ...row.event, tenantSlug: row.tenantSlug } : null;
}
