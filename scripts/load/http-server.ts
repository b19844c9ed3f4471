import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Services, trpcHandler } from "@nchat/api";

/**
 * The tRPC endpoint on a real loopback HTTP server (what a Next.js route handler runs). Responses
 * are streamed, so subscriptions (SSE) work; a client that goes away aborts its request.
 */
export async function serveTrpc(
  services: Services,
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      headers.set("x-nchat-client-address", req.socket.remoteAddress ?? "127.0.0.1");
      const request = new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method,
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
        signal: abort.signal,
      });
      const response = await trpcHandler(services, "web", request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.headers.get("content-type")?.startsWith("text/event-stream") && response.body) {
        res.flushHeaders();
        await pipeBody(response.body, res);
      } else res.end(Buffer.from(await response.arrayBuffer()));
    } catch (err) {
      if (!res.headersSent) res.writeHead(500).end(String(err));
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** Writes a streamed body as it comes (with backpressure); stops reading when the client is gone. */
async function pipeBody(body: ReadableStream<Uint8Array>, res: ServerResponse) {
  const reader = body.getReader();
  const gone = new Promise<void>((r) => res.once("close", r));
  void gone.then(() => reader.cancel().catch(() => {}));
  for (;;) {
    const { done, value } = await reader.read();
    if (done || res.destroyed) break;
    if (!res.write(value)) await Promise.race([new Promise((r) => res.once("drain", r)), gone]);
  }
  if (!res.destroyed) res.end();
}
