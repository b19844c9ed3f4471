import { promises as dnsPromises } from "node:dns";
import type { TenantDomain } from "@nchat/db/public";
import { normalizeHost } from "../tenancy/host";

/**
 * Custom domain names: what a tenant may connect (normalizeCustomDomain), the TXT record that proves
 * it controls one, and the DNS lookup that reads it. No database, no tenant: domain-service.ts uses it.
 */

/** The label under a custom domain that holds its verification TXT record. */
export const VERIFICATION_LABEL = "_nchat-verify";
/** Longest domain whose verification record name still fits in a DNS name (253). */
export const MAX_CUSTOM_DOMAIN = 253 - VERIFICATION_LABEL.length - 1;

/** Top-level names that never point at a tenant's own server on the public internet. */
const SPECIAL_USE_TLDS = new Set(["localhost", "local", "internal", "invalid", "onion", "arpa"]);

export type DomainStatus = TenantDomain["status"];

/** The DNS record a tenant publishes to prove it controls a domain. */
export type VerificationRecord = { type: "TXT"; name: string; value: string };

export function verificationRecord(domain: string, token: string): VerificationRecord {
  return { type: "TXT", name: `${VERIFICATION_LABEL}.${domain}`, value: `nchat-verify=${token}` };
}

/** A custom domain as the tenant sees it (never the bare token: it is inside `record.value`). */
export type DomainView = {
  id: string;
  domain: string;
  status: DomainStatus;
  verifiedAt: Date | null;
  lastCheckedAt: Date | null;
  lastError: string | null;
  record: VerificationRecord;
};

export type CustomDomainConfig = {
  enabled: boolean;
  /** When non-empty, only these domains may be added. */
  allowlist: string[];
  /** The platform's own domain: neither it nor any host under it can be a custom domain. */
  baseDomain: string;
};

/** TXT lookup: one string[] (the record's character-strings) per answer; rejects like node:dns. */
export type ResolveTxt = (name: string) => Promise<string[][]>;

export type RecheckResult = {
  checked: number;
  /** Record still published with the expected value. */
  stillVerified: number;
  /** Domains whose record disappeared or changed: now "failed", no longer resolving. */
  lost: string[];
  /** Domains whose lookup failed (timeout, SERVFAIL, …): left verified, error recorded. */
  inconclusive: string[];
};

/**
 * A TXT lookup through node:dns with its own resolver: the given servers ("127.0.0.1:5353"), or
 * the system's when none are given. Bounded in time so a dead server cannot stall a request or job.
 */
export function dnsTxtResolver(
  servers?: string[],
  opts: { timeoutMs?: number; tries?: number } = {},
): ResolveTxt {
  const resolver = new dnsPromises.Resolver({ timeout: opts.timeoutMs ?? 3000, tries: opts.tries ?? 2 });
  if (servers?.length) resolver.setServers(servers);
  return (name) => resolver.resolveTxt(name);
}

/**
 * The canonical form of a domain a tenant wants to connect, or why it cannot be one: lowercase,
 * no trailing dot, punycode; not an IP, a single label, a special-use name or a platform address.
 */
export function normalizeCustomDomain(
  raw: string,
  baseDomain: string,
): { domain: string; error?: undefined } | { domain?: undefined; error: string } {
  const value = raw.trim();
  const n = normalizeHost(value);
  if (n?.ip) return { error: "Enter a domain name, not an IP address." };
  if (!n || value.includes(":")) return { error: "Enter a valid domain name, like chat.example.com." };
  const host = n.host;
  const labels = host.split(".");
  if (labels.length < 2) return { error: "Enter a full domain name with a dot, like chat.example.com." };
  const tld = labels[labels.length - 1]!;
  if (/^[0-9]+$/.test(tld)) return { error: "Enter a valid domain name, like chat.example.com." };
  if (SPECIAL_USE_TLDS.has(tld)) return { error: `Domains ending in .${tld} cannot be connected.` };
  if (host.length > MAX_CUSTOM_DOMAIN)
    return { error: `A custom domain has at most ${MAX_CUSTOM_DOMAIN} characters.` };
  const base = normalizeHost(baseDomain)?.host ?? baseDomain.trim().toLowerCase();
  if (host === base || host.endsWith(`.${base}`))
    return { error: `Addresses under ${base} belong to the platform; connect a domain you own.` };
  return { domain: host };
}
