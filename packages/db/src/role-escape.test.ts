import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migratePublic } from "./migrate";
import { provisionTenant } from "./provision";
import { provisionInput, testDatabase, testMasterKey, uniqueSlug } from "./testing";
import { type TenantRef, withPlatformAdmin, withTenant } from "./with-tenant";

// Arbitrary SQL inside tenant A's unit of work — as if the application had an injection — tries to
// leave A: become B, the platform admin, the app role or the session's login role. PostgreSQL must
// refuse every way, so the blast radius of such a bug is tenant A.

const db = testDatabase();
let a: TenantRef;
let b: TenantRef;

/** PostgreSQL's SQLSTATE of a failed query (drizzle wraps the driver error), or "ok". */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    let e = err as { code?: string; cause?: unknown } | undefined;
    while (e && !e.code) e = e.cause as typeof e;
    return e?.code ?? String(err);
  }
}

/** Runs `attempt` in A's unit of work, then B's messages and the super admins' hashes as A. */
function inA(...attempt: string[]) {
  return withTenant(db, a, async ({ db: tx }) => {
    for (const statement of attempt) await tx.execute(sql.raw(statement));
    return tx.execute(sql.raw(`select body from "${b.schemaName}".messages`));
  });
}

beforeAll(async () => {
  const make = async () => {
    const { tenant } = await provisionTenant(db, provisionInput(uniqueSlug("esc")), {
      masterKey: testMasterKey,
    });
    return tenant;
  };
  a = await make();
  b = await make();
  await db.admin.unsafe(
    `insert into "${b.schemaName}".messages (channel_id, user_id, body)
     select c.id, u.id, 'secret of b' from "${b.schemaName}".channels c, "${b.schemaName}".users u limit 1`,
  );
});
afterAll(() => db.close());

describe("arbitrary SQL in tenant A's unit of work stays in tenant A", () => {
  const q = (s: string) => `"${s}"`;

  it("A's own work runs as A's own login role, which is a member of nothing but the tenant group", async () => {
    const who = await withTenant(db, a, async ({ db: tx }) => {
      const [row] = await tx.execute<{ session_user: string; current_user: string }>(
        sql`select session_user, current_user`,
      );
      return row;
    });
    expect(who).toEqual({ session_user: a.dbRole, current_user: a.dbRole });
    const memberOf = await db.admin<{ role: string }[]>`
      select r.rolname as role from pg_auth_members m
      join pg_roles r on r.oid = m.roleid join pg_roles u on u.oid = m.member
      where u.rolname = ${a.dbRole}`;
    expect(memberOf.map((r) => r.role)).toEqual([db.roles.tenantGroup]);
  });

  it.each([
    ["set local role B", () => [`set local role ${q(b.dbRole)}`]],
    ["set role B", () => [`set role ${q(b.dbRole)}`]],
    ["set_config('role', B)", () => [`select set_config('role', '${b.dbRole}', true)`]],
    ["set session authorization B", () => [`set session authorization ${q(b.dbRole)}`]],
    ["set role platform admin", () => [`set local role ${q(db.roles.platformAdmin)}`]],
    [
      "set_config('role', platform admin)",
      () => [`select set_config('role', '${db.roles.platformAdmin}', true)`],
    ],
    ["set role app", () => [`set local role ${q(db.roles.app)}`]],
    [
      "set session authorization platform admin",
      () => [`set session authorization ${q(db.roles.platformAdmin)}`],
    ],
  ])("%s is refused by PostgreSQL", async (_name, attempt) => {
    expect(await outcome(inA(...attempt()))).toBe("42501");
  });

  it("reset role and reset session authorization leave A as A (B's schema stays closed)", async () => {
    expect(await outcome(inA("reset role"))).toBe("42501");
    expect(await outcome(inA("reset session authorization"))).toBe("42501");
    expect(await outcome(inA("set local role none"))).toBe("42501");
  });

  it("the tenant group role A may become sees no tenant's rows and no schema", async () => {
    const seen = await withTenant(db, a, async ({ db: tx }) => {
      await tx.execute(sql.raw(`set local role ${q(db.roles.tenantGroup)}`));
      const [t] = await tx.execute<{ n: number }>(sql`select count(*)::int as n from public.tenants`);
      const [s] = await tx.execute<{ n: number }>(sql`select count(*)::int as n from public.tenant_settings`);
      return { tenants: t!.n, settings: s!.n };
    });
    expect(seen).toEqual({ tenants: 0, settings: 0 });
    expect(
      await outcome(
        withTenant(db, a, async ({ db: tx }) => {
          await tx.execute(sql.raw(`set local role ${q(db.roles.tenantGroup)}`));
          await tx.execute(sql.raw(`select * from "${a.schemaName}".users`));
        }),
      ),
    ).toBe("42501");
  });

  it("the super admins' password hashes are out of A's reach", async () => {
    expect(
      await outcome(
        withTenant(db, a, ({ db: tx }) =>
          tx.execute(sql`select email, password_hash from public.super_admins`),
        ),
      ),
    ).toBe("42501");
  });

  it("A does not see what B's or the platform's connections are running", async () => {
    const hidden = await withTenant(db, b, async () => {
      // B holds a connection while A looks at pg_stat_activity.
      return withTenant(db, a, async ({ db: tx }) =>
        tx.execute<{ usename: string; query: string | null }>(
          sql`select usename, query from pg_stat_activity where usename <> current_user and usename is not null`,
        ),
      );
    });
    for (const row of hidden) expect(row.query, row.usename).toBe("<insufficient privilege>");
  });

  it("A cannot cancel or end B's backends", async () => {
    const code = await withTenant(db, b, async ({ db: tx }) => {
      const [row] = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
      return outcome(
        withTenant(db, a, ({ db: atx }) => atx.execute(sql`select pg_terminate_backend(${row!.pid})`)),
      );
    });
    expect(code).toBe("42501");
  });
});

