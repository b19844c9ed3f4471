import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { AppError } from "../errors";

/**
 * Where an outgoing webhook may go. A tenant chooses the URL, the platform makes the request: without
 * these rules a URL (or a DNS answer its owner controls) points the platform at its own network —
 * the cloud's metadata service, the database, an admin port on localhost.
 *
 * Checked at delivery time, against the resolved addresses (every one of them must be allowed), and
 * the connection is made to the checked address: no second lookup that a DNS server could answer
 * differently. Redirects are not followed (the delivery records a 3xx as a failure).
 */

/** One DNS answer, as `dns.lookup({ all: true })` gives it. */
export type ResolvedAddress = { address: string; family: 4 | 6 };
/** Resolves a host name; tests inject the answers. */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

export type TargetPolicy = {
  /** Allow 127.0.0.0/8 and ::1 (tests and development only; refused in production by the env schema). */
  allowLoopback: boolean;
  resolver?: Resolver;
};

/** A URL checked for delivery: connect to `address` (never resolve `host` again). */
export type CheckedTarget = { url: URL; host: string; address: string; family: 4 | 6; port: number };

/** Why a target is refused (stored in the delivery log, shown to the tenant). */
export type RefusalReason =
  | "scheme"
  | "credentials"
  | "port"
  | "unresolved"
  | "private_address"
  | "loopback_address";

/**
 * A refused target: VALIDATION_FAILED on the field `url`, the reason in `details.reason`. (AppError's
 * `instanceof` matches every AppError across bundles, so read the reason with `refusalReason`.)
 */
export function targetRefused(reason: RefusalReason, detail: string): AppError {
  return new AppError("VALIDATION_FAILED", `Webhook URL refused (${reason}): ${detail}`, {
    fields: { url: `refused: ${reason}` },
    reason,
  });
}

/** The reason of a refused target, or null for any other error. */
export function refusalReason(err: unknown): RefusalReason | null {
  if (!(err instanceof AppError)) return null;
  return (err.details?.reason as RefusalReason | undefined) ?? null;
}

/**
 * Port policy: the web's ports (80, 443) and unprivileged ones (1024–65535). Other ports below 1024
 * are services (SSH 22, SMTP 25, …) a webhook has no business with.
 */
export function portAllowed(port: number): boolean {
  return port === 80 || port === 443 || (port >= 1024 && port <= 65535);
}

/** The rules that need no DNS: scheme, no credentials, port. Also run when an endpoint is saved. */
export function checkUrlShape(raw: string): { url: URL; host: string; port: number } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw targetRefused("scheme", "not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw targetRefused("scheme", "only http and https");
  if (url.username || url.password) throw targetRefused("credentials", "no credentials in the URL");
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  if (!portAllowed(port)) throw targetRefused("port", `port ${port} is not allowed`);
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return { url, host, port };
}

/** Resolves and checks a URL; throws a refusal (`targetRefused`) unless every address it resolves to is allowed. */
export async function checkTarget(raw: string, policy: TargetPolicy): Promise<CheckedTarget> {
  const { url, host, port } = checkUrlShape(raw);
  let answers: ResolvedAddress[];
  const literal = isIP(host);
  if (literal) answers = [{ address: host, family: literal === 6 ? 6 : 4 }];
  else {
    try {
      answers = await (policy.resolver ?? systemResolver)(host);
    } catch {
      throw targetRefused("unresolved", `${host} does not resolve`);
    }
    if (answers.length === 0) throw targetRefused("unresolved", `${host} does not resolve`);
  }
  for (const a of answers) {
    const verdict = classifyAddress(a.address);
    if (verdict === "public") continue;
    if (verdict === "loopback" && policy.allowLoopback) continue;
    throw targetRefused(
      verdict === "loopback" ? "loopback_address" : "private_address",
      `${host} resolves to a ${verdict} address`,
    );
  }
  const first = answers[0]!;
  return { url, host, address: first.address, family: first.family, port };
}

export type AddressClass = "public" | "loopback" | "private" | "invalid";

