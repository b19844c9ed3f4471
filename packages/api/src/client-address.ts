import { BlockList, isIP } from "node:net";

/**
 * The header that carries the client's address from the app server (`serveNext`) to the handlers.
 * The server sets it on every request from the socket (and TRUST_PROXY), replacing whatever the
 * client sent; nothing else is trusted for the address.
 */
export const CLIENT_ADDRESS_HEADER = "x-nchat-client-address";

/**
 * Which peers may tell the client's address in X-Forwarded-For (TRUST_PROXY):
 * - `none` (default): nobody — the address is the socket's;
 * - a hop count `n`: that many proxies of ours are in front, each appending its peer's address to
 *   X-Forwarded-For (the client's address is the n-th entry from the right);
 * - a list of addresses / CIDR ranges: the proxies that are ours, skipped from the right.
 */
export type TrustProxy =
  | { kind: "none" }
  | { kind: "hops"; hops: number }
  | { kind: "list"; list: BlockList };

export function parseTrustProxy(value: string | undefined): TrustProxy {
  const v = (value ?? "").trim();
  if (!v || v === "none" || v === "false") return { kind: "none" };
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops < 1 || hops > 10) throw new Error(`TRUST_PROXY: a hop count is 1 to 10, not ${v}`);
    return { kind: "hops", hops };
  }
  const list = new BlockList();
  for (const raw of v.split(",")) {
    const entry = raw.trim();
    const [address, bits] = entry.split("/") as [string, string | undefined];
    const family = isIP(address);
    if (!family) throw new Error(`TRUST_PROXY: not an address or CIDR range: ${JSON.stringify(entry)}`);
    const type = family === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(address, type);
    else {
      const prefix = Number(bits);
      if (!/^\d+$/.test(bits) || prefix > (family === 6 ? 128 : 32))
        throw new Error(`TRUST_PROXY: bad prefix length in ${JSON.stringify(entry)}`);
      list.addSubnet(address, prefix, type);
    }
  }
  return { kind: "list", list };
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) as `10.0.0.1`. */
function plain(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function trusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 6 ? "ipv6" : "ipv4");
}

/**
 * The client's address: the socket's, unless TRUST_PROXY says the peer is one of our proxies, in
 * which case X-Forwarded-For is read from the right as far as our proxies go. Entries that are not
 * addresses end the walk (the last good one is the answer).
 */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trust: TrustProxy,
): string | null {
  const socket = socketAddress ? plain(socketAddress) : null;
  if (trust.kind === "none" || !socket) return socket;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(",") : (forwardedFor ?? "");
  // Nearest first: the socket, then the X-Forwarded-For entries from the right.
  const chain = [
    socket,
    ...header
      .split(",")
      .map((s) => plain(s.trim()))
      .filter(Boolean)
      .reverse(),
  ];
  if (trust.kind === "hops") {
    for (let i = 1; i <= trust.hops && i < chain.length; i++) if (!isIP(chain[i]!)) return chain[i - 1]!;
    return chain[Math.min(trust.hops, chain.length - 1)]!;
  }
  let i = 0;
  while (i + 1 < chain.length && trusted(trust.list, chain[i]!) && isIP(chain[i + 1]!)) i++;
  return chain[i]!;
}
