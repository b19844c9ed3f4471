import { isIP } from "node:net";
import { domainToASCII } from "node:url";
import { RESERVED_SLUGS, slugProblem } from "@nchat/db";

/** What a Host header names. */
export type HostTarget =
  /** The base domain itself (or www.): marketing and sign-up, no tenant. */
  | { kind: "base" }
  /** <slug>.<base>: a tenant by slug (not yet known to exist). */
  | { kind: "subdomain"; slug: string }
  /** A reserved subdomain (admin., api., …): never a tenant. */
  | { kind: "reserved"; label: string }
  /** Any other hostname: possibly a verified custom domain. */
  | { kind: "custom"; domain: string }
  /** An IP address: no tenant by host. */
  | { kind: "ip" }
  | { kind: "invalid"; reason: string };

const MAX_HOST = 253;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Normalises a Host header value: lowercase, port and trailing dot removed, IDN to punycode.
 * Returns null for anything that is not a syntactically valid hostname or IP.
 */
export function normalizeHost(raw: string | null | undefined): { host: string; ip: boolean } | null {
  if (!raw) return null;
  const value = raw.trim();
  if (value.length === 0 || value.length > MAX_HOST + 7 || /[\s/\\@?#,]/.test(value)) return null;
  // [v6]:port
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/i.exec(value);
  if (bracketed) return isIP(bracketed[1]!) === 6 ? { host: bracketed[1]!.toLowerCase(), ip: true } : null;
  if (isIP(value) === 6) return { host: value.toLowerCase(), ip: true };
  const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m) return null;
  if (m[2] !== undefined && Number(m[2]) > 65535) return null;
  let host = m[1]!.toLowerCase();
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (isIP(host) === 4) return { host, ip: true };
  const ascii = domainToASCII(host);
  if (!ascii || ascii.length > MAX_HOST) return null;
  if (!ascii.split(".").every((label) => LABEL.test(label))) return null;
  return { host: ascii, ip: false };
}

/** Maps a Host header to what it names, relative to the base domain (e.g. "nchat.app", "localhost"). */
export function parseHost(raw: string | null | undefined, baseDomain: string): HostTarget {
  const n = normalizeHost(raw);
  if (!n) return { kind: "invalid", reason: "malformed host" };
  if (n.ip) return { kind: "ip" };
  const base = normalizeHost(baseDomain)?.host;
  if (!base) throw new Error(`invalid base domain: ${baseDomain}`);
  const host = n.host;
  if (host === base || host === `www.${base}`) return { kind: "base" };
  if (host.endsWith(`.${base}`)) {
    const label = host.slice(0, -(base.length + 1));
    if (label.includes(".")) return { kind: "invalid", reason: "nested subdomain" };
    if (RESERVED_SLUGS.has(label)) return { kind: "reserved", label };
    if (slugProblem(label)) return { kind: "invalid", reason: "not a workspace address" };
    return { kind: "subdomain", slug: label };
  }
  return { kind: "custom", domain: host };
}
