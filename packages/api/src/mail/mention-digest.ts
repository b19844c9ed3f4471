import { type Database, type TenantRef, withPlatformAdmin, withTenant } from "@nchat/db";
import { tenants } from "@nchat/db/public";
import { inArray, sql } from "drizzle-orm";
import type { MailService } from "./mail-service";
import { unsubscribeToken } from "./unsubscribe";

/** At most this many messages are listed in one digest ("and N more" for the rest). */
export const MENTION_DIGEST_LIMIT = 20;

export type MentionDigestDeps = {
  db: Database;
  mail: Pick<MailService, "send">;
  /** Minutes a person must have been away (no activity) before their mentions are mailed. */
  delayMinutes: number;
  /** The workspace's own address (`https://acme.example.com`): the digest's links start with it. */
  tenantUrl: (slug: string) => string;
  /** The key of unsubscribe links (unsubscribeKey of the master key). */
  unsubscribeKey: Buffer;
};

export type MentionDigestReport = {
  tenants: number;
  mailed: number;
  errors: { tenant: string; error: string }[];
};

type Candidate = { id: string; email: string; name: string };
type Item = {
  id: number;
  channel_id: string;
  channel_name: string;
  channel_kind: string;
  author: string | null;
  body: string;
  total: number;
};

const excerpt = (body: string) => {
  const flat = body.replace(/\s+/g, " ").trim();
  return flat.length > 140 ? `${flat.slice(0, 139)}…` : flat;
};

/**
 * One tenant's digests. The people away for `delayMinutes` who keep mention emails on are locked
 * (`for update skip locked`: a concurrent run skips them) and, in the same transaction, each gets
 * one mail listing the messages that mention them or were sent to them in a DM, newer than their
 * last digest, still unread and not in a muted channel; `mention_digest_at` then records the
 * newest message covered, so a message is mailed once. Runs as the tenant's own role.
 */
export async function digestTenant(
  deps: MentionDigestDeps,
  tenant: TenantRef & { slug: string },
  now = new Date(),
): Promise<number> {
  const base = deps.tenantUrl(tenant.slug);
  const awaySince = new Date(now.getTime() - deps.delayMinutes * 60_000);
  return withTenant(deps.db, tenant, async ({ db }) => {
    const users = (await db.execute(sql`
      select id, email, name from ${sql.identifier(tenant.schemaName)}.users
      where mention_emails and deactivated_at is null and not is_service
        and (last_seen_at is null or last_seen_at < ${awaySince.toISOString()}::timestamptz)
      order by id
      for update skip locked`)) as unknown as Candidate[];
    let mailed = 0;
    for (const user of users) {
      const s = sql.identifier(tenant.schemaName);
      const items = (await db.execute(sql`
        select m.id, m.channel_id, c.name as channel_name, c.kind::text as channel_kind,
               a.name as author, m.body, count(*) over ()::int as total
        from ${s}.messages m
        join ${s}.channels c on c.id = m.channel_id
        join ${s}.channel_members cm on cm.channel_id = m.channel_id and cm.user_id = ${user.id}
        join ${s}.users u on u.id = cm.user_id
        left join ${s}.users a on a.id = m.user_id
        left join ${s}.read_state rs on rs.channel_id = m.channel_id and rs.user_id = ${user.id}
        where m.deleted_at is null
          and m.user_id is distinct from ${user.id}
          and m.id > coalesce(rs.last_read_message_id, 0)
          and not cm.muted and coalesce(cm.notify_level, '') <> 'nothing'
          and m.created_at > coalesce(u.mention_digest_at, '-infinity'::timestamptz)
          and (c.kind = 'dm' or exists (
            select 1 from ${s}.mentions x where x.message_id = m.id and x.user_id = ${user.id}))
        order by m.id
        limit ${MENTION_DIGEST_LIMIT}`)) as unknown as Item[];
      if (items.length === 0) continue;
      const total = items[0]!.total;
      await deps.mail.send(tenant, {
        kind: "mention_digest",
        to: user.email,
        data: {
          name: user.name,
          items: items.map((i) => ({
            channel: i.channel_kind === "dm" ? "Direct message" : `#${i.channel_name}`,
            author: i.author ?? "Someone",
            excerpt: excerpt(i.body),
            url: `${base}/?c=${encodeURIComponent(i.channel_id)}&m=${i.id}`,
          })),
          more: Math.max(0, total - items.length),
          openUrl: `${base}/`,
          unsubscribeUrl: `${base}/api/unsubscribe?t=${unsubscribeToken(deps.unsubscribeKey, "mention-emails", tenant.id, user.id)}`,
        },
      });
      // Everything up to now that qualified is covered: listed, or counted in "and N more".
      // Everything that qualified is covered: listed, or counted in "and N more" (then up to now).
      // The newest time is taken in SQL: microseconds kept, so the newest message never qualifies again.
      const ids = sql.join(
        items.map((i) => sql`${i.id}`),
        sql`, `,
      );
      await db.execute(
        total > items.length
          ? sql`update ${s}.users set mention_digest_at = ${now.toISOString()}::timestamptz where id = ${user.id}`
          : sql`update ${s}.users set mention_digest_at =
              (select max(created_at) from ${s}.messages where id in (${ids})) where id = ${user.id}`,
      );
      mailed++;
    }
    return mailed;
  });
}

/** Every workspace in use (not suspended, cancelled or deleted), one after the other. */
export async function runMentionDigests(
  deps: MentionDigestDeps,
  now = new Date(),
): Promise<MentionDigestReport> {
  const list = await withPlatformAdmin(deps.db, (tx) =>
    tx
      .select({ id: tenants.id, slug: tenants.slug, schemaName: tenants.schemaName, dbRole: tenants.dbRole })
      .from(tenants)
      .where(inArray(tenants.status, ["trial", "active", "past_due"]))
      .orderBy(tenants.slug),
  );
  const report: MentionDigestReport = { tenants: list.length, mailed: 0, errors: [] };
  for (const t of list) {
    try {
      report.mailed += await digestTenant(deps, t, now);
    } catch (err) {
      report.errors.push({
        tenant: t.slug,
        error: (err instanceof Error ? err.message : String(err)).split("\n")[0]!.slice(0, 500),
      });
    }
  }
  return report;
}
