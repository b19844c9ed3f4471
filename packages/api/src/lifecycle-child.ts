// A server process for the shutdown tests, run the way the apps run: an HTTP server serving the real
// handlers (tRPC with its event streams, liveness, readiness) over the process's own services, with
// `installShutdown` installed as the apps' instrumentation does. `/slow?ms=N` stands for a request
// that takes a while. Prints `{"port": N}` on stdout once listening.
import { createServer, type IncomingMessage } from "node:http";
import { loadEnv } from "@nchat/config";
import { readinessResponse } from "./health";
import { trpcHandler } from "./http";
import { installShutdown } from "./lifecycle";
import { createServices } from "./server";

const cfg = JSON.parse(process.env.LIFECYCLE_CHILD_CONFIG!) as {
  env: Record<string, string>;
  graceMs: number;
  /** Also install a handler like `next start`'s: close the server, then process.exit(143). */
  nextLikeHandler?: boolean;
};
const services = createServices(loadEnv({ NODE_ENV: "test", ...cfg.env }));
await services;

async function toRequest(req: IncomingMessage, signal: AbortSignal): Promise<Request> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === "string") headers.set(k, v);
    else if (Array.isArray(v)) for (const x of v) headers.append(k, x);
  }
  let body: Buffer | undefined;
  if (req.method !== "GET" && req.method !== "HEAD") {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    body = Buffer.concat(chunks);
  }
  return new Request(new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`), {
    method: req.method,
    headers,
    body,
    signal,
  });
}

const server = createServer(async (req, res) => {
  const abort = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) abort.abort();
  });
  const request = await toRequest(req, abort.signal);
  const { pathname, searchParams } = new URL(request.url);
  let response: Response;
  if (pathname === "/api/health") response = Response.json({ status: "ok" });
  else if (pathname === "/api/health/ready") response = await readinessResponse(services);
  else if (pathname.startsWith("/api/trpc/")) response = await trpcHandler(await services, "web", request);
  else if (pathname === "/slow") {
    await new Promise((r) => setTimeout(r, Number(searchParams.get("ms") ?? 1000)));
    response = new Response("done");
  } else response = new Response("not found", { status: 404 });
  res.statusCode = response.status;
  for (const [k, v] of response.headers) if (k !== "set-cookie") res.setHeader(k, v);
  const cookies = response.headers.getSetCookie();
  if (cookies.length) res.setHeader("set-cookie", cookies);
  res.flushHeaders();
  if (response.body) {
    try {
      for await (const chunk of response.body) res.write(chunk);
    } catch {
      // the client left
    }
  }
  res.end();
});

if (cfg.nextLikeHandler) {
  // What `next start` does on SIGTERM (start-server.js): close the server, wait, exit(143).
  process.on("SIGTERM", () => server.close(() => process.exit(143)));
}
installShutdown({
  graceMs: cfg.graceMs,
  log: (msg, err) => console.error(msg, err instanceof Error ? err.message : (err ?? "")),
});

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