describe("no login role can become another", () => {
  it("the app role and the platform-admin role are members of no role", async () => {
    const rows = await db.admin<{ member: string; role: string }[]>`
      select u.rolname as member, r.rolname as role from pg_auth_members m
      join pg_roles r on r.oid = m.roleid join pg_roles u on u.oid = m.member
      where u.rolname = any(${[db.roles.app, db.roles.platformAdmin]})`;
    expect(rows).toEqual([]);
  });

  it("platform-admin work cannot become a tenant", async () => {
    expect(
      await outcome(withPlatformAdmin(db, (tx) => tx.execute(sql.raw(`set local role "${a.dbRole}"`)))),
    ).toBe("42501");
    const who = await withPlatformAdmin(db, async (tx) => {
      const [row] = await tx.execute<{ u: string }>(sql`select session_user as u`);
      return row!.u;
    });
    expect(who).toBe(db.roles.platformAdmin);
  });

  it("a migrate makes a tenant role a login again and takes it out of the app role", async () => {
    // As an installation from before tenant logins had it.
    await db.admin.unsafe(`alter role "${a.dbRole}" nologin`);
    await db.admin.unsafe(`grant "${a.dbRole}" to "${db.roles.app}"`);
    await migratePublic(db);
    const [role] = await db.admin<{ login: boolean; member: boolean }[]>`
      select rolcanlogin as login, pg_has_role(${db.roles.app}, oid, 'member') as member
      from pg_roles where rolname = ${a.dbRole}`;
    expect(role).toEqual({ login: true, member: false });
    expect(await withTenant(db, a, async () => "ok")).toBe("ok");
  });

  it("the app role cannot become a tenant or the platform admin", async () => {
    for (const role of [a.dbRole, db.roles.platformAdmin]) {
      expect(await outcome(db.app.begin((tx) => tx.unsafe(`set local role "${role}"`)))).toBe("42501");
    }
  });
});
