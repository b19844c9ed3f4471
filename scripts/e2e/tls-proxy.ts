import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

/**
 * A TLS terminator in front of a `next start` server, as in production (a load balancer or reverse
 * proxy): production builds issue https:// links (sign-in continue links, invitation links) and
 * Secure cookies, so the browser must reach the apps over https. Host is passed through unchanged
 * (tenants resolve by Host), X-Forwarded-Proto is https, and responses stream (SSE works).
 */
export type TlsProxy = { port: number; close(): Promise<void> };

/** A self-signed certificate for localhost and *.localhost (the browser runs with ignore-certificate-errors). */
export function selfSignedCert(dir: string): { key: Buffer; cert: Buffer } {
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, "localhost-key.pem");
  const certFile = join(dir, "localhost-cert.pem");
  if (!existsSync(keyFile) || !existsSync(certFile)) {
    try {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-sha256",
          "-days",
          "30",
          "-subj",
          "/CN=localhost",
          "-addext",
          "subjectAltName=DNS:localhost,DNS:*.localhost,IP:127.0.0.1",
          "-keyout",
          keyFile,
          "-out",
          certFile,
        ],
        { stdio: "pipe" },
      );
    } catch (err) {
      throw new Error(
        `e2e: could not create a TLS certificate with openssl (apt-get install -y openssl): ${(err as Error).message}`,
      );
    }
  }
  return { key: readFileSync(keyFile), cert: readFileSync(certFile) };
}

export async function startTlsProxy(opts: {
  targetPort: number;
  cert: { key: Buffer; cert: Buffer };
}): Promise<TlsProxy> {
  const sockets = new Set<import("node:stream").Duplex>();
  const server = https.createServer({ key: opts.cert.key, cert: opts.cert.cert }, (req, res) => {
    const headers = {
      ...req.headers,
      "x-forwarded-proto": "https",
      "x-forwarded-for": req.socket.remoteAddress ?? "127.0.0.1",
    };
    const upstream = http.request(
      { host: "localhost", port: opts.targetPort, method: req.method, path: req.url, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.statusMessage, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end("e2e proxy: upstream unavailable");
    });
    // The browser went away (closed tab, aborted SSE): stop the upstream request too.
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // Dual stack where available: Chromium may try ::1 first for *.localhost.
    server.listen({ port: 0, host: "::", ipv6Only: false }, () => resolve());
  }).catch(
    () =>
      new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ port: 0, host: "127.0.0.1" }, () => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
