import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/**
 * A TCP proxy for fault drills: clients connect to `url` instead of the target. `cut()` simulates the
 * target going away — every open connection is destroyed, and new ones are refused (the port stops
 * listening: ECONNREFUSED, as with a stopped Redis) or, with `"blackhole"`, accepted and left
 * silent (a network partition: clients only notice through their timeouts). `restore()` lets
 * connections through again (blackholed ones are destroyed then, so clients reconnect).
 */
export type TcpProxy = {
  /** The proxy's address with the target URL's scheme, credentials and path. */
  url: string;
  port: number;
  /** Whether connections go through. */
  readonly up: boolean;
  /** Connections accepted since the start (through or blackholed). */
  readonly accepted: number;
  cut(mode?: "refuse" | "blackhole"): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
};

export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port || defaultPort(target.protocol));
  const targetHost = target.hostname;
  const open = new Set<Socket>();
  let mode: "up" | "refuse" | "blackhole" = "up";
  let accepted = 0;
  let port = 0;

  const onConnection = (client: Socket) => {
    accepted++;
    open.add(client);
    client.on("close", () => open.delete(client));
    client.on("error", () => client.destroy());
    if (mode !== "up") return; // blackholed: held open, nothing forwarded, destroyed on restore
    const upstream = tcpConnect(targetPort, targetHost);
    open.add(upstream);
    upstream.on("close", () => {
      open.delete(upstream);
      client.destroy();
    });
    upstream.on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  };

  let server: Server = createServer(onConnection);
  const listen = (s: Server, p: number) =>
    new Promise<number>((resolve, reject) => {
      s.once("error", reject);
      s.listen(p, "127.0.0.1", () => {
        s.off("error", reject);
        resolve((s.address() as { port: number }).port);
      });
    });
  const stopListening = (s: Server) => new Promise<void>((r) => s.close(() => r()));
  const destroyAll = () => {
    for (const s of open) s.destroy();
    open.clear();
  };

  port = await listen(server, 0);
  const url = new URL(targetUrl);
  url.hostname = "127.0.0.1";
  url.port = String(port);

  return {
    url: url.toString().replace(/\/$/, ""),
    port,
    get up() {
      return mode === "up";
    },
    get accepted() {
      return accepted;
    },
    async cut(how = "refuse") {
      if (mode !== "up") return;
      mode = how;
      if (how === "refuse") {
        const closing = stopListening(server);
        destroyAll();
        await closing;
      } else destroyAll();
    },
    async restore() {
      if (mode === "up") return;
      const was = mode;
      mode = "up";
      if (was === "refuse") {
        server = createServer(onConnection);
        await listen(server, port);
      } else destroyAll();
    },
    async close() {
      mode = "refuse";
      const closing = server.listening ? stopListening(server) : Promise.resolve();
      destroyAll();
      await closing;
    },
  };
}

const defaultPort = (protocol: string) => (protocol === "redis:" || protocol === "rediss:" ? 6379 : 80);
