import { parseHost } from "../tenancy/host";
import type { TenancyConfig, TenantResolver } from "../tenancy/resolver";

/** Why a front server may not get a certificate for a name. */
export type TlsRefusal =
  | "invalid" // not a host name (an IP address, malformed)
  | "not_a_tenant" // the base domain or a reserved name: configured in the front server, never on demand
  | "unknown" // no tenant by that subdomain, or no verified custom domain by that name
  | "custom_domains_off"
  | "suspended"
  | "deleted";

export type TlsAnswer = { allowed: true; slug: string } | { allowed: false; reason: TlsRefusal };

/**
 * May the front server (Caddy's on-demand TLS `ask`) obtain a certificate for `name`? Yes for
 * `<slug>.<base>` of a tenant that exists (also suspended: it must still show its suspended page over
 * HTTPS) and for a verified custom domain of a tenant that is neither suspended nor deleted. The answer
 * comes from the resolver, so it costs no query for a name seen recently or unknown to the process's
 * set of names (a scan of random names is cheap), and a domain removed or unverified stops resolving
 * at once in every process.
 */
export async function tlsCertificateAllowed(
  resolver: TenantResolver,
  config: TenancyConfig,
  name: string,
): Promise<TlsAnswer> {
  const target = parseHost(name, config.baseDomain);
  switch (target.kind) {
    case "invalid":
    case "ip":
      return { allowed: false, reason: "invalid" };
    case "base":
    case "reserved":
      return { allowed: false, reason: "not_a_tenant" };
    case "subdomain": {
      const tenant = await resolver.bySlug(target.slug);
      if (!tenant) return { allowed: false, reason: "unknown" };
      if (tenant.status === "deleted") return { allowed: false, reason: "deleted" };
      return { allowed: true, slug: tenant.slug };
    }
    case "custom": {
      if (!config.customDomains) return { allowed: false, reason: "custom_domains_off" };
      const tenant = await resolver.byDomain(target.domain);
      if (!tenant) return { allowed: false, reason: "unknown" };
      if (tenant.status === "deleted") return { allowed: false, reason: "deleted" };
      if (tenant.status === "suspended") return { allowed: false, reason: "suspended" };
      return { allowed: true, slug: tenant.slug };
    }
  }
}
