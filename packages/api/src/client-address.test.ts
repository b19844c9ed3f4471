import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CLIENT_ADDRESS_HEADER, clientAddress, parseTrustProxy } from "./client-address";
import { serveNext } from "./serve-next";
import { requestMeta } from "./trpc";

describe("clientAddress", () => {
  const none = parseTrustProxy(undefined);

  it("is the socket's address without TRUST_PROXY, whatever X-Forwarded-For claims", () => {
    expect(clientAddress("203.0.113.7", "1.2.3.4", none)).toBe("203.0.113.7");
    expect(clientAddress("::ffff:203.0.113.7", "1.2.3.4, 5.6.7.8", none)).toBe("203.0.113.7");
    expect(clientAddress(undefined, "1.2.3.4", none)).toBeNull();
  });

  it("with a hop count, reads that many proxies back from the right", () => {
    const one = parseTrustProxy("1");
    expect(clientAddress("10.0.0.2", "1.2.3.4, 198.51.100.9", one)).toBe("198.51.100.9");
    expect(clientAddress("10.0.0.2", undefined, one)).toBe("10.0.0.2");
    const two = parseTrustProxy("2");
    expect(clientAddress("10.0.0.2", "6.6.6.6, 198.51.100.9, 10.0.0.1", two)).toBe("198.51.100.9");
    // A forged entry that is not an address ends the walk.
    expect(clientAddress("10.0.0.2", "198.51.100.9, nonsense", two)).toBe("10.0.0.2");
  });

  it("with a list of proxies, skips only those from the right", () => {
    const ours = parseTrustProxy("10.0.0.0/8, 192.0.2.1");
    expect(clientAddress("10.0.0.2", "6.6.6.6, 198.51.100.9, 192.0.2.1", ours)).toBe("198.51.100.9");
    // A peer that is not ours is the client, whatever it forwards.
    expect(clientAddress("203.0.113.7", "1.2.3.4", ours)).toBe("203.0.113.7");
    // Only proxies all the way: the leftmost address.
    expect(clientAddress("10.0.0.2", "10.1.1.1", ours)).toBe("10.1.1.1");
  });

  it("refuses settings it cannot read", () => {
    expect(() => parseTrustProxy("0")).toThrow(/hop count/);
    expect(() => parseTrustProxy("proxy.internal")).toThrow(/not an address/);
    expect(() => parseTrustProxy("10.0.0.0/40")).toThrow(/prefix/);
  });

  it("requestMeta reads only the server's header, never X-Forwarded-For or X-Real-IP", () => {
    expect(requestMeta(new Headers({ "x-forwarded-for": "1.2.3.4", "x-real-ip": "1.2.3.4" })).ip).toBeNull();
    expect(requestMeta(new Headers({ [CLIENT_ADDRESS_HEADER]: "198.51.100.9" })).ip).toBe("198.51.100.9");
  });
});

describe("serveNext", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  /** A server whose "Next.js" answers with the address header it was handed. */
  async function start(trustProxy?: string) {
    const echo = async (req: IncomingMessage, res: ServerResponse) => {
      res.end(String(req.headers[CLIENT_ADDRESS_HEADER] ?? "none"));
    };
    server = await serveNext({
      next: () => ({ prepare: async () => {}, getRequestHandler: () => echo }),
      dir: ".",
      dev: false,
      defaultPort: 0,
      source: { NODE_ENV: "test", HOST: "127.0.0.1", PORT: "0", TRUST_PROXY: trustProxy },
    });
    const { port } = server.address() as AddressInfo;
    return (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${port}/`, { headers }).then((r) => r.text());
  }

  it("hands the app the socket's address, not what the client wrote", async () => {
    const get = await start();
    expect(await get({})).toBe("127.0.0.1");
    expect(await get({ "x-forwarded-for": "6.6.6.6" })).toBe("127.0.0.1");
    expect(await get({ [CLIENT_ADDRESS_HEADER]: "6.6.6.6" })).toBe("127.0.0.1");
  });

  it("behind a trusted proxy, the address that proxy forwarded", async () => {
    const get = await start("127.0.0.1");
    expect(await get({ "x-forwarded-for": "6.6.6.6, 198.51.100.9" })).toBe("198.51.100.9");
    expect(await get({ [CLIENT_ADDRESS_HEADER]: "6.6.6.6" })).toBe("127.0.0.1");
  });
});
