import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { provisionTenant } from "./provision";
import type { TenantLimits } from "./public";
import { provisionInput, testDatabase, testMasterKey, uniqueSlug } from "./testing";
import { withTenant } from "./with-tenant";

const db = testDatabase();
afterAll(() => db.close());

type Row = {
  resource: string;
  used: number;
  limit: number;
  remaining: number | null;
  exceeded: boolean;
  at_limit: boolean;
};

async function tenantWith(limits: TenantLimits) {
  const { tenant } = await provisionTenant(db, provisionInput(uniqueSlug("lim"), { limits }), {
    masterKey: testMasterKey,
  });
  return tenant;
}

async function check(tenantId: string): Promise<Record<string, Omit<Row, "resource">>> {
  const rows = await db.admin<Row[]>`
    select resource, used::int, "limit"::float8 as limit, remaining::float8, exceeded, at_limit
    from public.check_tenant_limits(${tenantId})`;
  return Object.fromEntries(rows.map(({ resource, ...r }) => [resource, r]));
}

async function addChannels(schema: string, n: number) {
  await db.admin.unsafe(
    `insert into "${schema}".channels (name) select 'c' || g || md5(random()::text) from generate_series(1, ${n}) g`,
  );
}

const LIMITS: TenantLimits = { users: 3, channels: 2, storageGb: 0.5, apiCallsPerMonth: 100, maxUploadMb: 5 };

describe("check_tenant_limits", () => {
  it("at zero usage nothing is exceeded", async () => {
    const t = await tenantWith(LIMITS);
    await db.admin.unsafe(`delete from "${t.schemaName}".channels`);
    const r = await check(t.id);
    expect(r.channels).toEqual({ used: 0, limit: 2, remaining: 2, exceeded: false, at_limit: false });
    expect(r.users).toEqual({ used: 1, limit: 3, remaining: 2, exceeded: false, at_limit: false }); // the owner
    expect(r.storage).toEqual({
      used: 0,
      limit: 536870912,
      remaining: 536870912,
      exceeded: false,
      at_limit: false,
    });
    expect(r.api_calls_month).toEqual({
      used: 0,
      limit: 100,
      remaining: 100,
      exceeded: false,
      at_limit: false,
    });
  });

  it("at the limit: at_limit true, exceeded false", async () => {
    const t = await tenantWith(LIMITS);
    await addChannels(t.schemaName, 1); // + default channel = 2
    await db.admin`insert into public.tenant_invitations (tenant_id, email, role, token_hash, expires_at) values
      (${t.id}, 'a@x.test', 'member', ${`a${t.id}`}, now() + interval '7 days'),
      (${t.id}, 'b@x.test', 'member', ${`b${t.id}`}, now() + interval '7 days'),
      (${t.id}, 'expired@x.test', 'member', ${`c${t.id}`}, now() - interval '1 day')`;
    const r = await check(t.id);
    expect(r.channels).toEqual({ used: 2, limit: 2, remaining: 0, exceeded: false, at_limit: true });
    expect(r.users).toEqual({ used: 3, limit: 3, remaining: 0, exceeded: false, at_limit: true });
  });

  it("over the limit (e.g. after a downgrade): exceeded and at_limit true, remaining 0", async () => {
    const t = await tenantWith(LIMITS);
    await addChannels(t.schemaName, 4);
    const [ch] = await db.admin.unsafe(`select id from "${t.schemaName}".channels limit 1`);
    await db.admin.unsafe(
      `insert into "${t.schemaName}".attachments (channel_id, file_name, content_type, size_bytes, storage_key, key_version)
       values ($1, 'big.bin', 'application/octet-stream', 600000000, $2, 1)`,
      [ch!.id, `k-${t.id}`],
    );
    await db.admin`insert into public.tenant_usage (tenant_id, period, api_calls_total)
      values (${t.id}, to_char(now() at time zone 'utc', 'YYYY-MM'), 101)`;
    const r = await check(t.id);
    expect(r.channels).toEqual({ used: 5, limit: 2, remaining: 0, exceeded: true, at_limit: true });
    expect(r.storage).toMatchObject({ used: 600000000, exceeded: true, at_limit: true, remaining: 0 });
    expect(r.api_calls_month).toMatchObject({ used: 101, exceeded: true });
  });

  it("unlimited (-1) never exceeds and has no remaining", async () => {
    const t = await tenantWith({
      users: -1,
      channels: -1,
      storageGb: -1,
      apiCallsPerMonth: -1,
      maxUploadMb: -1,
    });
    await addChannels(t.schemaName, 50);
    const r = await check(t.id);
    for (const v of Object.values(r))
      expect(v).toMatchObject({ limit: -1, remaining: null, exceeded: false, at_limit: false });
    expect(r.channels!.used).toBe(51);
  });

  it("a missing limit counts as zero (deny), never as unlimited, and booleans are never null", async () => {
    const t = await tenantWith(LIMITS);
    await db.admin`update public.tenants set limits = '{}' where id = ${t.id}`;
    const r = await check(t.id);
    expect(r.channels).toEqual({ used: 1, limit: 0, remaining: 0, exceeded: true, at_limit: true });
  });

  it("a tenant role gets its own figures and nothing for another tenant", async () => {
    const mine = await tenantWith(LIMITS);
    const other = await tenantWith(LIMITS);
    const ref = { id: mine.id, schemaName: mine.schemaName, dbRole: mine.dbRole };
    const own = await withTenant(db, ref, ({ db: tx }) =>
      tx.execute(sql`select * from public.check_tenant_limits(${mine.id})`),
    );
    expect(own).toHaveLength(4);
    const foreign = await withTenant(db, ref, ({ db: tx }) =>
      tx.execute(sql`select * from public.check_tenant_limits(${other.id})`),
    );
    expect(foreign).toHaveLength(0);
  });
});
