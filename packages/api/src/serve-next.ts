import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { loadEnv } from "@nchat/config";
import { CLIENT_ADDRESS_HEADER, clientAddress, parseTrustProxy } from "./client-address";
import { hideInternalHeaders } from "./internal-headers";

/** What `serveNext` needs of Next.js (`import next from "next"`), so this package does not depend on it. */
type NextFactory = (opts: { dev: boolean; dir: string; hostname: string; port: number }) => {
  prepare(): Promise<void>;
  getRequestHandler(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
};

/**
 * Serves a Next.js app (`pnpm dev` and `pnpm start` of web and admin). In front of Next.js's own
 * handler it sets the one thing only the server knows: the client's address, from the socket —
 * through TRUST_PROXY's proxies only — into CLIENT_ADDRESS_HEADER, replacing anything a client sent
 * (X-Forwarded-For is the client's to write: Next.js keeps it when present). On the way out it
 * drops Next.js's internal `x-middleware-*` headers (internal-headers.ts).
 */
export async function serveNext(opts: {
  next: NextFactory;
  dir: string;
  dev: boolean;
  defaultPort: number;
  source?: Record<string, string | undefined>;
}): Promise<Server> {
  const source = opts.source ?? process.env;
  const env = loadEnv(source);
  const trust = parseTrustProxy(env.TRUST_PROXY);
  const port = Number(source.PORT || opts.defaultPort);
  const hostname = source.HOST || "0.0.0.0";
  const app = opts.next({ dev: opts.dev, dir: opts.dir, hostname, port });
  await app.prepare();
  const handle = app.getRequestHandler();
  const server = createServer((req, res) => {
    // Next.js copies its proxy's rewrite target onto the response (x-middleware-rewrite): not for browsers.
    hideInternalHeaders(res);
    const address = clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], trust);
    if (address) req.headers[CLIENT_ADDRESS_HEADER] = address;
    else delete req.headers[CLIENT_ADDRESS_HEADER];
    handle(req, res).catch((err) => {
      console.error("request failed", err);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, hostname, resolve));
  const { port: bound } = server.address() as AddressInfo;
  console.log(
    `ready on http://${hostname === "0.0.0.0" ? "localhost" : hostname}:${bound}${opts.dev ? " (development)" : ""}`,
  );
  return server;
}
