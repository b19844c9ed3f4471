import { z } from "zod";

/** Subdomains that never name a tenant. */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  "www",
  "admin",
  "api",
  "app",
  "mail",
  "email",
  "smtp",
  "imap",
  "pop",
  "ftp",
  "static",
  "assets",
  "cdn",
  "billing",
  "status",
  "help",
  "support",
  "docs",
  "blog",
  "dev",
  "staging",
  "test",
  "demo-admin",
  "auth",
  "login",
  "signup",
  "register",
  "account",
  "accounts",
  "dashboard",
  "console",
  "root",
  "system",
  "public",
  "template",
  "tenant",
  "tenants",
  "internal",
  "ns1",
  "ns2",
  "mx",
  "webhook",
  "webhooks",
  "stripe",
  "pg",
  "postgres",
  "redis",
  "localhost",
  "null",
  "undefined",
]);

export const SLUG_PATTERN = /^[a-z][a-z0-9-]{1,40}[a-z0-9]$/;

export type SlugProblem = "format" | "double-hyphen" | "reserved";

/** Why a slug is refused, or null when it is acceptable. */
export function slugProblem(slug: string): SlugProblem | null {
  if (!SLUG_PATTERN.test(slug)) return "format";
  if (slug.includes("--")) return "double-hyphen";
  if (RESERVED_SLUGS.has(slug)) return "reserved";
  return null;
}

export const SLUG_MESSAGES: Record<SlugProblem, string> = {
  format:
    "A workspace address is 3-42 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen.",
  "double-hyphen": "A workspace address cannot contain two hyphens in a row.",
  reserved: "This workspace address is reserved.",
};

export const slugSchema = z.string().superRefine((slug, ctx) => {
  const problem = slugProblem(slug);
  if (problem) ctx.addIssue({ code: "custom", message: SLUG_MESSAGES[problem], params: { problem } });
});

/**
 * The PostgreSQL schema of a tenant. Injective: slugs hold no "_", so "-" → "_" loses nothing.
 */
export function schemaNameForSlug(slug: string): string {
  if (slugProblem(slug)) throw new Error(`invalid slug: ${JSON.stringify(slug)}`);
  return `tenant_${slug.replaceAll("-", "_")}`;
}

export const TEMPLATE_SCHEMA = "tenant_template";