type Range4 = [number, number]; // network, prefix length
const V4_BLOCKED: Range4[] = [
  [ip4("0.0.0.0"), 8], // "this network"
  [ip4("10.0.0.0"), 8], // private
  [ip4("100.64.0.0"), 10], // carrier-grade NAT (also Alibaba's metadata 100.100.100.200)
  [ip4("169.254.0.0"), 16], // link-local (cloud metadata 169.254.169.254)
  [ip4("172.16.0.0"), 12], // private
  [ip4("192.0.0.0"), 24], // IETF protocol assignments
  [ip4("192.0.2.0"), 24], // documentation
  [ip4("192.88.99.0"), 24], // 6to4 relay anycast
  [ip4("192.168.0.0"), 16], // private
  [ip4("198.18.0.0"), 15], // benchmarking
  [ip4("198.51.100.0"), 24], // documentation
  [ip4("203.0.113.0"), 24], // documentation
  [ip4("224.0.0.0"), 4], // multicast
  [ip4("240.0.0.0"), 4], // reserved, broadcast
];
const V4_LOOPBACK: Range4 = [ip4("127.0.0.0"), 8];

function ip4(s: string): number {
  const p = s.split(".").map(Number);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

function inRange4(addr: number, [net, bits]: Range4): boolean {
  if (bits === 0) return true;
  const mask = (~0 << (32 - bits)) >>> 0;
  return (addr & mask) >>> 0 === (net & mask) >>> 0;
}

function classify4(addr: number): AddressClass {
  if (inRange4(addr, V4_LOOPBACK)) return "loopback";
  return V4_BLOCKED.some((r) => inRange4(addr, r)) ? "private" : "public";
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped), or null. */
function hextets(s: string): number[] | null {
  let a = s.split("%")[0]!.toLowerCase();
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (quad) {
    if (isIP(quad[1]!) !== 4) return null;
    const v = ip4(quad[1]!);
    a = `${a.slice(0, -quad[1]!.length)}${(v >>> 16).toString(16)}:${(v & 0xffff).toString(16)}`;
  }
  const halves = a.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0 || (halves.length === 1 && head.length !== 8)) return null;
  const groups = [...head, ...Array<string>(fill).fill("0"), ...tail];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => Number.parseInt(g, 16));
}

/**
 * What an address is. IPv6 forms that carry an IPv4 address (mapped `::ffff:a.b.c.d`, compatible
 * `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by it; every non-global IPv6 range
 * (unspecified, loopback, ULA fc00::/7 — AWS's metadata fd00:ec2::254 —, link-local, site-local,
 * multicast, documentation, Teredo and the IETF's 2001::/23, discard 100::/64) is private.
 */
export function classifyAddress(address: string): AddressClass {
  const v = isIP(address.split("%")[0]!);
  if (v === 4) return classify4(ip4(address));
  if (v !== 6) return "invalid";
  const h = hextets(address);
  if (!h) return "invalid";
  const embedded = () => ((h[6]! << 16) | h[7]!) >>> 0;
  const zeros = (n: number) => h.slice(0, n).every((x) => x === 0);
  if (zeros(8)) return "private"; // ::
  if (zeros(7) && h[7] === 1) return "loopback"; // ::1
  if (zeros(5) && h[5] === 0xffff) return classify4(embedded()); // IPv4-mapped
  if (zeros(6)) {
    // IPv4-compatible (deprecated): never a public destination of its own
    const c = classify4(embedded());
    return c === "loopback" ? "loopback" : "private";
  }
  if (h[0] === 0x64 && h[1] === 0xff9b) {
    // NAT64: the well-known prefix reaches the embedded IPv4 address; the local one (64:ff9b:1::/48) is private
    if (h[2] !== 0) return "private";
    return classify4(embedded()) === "public" ? "public" : "private";
  }
  if (h[0] === 0x2002) {
    const v4 = ((h[1]! << 16) | h[2]!) >>> 0;
    return classify4(v4) === "public" ? "public" : "private";
  }
  if ((h[0]! & 0xfe00) === 0xfc00) return "private"; // unique local fc00::/7
  if ((h[0]! & 0xffc0) === 0xfe80) return "private"; // link-local fe80::/10
  if ((h[0]! & 0xffc0) === 0xfec0) return "private"; // site-local fec0::/10 (deprecated)
  if ((h[0]! & 0xff00) === 0xff00) return "private"; // multicast
  if (h[0] === 0x2001 && h[1] === 0x0db8) return "private"; // documentation
  if (h[0] === 0x2001 && h[1]! < 0x0200) return "private"; // 2001::/23 (Teredo 2001::/32 and others)
  if (h[0] === 0x0100 && h[1] === 0 && h[2] === 0 && h[3] === 0) return "private"; // discard 100::/64
  if ((h[0]! & 0xe000) !== 0x2000) return "private"; // outside 2000::/3: not global unicast
  return "public";
}
