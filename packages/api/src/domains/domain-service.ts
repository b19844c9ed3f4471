import { randomBytes } from "node:crypto";
import {
  type Database,
  isUniqueViolation,
  type TenantActor,
  type TenantRef,
  withPlatformAdmin,
  withTenant,
} from "@nchat/db";
import { type TenantDomain, tenantDomains, tenants } from "@nchat/db/public";
import { and, desc, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { type Actor, audit, isTenantActor, SYSTEM } from "../audit/actor";
import { AppError } from "../errors";
import { platformDisabled } from "../limits/platform-features";
import { normalizeHost } from "../tenancy/host";
import {
  type CustomDomainConfig,
  type DomainStatus,
  type DomainView,
  normalizeCustomDomain,
  type RecheckResult,
  type ResolveTxt,
  verificationRecord,
} from "./names";

export * from "./names";

export type DomainServiceDeps = {
  db: Database;
  config: CustomDomainConfig;
  resolveTxt: ResolveTxt;
  /** Called after a domain started or stopped resolving, so caches can drop it. */
  onTenantChanged?: (t: { id: string; slug: string; domains: string[] }) => void | Promise<void>;
};

/** The tenant a domain operation acts for (its role, and its slug for cache invalidation). */
export type DomainTenant = TenantRef & { slug: string };

const domainInput = z
  .string({ error: "Enter a domain name." })
  .trim()
  .min(1, "Enter a domain name.")
  .max(253, "A domain name has at most 253 characters.");
const domainIdInput = z.uuid();

function invalid(message: string): AppError {
  return new AppError("VALIDATION_FAILED", message, { fields: [{ path: "domain", message }] });
}

const notFound = () => new AppError("NOT_FOUND", "No such domain in this workspace.");

type Check = { ok: true } | { ok: false; definitive: boolean; error: string };

/**
 * Custom domains of tenants: added under the tenant's own role (RLS keeps each tenant to its own
 * rows), proven with a DNS TXT record, re-checked by a job. Only verified domains resolve to a
 * tenant. Every change writes its audit entry in the same transaction.
 */
export class DomainService {
  private readonly allowlist: Set<string>;

  constructor(private readonly deps: DomainServiceDeps) {
    this.allowlist = new Set(
      deps.config.allowlist.map((d) => normalizeHost(d)?.host ?? d.trim().toLowerCase()).filter(Boolean),
    );
  }

  async addDomain(tenant: DomainTenant, rawDomain: string, actor: Actor): Promise<DomainView> {
    if (!this.deps.config.enabled) throw platformDisabled("customDomains");
    assertCanManage(actor);
    const parsed = domainInput.safeParse(rawDomain);
    if (!parsed.success) throw invalid(parsed.error.issues[0]?.message ?? "Enter a domain name.");
    const { domain, error } = normalizeCustomDomain(parsed.data, this.deps.config.baseDomain);
    if (error !== undefined) throw invalid(error);
    if (this.allowlist.size > 0 && !this.allowlist.has(domain))
      throw new AppError("FORBIDDEN", "This domain is not on the platform's allowlist.");

    const token = randomBytes(16).toString("base64url");
    try {
      const row = await withTenant(
        this.deps.db,
        tenant,
        async ({ db }) => {
          const [created] = await db
            .insert(tenantDomains)
            .values({ tenantId: tenant.id, domain, verificationToken: token })
            .returning();
          await audit(db, tenant.id, actor, {
            action: "domain.add",
            resourceType: "domain",
            resourceId: created!.id,
            after: { domain },
          });
          return created!;
        },
        tenantActor(actor),
      );
      return toView(row);
    } catch (err) {
      if (isUniqueViolation(err, "tenant_domains_tenant_domain_unique"))
        throw new AppError("CONFLICT", "This domain is already added to this workspace.", { domain });
      throw err;
    }
  }

  /** The tenant's domains, newest first. */
  async listDomains(tenant: TenantRef): Promise<DomainView[]> {
    const rows = await withTenant(this.deps.db, tenant, ({ db }) =>
      db
        .select()
        .from(tenantDomains)
        .where(eq(tenantDomains.tenantId, tenant.id))
        .orderBy(desc(tenantDomains.createdAt)),
    );
    return rows.map(toView);
  }

  /**
   * Looks up the domain's TXT record now. Found with the expected value: verified. Missing or
   * different: "pending" (never verified) or "failed" (verified before). A lookup that fails for
   * another reason (timeout, SERVFAIL) leaves the status as it is. The outcome is in `lastError`.
   */
  async verifyDomain(tenant: DomainTenant, domainId: string, actor: Actor): Promise<DomainView> {
    assertCanManage(actor);
    const id = parseId(domainId);
    const current = await withTenant(
      this.deps.db,
      tenant,
      async ({ db }) =>
        (
          await db
            .select()
            .from(tenantDomains)
            .where(and(eq(tenantDomains.id, id), eq(tenantDomains.tenantId, tenant.id)))
        )[0],
    );
    if (!current) throw notFound();

    const check = await this.check(current.domain, current.verificationToken);
    const now = new Date();
    const status: DomainStatus = check.ok
      ? "verified"
      : !check.definitive
        ? current.status
        : current.verifiedAt
          ? "failed"
          : "pending";
    const lastError = check.ok ? null : check.error;
    // One verified owner per domain: a workspace proving control of a domain verified elsewhere is
    // refused (its claim stays as it was). The TXT token is per claim, so only the domain's real
    // controller can verify; an unverified claim never blocks anyone.
    const { row, domains } = await withTenant(
      this.deps.db,
      tenant,
      async ({ db }) => {
        const [updated] = await db
          .update(tenantDomains)
          .set({ status, lastError, lastCheckedAt: now, ...(check.ok ? { verifiedAt: now } : {}) })
          .where(and(eq(tenantDomains.id, id), eq(tenantDomains.tenantId, tenant.id)))
          .returning();
        if (!updated) throw notFound();
        await audit(db, tenant.id, actor, {
          action: check.ok ? "domain.verify" : "domain.verify_failed",
          resourceType: "domain",
          resourceId: id,
          before: { domain: current.domain, status: current.status },
          after: { domain: current.domain, status, lastError },
        });
        return { row: updated, domains: await domainsOf(db, tenant.id) };
      },
      tenantActor(actor),
    ).catch((err: unknown) => {
      if (isUniqueViolation(err, "tenant_domains_verified_domain_unique"))
        throw new AppError("CONFLICT", "Another workspace has already verified this domain.", {
          domain: current.domain,
        });
      throw err;
    });
    if (row.status !== current.status) await this.changed(tenant, domains);
    return toView(row);
  }

  async removeDomain(tenant: DomainTenant, domainId: string, actor: Actor): Promise<void> {
    assertCanManage(actor);
    const id = parseId(domainId);
    const { removed, domains } = await withTenant(
      this.deps.db,
      tenant,
      async ({ db }) => {
        const [row] = await db
          .delete(tenantDomains)
          .where(and(eq(tenantDomains.id, id), eq(tenantDomains.tenantId, tenant.id)))
          .returning();
        if (!row) throw notFound();
        await audit(db, tenant.id, actor, {
          action: "domain.remove",
          resourceType: "domain",
          resourceId: id,
          before: { domain: row.domain, status: row.status },
        });
        return { removed: row, domains: await domainsOf(db, tenant.id) };
      },
      tenantActor(actor),
    );
    // The removed domain may be cached as resolving: it has to be dropped too.
    await this.changed(tenant, [...domains, removed.domain]);
  }

  /**
   * The re-verification job: every verified domain (of `tenantIds` when given) is looked up again,
   * `concurrency` at a time. A record that disappeared or changed marks the domain "failed" (it
   * stops resolving), audited as the system; a lookup error keeps it verified and records the error.
   */
  async recheckAll(opts: { concurrency?: number; tenantIds?: string[] } = {}): Promise<RecheckResult> {
    const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 8) || 1);
    const verified = await withPlatformAdmin(this.deps.db, (tx) =>
      tx
        .select({
          id: tenantDomains.id,
          tenantId: tenantDomains.tenantId,
          domain: tenantDomains.domain,
          token: tenantDomains.verificationToken,
          slug: tenants.slug,
        })
        .from(tenantDomains)
        .innerJoin(tenants, eq(tenants.id, tenantDomains.tenantId))
        .where(
          and(
            eq(tenantDomains.status, "verified"),
            opts.tenantIds ? inArray(tenantDomains.tenantId, opts.tenantIds) : undefined,
          ),
        )
        .orderBy(tenantDomains.domain),
    );
    const checks = await mapLimit(verified, concurrency, async (d) => ({
      ...d,
      check: await this.check(d.domain, d.token),
    }));

    const result: RecheckResult = { checked: checks.length, stillVerified: 0, lost: [], inconclusive: [] };
    const now = new Date();
    const confirmed = checks.filter((c) => c.check.ok).map((c) => c.id);
    result.stillVerified = confirmed.length;
    for (let i = 0; i < confirmed.length; i += 1000) {
      const ids = confirmed.slice(i, i + 1000);
      await withPlatformAdmin(this.deps.db, (tx) =>
        tx
          .update(tenantDomains)
          .set({ lastCheckedAt: now, lastError: null })
          .where(and(inArray(tenantDomains.id, ids), eq(tenantDomains.status, "verified"))),
      );
    }

    for (const c of checks) {
      if (c.check.ok) continue;
      const lastError = c.check.error;
      if (!c.check.definitive) {
        result.inconclusive.push(c.domain);
        await withPlatformAdmin(this.deps.db, (tx) =>
          tx
            .update(tenantDomains)
            .set({ lastCheckedAt: now, lastError })
            .where(and(eq(tenantDomains.id, c.id), eq(tenantDomains.status, "verified"))),
        );
        continue;
      }
      const domains = await withPlatformAdmin(this.deps.db, async (tx) => {
        // Only if still verified: the tenant may have removed or re-verified it meanwhile.
        const [updated] = await tx
          .update(tenantDomains)
          .set({ status: "failed", lastError, lastCheckedAt: now })
          .where(and(eq(tenantDomains.id, c.id), eq(tenantDomains.status, "verified")))
          .returning({ id: tenantDomains.id });
        if (!updated) return null;
        await audit(tx, c.tenantId, SYSTEM, {
          action: "domain.verification_lost",
          resourceType: "domain",
          resourceId: c.id,
          before: { domain: c.domain, status: "verified" },
          after: { domain: c.domain, status: "failed", lastError },
        });
        return domainsOf(tx, c.tenantId);
      });
      if (!domains) continue;
      result.lost.push(c.domain);
      await this.changed({ id: c.tenantId, slug: c.slug }, domains);
    }
    return result;
  }

  private async check(domain: string, token: string): Promise<Check> {
    const record = verificationRecord(domain, token);
    let answers: string[][];
    try {
      answers = await this.deps.resolveTxt(record.name);
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (code === "ENOTFOUND" || code === "ENODATA")
        return { ok: false, definitive: true, error: `TXT record ${record.name} not found` };
      const reason = typeof code === "string" ? code : "lookup error";
      return { ok: false, definitive: false, error: `DNS lookup of ${record.name} failed (${reason})` };
    }
    if (answers.length === 0)
      return { ok: false, definitive: true, error: `TXT record ${record.name} not found` };
    if (answers.some((chunks) => chunks.join("").trim() === record.value)) return { ok: true };
    return { ok: false, definitive: true, error: "TXT record found but the value does not match" };
  }

  private async changed(t: { id: string; slug: string }, domains: string[]) {
    await this.deps.onTenantChanged?.({ id: t.id, slug: t.slug, domains: [...new Set(domains)] });
  }
}

/** Users and API keys manage domains as workspace owners or admins; platform actors pass. */
function assertCanManage(actor: Actor) {
  if (isTenantActor(actor) && actor.role !== "owner" && actor.role !== "admin")
    throw new AppError("FORBIDDEN", "Only workspace owners and admins can manage custom domains.");
}

function parseId(domainId: string): string {
  const r = domainIdInput.safeParse(domainId);
  if (!r.success) throw notFound();
  return r.data;
}

function tenantActor(actor: Actor): TenantActor {
  return { userId: actor.id, userRole: actor.role };
}

async function domainsOf(
  db: Parameters<Parameters<typeof withPlatformAdmin>[1]>[0],
  tenantId: string,
): Promise<string[]> {
  const rows = await db
    .select({ domain: tenantDomains.domain })
    .from(tenantDomains)
    .where(eq(tenantDomains.tenantId, tenantId));
  return rows.map((r) => r.domain);
}

function toView(row: TenantDomain): DomainView {
  return {
    id: row.id,
    domain: row.domain,
    status: row.status,
    verifiedAt: row.verifiedAt,
    lastCheckedAt: row.lastCheckedAt,
    lastError: row.lastError,
    record: verificationRecord(row.domain, row.verificationToken),
  };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
