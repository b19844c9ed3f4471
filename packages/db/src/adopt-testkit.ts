// Databases built the single-tenant way, for the adoption tests (not used by the product).
import { randomBytes } from "node:crypto";
import type { Database } from "./client";
import { migrationStatements } from "./layout";
import { tenantMigrations } from "./migrate";

export type LegacySchema = {
  schema: string;
  /** The login that created and owns it (as a single-tenant deployment's application user would). */
  legacyRole: string;
  ownerEmail: string;
  memberEmail: string;
  channelId: string;
  messages: string[];
};

/**
 * A schema of this product's tenant layout under `schema`, made by the tenant migrations up to
 * `upTo` (all by default) with no control-plane rows: an owner, a member, the default channel
 * "general" and a few messages, every object owned by a login role of its own.
 */
export async function buildLegacySchema(
  db: Database,
  opts: { schema?: string; upTo?: number; ownerPasswordHash?: string | null } = {},
): Promise<LegacySchema> {
  const run = randomBytes(4).toString("hex");
  const schema = opts.schema ?? `chat_${run}`;
  const legacyRole = `${db.roles.prefix}_legacy_${run}`;
  const ownerEmail = `boss-${run}@legacy.test`;
  const memberEmail = `member-${run}@legacy.test`;
  const messages = ["welcome to the old install", `the plan for ${run}`, "see you monday"];
  const migrations = tenantMigrations().slice(0, opts.upTo ?? undefined);
  const channelId = await db.admin.begin(async (tx) => {
    await tx.unsafe(`create role "${legacyRole}" login`);
    await tx.unsafe(`create schema "${schema}" authorization "${legacyRole}"`);
    await tx.unsafe(`set local role "${legacyRole}"`);
    for (const m of migrations) for (const s of migrationStatements(m.sql, schema)) await tx.unsafe(s);
    const s = tx(schema);
    const [owner] = await tx<{ id: string }[]>`
      insert into ${s}.users (email, name, role, password_hash)
      values (${ownerEmail}, 'The Boss', 'owner', ${opts.ownerPasswordHash ?? null}) returning id`;
    const [member] = await tx<{ id: string }[]>`
      insert into ${s}.users (email, name, role) values (${memberEmail}, 'A Member', 'member') returning id`;
    const [channel] = await tx<{ id: string }[]>`
      insert into ${s}.channels (name, kind, is_default, created_by)
      values ('general', 'public', true, ${owner!.id}) returning id`;
    await tx`insert into ${s}.channel_members (channel_id, user_id, role)
      values (${channel!.id}, ${owner!.id}, 'owner'), (${channel!.id}, ${member!.id}, 'member')`;
    for (const body of messages)
      await tx`insert into ${s}.messages (channel_id, user_id, body) values (${channel!.id}, ${owner!.id}, ${body})`;
    return channel!.id;
  });
  return { schema, legacyRole, ownerEmail, memberEmail, channelId: channelId as string, messages };
}
