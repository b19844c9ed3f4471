/**
 * docs/upgrading.md's rule for migrations: `pnpm db:migrate` runs while the previous release still
 * serves, so a migration only adds — tables, nullable columns or columns with a default (or generated),
 * indexes. Dropping or renaming a table or column, changing a column's type, making a column NOT NULL or
 * adding a CHECK takes two releases (stop using it, then change it). The statements that replaced an
 * index or a constraint of the same meaning are listed below with the reason; anything else fails here.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const DIRS = ["drizzle/public", "drizzle/tenant"];

/** Statements that break the rule on their face but not the previous release, and why. */
const REVIEWED: Record<string, string> = {
  // Replaced by a partial unique index on verified domains in the same migration: the old release
  // only inserted claims that the new index also accepts.
  'drizzle/public/0004_domain_claims.sql: ALTER TABLE "tenant_domains" DROP CONSTRAINT "tenant_domains_domain_unique"':
    "replaced by a looser unique index",
  // Replaced in the same migration by unique indexes per visibility; it landed before this rule was
  // written down.
  'drizzle/tenant/0004_channel_names_by_visibility.sql: DROP INDEX "tenant_template"."channels_name_key"':
    "replaced by unique indexes per visibility",
  // Dropped and added again at once (the migration is re-runnable on schemas that had it).
  'drizzle/tenant/0009_account_tokens.sql: ALTER TABLE "tenant_template"."account_tokens" DROP CONSTRAINT IF EXISTS "account_tokens_user_id_users_id_fk"':
    "re-created by the next statement",
  // On a column the same migration adds, which the previous release never writes.
  'drizzle/tenant/0010_notifications_pins.sql: ALTER TABLE "tenant_template"."channel_members" ADD CONSTRAINT "channel_members_notify_level_check" CHECK ("notify_level" in (\'all\', \'mentions\', \'nothing\'))':
    "on a column added by the same migration",
};

const RULES: { name: string; test: (s: string) => boolean }[] = [
  { name: "drops a table", test: (s) => /\bDROP\s+TABLE\b/i.test(s) },
  { name: "drops a column", test: (s) => /\bDROP\s+COLUMN\b/i.test(s) },
  { name: "renames", test: (s) => /\bRENAME\b/i.test(s) },
  { name: "changes a column's type", test: (s) => /\bALTER\s+COLUMN\b[\s\S]*\bTYPE\b/i.test(s) },
  { name: "makes a column NOT NULL", test: (s) => /\bALTER\s+COLUMN\b[\s\S]*\bSET\s+NOT\s+NULL\b/i.test(s) },
  {
    name: "adds a NOT NULL column without a default",
    test: (s) =>
      /\bADD\s+COLUMN\b/i.test(s) && /\bNOT\s+NULL\b/i.test(s) && !/\b(DEFAULT|GENERATED)\b/i.test(s),
  },
  { name: "adds a CHECK", test: (s) => /\bADD\s+CONSTRAINT\b[\s\S]*\bCHECK\b/i.test(s) },
  { name: "drops a constraint or index", test: (s) => /\bDROP\s+(CONSTRAINT|INDEX)\b/i.test(s) },
];

/** Every statement of every migration after the first of its directory, as `file: statement`. */
function statements(): string[] {
  const out: string[] = [];
  for (const dir of DIRS) {
    const files = readdirSync(join(ROOT, dir))
      .filter((f) => /^\d{4}_.*\.sql$/.test(f))
      .sort();
    for (const file of files.slice(1)) {
      for (const s of readFileSync(join(ROOT, dir, file), "utf8").split("--> statement-breakpoint")) {
        const text = s.trim().replace(/;\s*$/, "");
        if (text) out.push(`${dir}/${file}: ${text}`);
      }
    }
  }
  return out;
}

describe("migrations only add (the previous release keeps working during db:migrate)", () => {
  const all = statements();

  it("reads the migrations", () => {
    expect(all.length).toBeGreaterThan(20);
  });

  it("has no statement that removes, renames or tightens, beyond the reviewed ones", () => {
    const broken = all.flatMap((s) =>
      REVIEWED[s]
        ? []
        : RULES.filter((r) => r.test(s.split(": ").slice(1).join(": "))).map((r) => `${r.name}: ${s}`),
    );
    expect(broken).toEqual([]);
  });

  it("every reviewed exception still exists (a stale entry hides nothing)", () => {
    expect(Object.keys(REVIEWED).filter((k) => !all.includes(k))).toEqual([]);
  });

  it("the rules catch what they are for", () => {
    const hit = (s: string) => RULES.filter((r) => r.test(s)).map((r) => r.name);
    expect(hit('ALTER TABLE "t"."users" DROP COLUMN "nickname"')).toEqual(["drops a column"]);
    expect(hit('ALTER TABLE "t"."users" RENAME COLUMN "a" TO "b"')).toEqual(["renames"]);
    expect(hit('ALTER TABLE "t"."users" ADD COLUMN "x" text NOT NULL')).toEqual([
      "adds a NOT NULL column without a default",
    ]);
    expect(hit('ALTER TABLE "t"."users" ADD COLUMN "x" integer DEFAULT 0 NOT NULL')).toEqual([]);
    expect(hit('ALTER TABLE "t"."users" ALTER COLUMN "x" SET DATA TYPE bigint')).toEqual([
      "changes a column's type",
    ]);
    expect(hit('ALTER TABLE "t"."users" ALTER COLUMN "x" SET NOT NULL')).toEqual(["makes a column NOT NULL"]);
  });
});
