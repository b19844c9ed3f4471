import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type EmbeddedServer, startEmbeddedPostgres } from "@nchat/db/embedded";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A PostgreSQL server of the drill's own (embedded, in a temporary directory) that can really be
 * stopped and started again on the same port and data directory — what a restart or an outage of
 * the database server looks like to the app: connections end (a fast shutdown terminates sessions
 * and aborts their transactions), new ones are refused until it is back.
 */
export type StoppablePostgres = {
  /** Superuser URL of its `postgres` database. */
  url: string;
  readonly running: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  close(): Promise<void>;
};

export async function startStoppablePostgres(): Promise<StoppablePostgres> {
  const dataDir = await mkdtemp(join(tmpdir(), "nchat-drill-pg-"));
  let server: EmbeddedServer | null = await startEmbeddedPostgres({ dataDir, persistent: true });
  const port = server.port;
  return {
    url: server.url,
    get running() {
      return server !== null;
    },
    async stop() {
      const s = server;
      server = null;
      await s?.stop();
    },
    async start() {
      if (server) return;
      server = await startEmbeddedPostgres({ dataDir, port, persistent: true });
    },
    async close() {
      await server?.stop();
      server = null;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One master of a Redis Cluster that a drill kills (SHUTDOWN NOSAVE: the process exits, its port
 * refuses connections) and starts again with the same configuration (it keeps its nodes.conf, so it
 * rejoins with its slots). Needs `redis-cli` and `redis-server`. Picks a master other than the seed.
 */
export type RedisClusterNode = {
  host: string;
  port: number;
  /** Slots the node serves, e.g. "5461-10922". */
  slots: string;
  kill(): Promise<void>;
  /** Starts it again and waits until the cluster state is ok; resolves to the seconds that took. */
  restart(): Promise<number>;
};

const cli = async (host: string, port: number, ...args: string[]) =>
  (await run("redis-cli", ["-h", host, "-p", String(port), ...args])).stdout;

/**
 * A master of the cluster at `seedUrl`, to shut down and start again: the one serving `holding`'s
 * slot when given (a key the run uses), else one other than the seed.
 */
export async function redisClusterNode(
  seedUrl: string,
  opts: { holding?: string } = {},
): Promise<RedisClusterNode> {
  const seed = new URL(seedUrl.split(",")[0]!);
  const seedHost = seed.hostname;
  const seedPort = Number(seed.port || 6379);
  const masters = (await cli(seedHost, seedPort, "cluster", "nodes"))
    .split("\n")
    .map((l) => l.split(" "))
    .filter((f) => f[2]?.includes("master") && !f[2].includes("fail"))
    .map((f) => {
      const [host, rest] = f[1]!.split(":");
      return { host: host!, port: Number(rest!.split("@")[0]), slots: f.slice(8).join(" ") };
    });
  const slot = opts.holding
    ? Number((await cli(seedHost, seedPort, "cluster", "keyslot", opts.holding)).trim())
    : null;
  const serves = (ranges: string, n: number) =>
    ranges.split(" ").some((r) => {
      const [from, to = from] = r.split("-").map(Number);
      return from !== undefined && n >= from && n <= to!;
    });
  const node =
    slot !== null
      ? masters.find((m) => serves(m.slots, slot))
      : (masters.find((m) => m.port !== seedPort && m.slots) ?? masters.find((m) => m.slots));
  if (!node) throw new Error(`no master with slots in the cluster at ${seedHost}:${seedPort}`);
  const { host, port } = node;
  const config = async (name: string) => (await cli(host, port, "config", "get", name)).split("\n")[1] ?? "";
  // What it needs to come back as the same node.
  const args = [
    "--port",
    String(port),
    "--bind",
    (await config("bind")) || host,
    "--dir",
    await config("dir"),
    "--cluster-enabled",
    "yes",
    "--cluster-config-file",
    await config("cluster-config-file"),
    "--cluster-node-timeout",
    await config("cluster-node-timeout"),
    "--save",
    "",
    "--appendonly",
    "no",
    "--daemonize",
    "yes",
  ];
  for (const name of ["pidfile", "logfile"]) {
    const v = await config(name);
    if (v) args.push(`--${name}`, v);
  }
  const ping = () =>
    cli(host, port, "ping").then(
      (out) => out.trim() === "PONG",
      () => false,
    );
  return {
    host,
    port,
    slots: node.slots,
    async kill() {
      await cli(host, port, "shutdown", "nosave").catch(() => {}); // the connection ends with it
      for (let i = 0; i < 100 && (await ping()); i++) await sleep(50);
    },
    async restart() {
      const begun = performance.now();
      await run("redis-server", args);
      for (let i = 0; i < 100 && !(await ping()); i++) await sleep(50);
      // Back in the cluster once every master says the state is ok again.
      for (let i = 0; i < 200; i++) {
        const info = await cli(host, port, "cluster", "info").catch(() => "");
        if (info.includes("cluster_state:ok")) {
          const seedInfo = await cli(seedHost, seedPort, "cluster", "info").catch(() => "");
          if (seedInfo.includes("cluster_state:ok")) return (performance.now() - begun) / 1000;
        }
        await sleep(100);
      }
      throw new Error(`redis cluster node ${host}:${port} did not rejoin`);
    },
  };
}
