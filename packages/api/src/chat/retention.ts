import { type Database, type TenantRef, withPlatformAdmin, withTenant } from "@nchat/db";
import { tenantSettings, tenants } from "@nchat/db/public";
import { and, eq, isNotNull, ne, sql } from "drizzle-orm";
import type { BlobStore } from "../attachments/blob-store";
import type { Logger } from "../infra/log";
import type { UsageRecorder } from "../limits/usage";

/**
 * The security settings' "Delete messages after (days)" (tenant_settings.message_retention_days;
 * empty keeps messages forever). Messages older than that are removed for good, with their
 * reactions, mentions, pins and files (rows and stored bodies). A thread whose replies are newer
 * keeps its place: its old first message becomes a deleted message (no text, files or reactions),
 * as when its author deletes it, and its old replies go. Runs as each tenant's own role.
 */
export type MessageRetentionDeps = {
  db: Database;
  blobs: Pick<BlobStore, "delete">;
  usage?: Pick<UsageRecorder, "touch">;
  log?: Pick<Logger, "warn">;
};

export type MessageRetentionReport = {
  /** Workspaces with a retention period. */
  tenants: number;
  /** Messages removed, and old thread starters emptied. */
  messages: number;
  files: number;
  errors: { tenant: string; error: string }[];
};

/** Messages handled per transaction. */
const BATCH = 500;

/** One tenant: removes what is older than `days` days before `now`, in batches. */
export async function expireMessages(
  deps: MessageRetentionDeps,
  tenant: TenantRef,
  days: number,
  now = new Date(),
): Promise<{ messages: number; files: number }> {
  const cutoff = new Date(now.getTime() - days * 86_400_000).toISOString();
  const total = { messages: 0, files: 0 };
  for (;;) {
    const { found, keys } = await withTenant(deps.db, tenant, async ({ db }) => {
      const s = sql.identifier(tenant.schemaName);
      // Old replies, and old first messages whose threads have no newer reply: removed ("expire").
      // Old first messages of threads with newer replies: emptied, as a deleted message.
      const rows = (await db.execute(sql`
        select m.id, m.parent_id,
          (m.parent_id is not null or not exists (
            select 1 from ${s}.messages r
            where r.parent_id = m.id and r.created_at >= ${cutoff}::timestamptz)) as expire
        from ${s}.messages m
        where m.created_at < ${cutoff}::timestamptz
          and (m.parent_id is not null or m.deleted_at is null or m.body <> '' or not exists (
            select 1 from ${s}.messages r
            where r.parent_id = m.id and r.created_at >= ${cutoff}::timestamptz))
        order by m.id
        limit ${BATCH}
        for update`)) as unknown as {
        id: number | string;
        parent_id: number | string | null;
        expire: boolean;
      }[];
      if (rows.length === 0) return { found: 0, keys: [] as string[] };
      const ids = (list: typeof rows) => `{${list.map((r) => String(r.id)).join(",")}}`;
      const expired = ids(rows.filter((r) => r.expire));
      const emptied = ids(rows.filter((r) => !r.expire));
      const all = ids(rows);
      const files = (await db.execute(sql`
        delete from ${s}.attachments where message_id = any(${all}::bigint[])
        returning storage_key`)) as unknown as { storage_key: string }[];
      await db.execute(sql`delete from ${s}.reactions where message_id = any(${emptied}::bigint[])`);
      await db.execute(sql`delete from ${s}.mentions where message_id = any(${emptied}::bigint[])`);
      await db.execute(sql`delete from ${s}.pins where message_id = any(${emptied}::bigint[])`);
      await db.execute(sql`
        update ${s}.messages set body = '', deleted_at = coalesce(deleted_at, now())
        where id = any(${emptied}::bigint[])`);
      // Replies of removed first messages go with them (on delete cascade).
      await db.execute(sql`delete from ${s}.messages where id = any(${expired}::bigint[])`);
      // Threads that keep newer replies count what is left.
      const parents = `{${[...new Set(rows.filter((r) => r.expire && r.parent_id !== null).map((r) => String(r.parent_id)))].join(",")}}`;
      await db.execute(sql`
        update ${s}.messages p set
          reply_count = (select count(*) from ${s}.messages r where r.parent_id = p.id and r.deleted_at is null),
          last_reply_at = (select max(r.created_at) from ${s}.messages r where r.parent_id = p.id and r.deleted_at is null)
        where p.id = any(${parents}::bigint[])`);
      return { found: rows.length, keys: files.map((f) => f.storage_key) };
    });
    // After the commit: a failure here leaves an unreferenced body, never a row without one.
    for (const key of keys)
      await deps.blobs
        .delete(key)
        .catch((err) => deps.log?.warn({ err }, "retention: removing a file's body failed"));
    if (keys.length > 0) deps.usage?.touch(tenant);
    total.messages += found;
    total.files += keys.length;
    if (found < BATCH) return total;
  }
}

/** Every workspace with a retention period (not deleted), one after the other. */
export async function runMessageRetention(
  deps: MessageRetentionDeps,
  now = new Date(),
): Promise<MessageRetentionReport> {
  const list = await withPlatformAdmin(deps.db, (tx) =>
    tx
      .select({
        id: tenants.id,
        slug: tenants.slug,
        schemaName: tenants.schemaName,
        dbRole: tenants.dbRole,
        days: tenantSettings.messageRetentionDays,
      })
      .from(tenants)
      .innerJoin(tenantSettings, eq(tenantSettings.tenantId, tenants.id))
      .where(and(ne(tenants.status, "deleted"), isNotNull(tenantSettings.messageRetentionDays)))
      .orderBy(tenants.slug),
  );
  const report: MessageRetentionReport = { tenants: list.length, messages: 0, files: 0, errors: [] };
  for (const t of list) {
    try {
      const r = await expireMessages(deps, t, t.days!, now);
      report.messages += r.messages;
      report.files += r.files;
    } catch (err) {
      report.errors.push({
        tenant: t.slug,
        error: (err instanceof Error ? err.message : String(err)).split("\n")[0]!.slice(0, 500),
      });
    }
  }
  return report;
}
