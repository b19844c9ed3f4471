import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { hideInternalHeaders, isInternalHeader } from "./internal-headers";
import { serveNext } from "./serve-next";

describe("hideInternalHeaders", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  /** A server that answers each path the way Next.js's router may set its headers. */
  async function start(hide: boolean) {
    const routes: Record<string, (res: ServerResponse) => void> = {
      // What Next.js 16 does after its proxy rewrote a request (router-server: res.setHeader per key).
      "/set": (res) => {
        res.setHeader("x-middleware-rewrite", "/w/login");
        res.setHeader("X-Middleware-Refresh", "1");
        res.setHeader("cache-control", "no-store");
        res.end("page");
      },
      "/streamed": (res) => {
        res.appendHeader("x-middleware-rewrite", "/w/login");
        res.setHeader("content-type", "text/plain");
        res.write("first ");
        res.end("second");
      },
      "/write-head-object": (res) => {
        res.setHeader("x-middleware-rewrite", "/w/suspended");
        res.writeHead(403, { "X-Middleware-Rewrite": "/w/suspended", "x-kept": "yes" });
        res.end();
      },
      "/write-head-reason-flat": (res) => {
        res.writeHead(402, "Payment Required", ["x-middleware-rewrite", "/w/billing", "x-kept", "yes"]);
        res.end();
      },
      "/set-headers": (res) => {
        res.setHeaders(new Headers({ "x-middleware-rewrite": "/w/login", "x-kept": "yes" }));
        res.end();
      },
    };
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (hide) hideInternalHeaders(res);
      routes[req.url ?? ""]!(res);
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    return async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
    };
  }

  it("without it, Next.js's rewrite header reaches the client", async () => {
    const get = await start(false);
    expect((await get("/set")).headers["x-middleware-rewrite"]).toBe("/w/login");
  });

  it("removes x-middleware-* however it was set, and keeps everything else", async () => {
    const get = await start(true);
    const set = await get("/set");
    expect(set).toMatchObject({ status: 200, body: "page", headers: { "cache-control": "no-store" } });
    const streamed = await get("/streamed");
    expect(streamed).toMatchObject({ body: "first second", headers: { "content-type": "text/plain" } });
    const object = await get("/write-head-object");
    expect(object).toMatchObject({ status: 403, headers: { "x-kept": "yes" } });
    const flat = await get("/write-head-reason-flat");
    expect(flat).toMatchObject({ status: 402, headers: { "x-kept": "yes" } });
    const viaSetHeaders = await get("/set-headers");
    expect(viaSetHeaders.headers["x-kept"]).toBe("yes");
    for (const res of [set, streamed, object, flat, viaSetHeaders])
      expect(Object.keys(res.headers).filter(isInternalHeader)).toEqual([]);
  });

  it("names only Next.js's middleware signals as internal", () => {
    expect(isInternalHeader("X-Middleware-Rewrite")).toBe(true);
    expect(isInternalHeader("x-middleware-set-cookie")).toBe(true);
    expect(isInternalHeader("x-nextjs-rewritten-path")).toBe(false);
    expect(isInternalHeader("x-middleware")).toBe(false);
    expect(isInternalHeader("cache-control")).toBe(false);
  });
});

describe("serveNext", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it("answers a page its proxy rewrote without x-middleware-rewrite (Next.js sets it on the response)", async () => {
    // What Next.js 16's router does for a request its proxy rewrote to /w/login.
    const rewritten = async (_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader("x-middleware-rewrite", "/w/login");
      res.setHeader("x-nextjs-rewritten-path", "/w/login");
      res.end("login page");
    };
    server = await serveNext({
      next: () => ({ prepare: async () => {}, getRequestHandler: () => rewritten }),
      dir: ".",
      dev: false,
      defaultPort: 0,
      source: { NODE_ENV: "test", HOST: "127.0.0.1", PORT: "0" },
    });
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/login`);
    expect(await res.text()).toBe("login page");
    expect(res.headers.get("x-middleware-rewrite")).toBeNull();
    // The App Router's client reads this one on RSC requests: it stays.
    expect(res.headers.get("x-nextjs-rewritten-path")).toBe("/w/login");
  });
});
