// One app server process of the load test: its own services (pools, caches, usage buffer) behind a
// loopback HTTP server, as one instance of the web app behind a load balancer would be. Started by
// `run.ts` with the environment in NCHAT_LOAD_ENV; reports its port over IPC and answers `stats`
// requests (its rate limiter's decisions, its tenant cache's Redis failures, its CPU time).
// On SIGTERM it shuts down as the apps do (`installShutdown`, as their instrumentation installs it):
// draining (event streams end with a reconnect hint), requests in flight finish, the services close
// (buffered usage flushed), exit 0.
import { createServices, installShutdown } from "@nchat/api";
import { loadEnv } from "@nchat/config";
import { ownCpuMs } from "./cpu";
import { serveTrpc } from "./http-server";
import { countLimiterDecisions } from "./limiter-probe";

const env = loadEnv(JSON.parse(process.env.NCHAT_LOAD_ENV ?? "{}"));
const services = await createServices(env);
const limiterStats = countLimiterDecisions(services);
const server = await serveTrpc(services);
installShutdown({
  graceMs: env.SHUTDOWN_GRACE_MS,
  log: (msg, err) =>
    console.warn(`[app ${process.pid}] ${msg}`, err instanceof Error ? err.message : (err ?? "")),
});
process.send?.({ port: server.port, pid: process.pid });
process.on("message", (m: { type?: string }) => {
  if (m.type === "stats")
    process.send?.({
      type: "stats",
      limiter: limiterStats(),
      resolverRedisFailures: services.resolver.stats.redisFailures,
      cpuMs: ownCpuMs(),
    });
});
// The load test went away: shut down the same way.
process.on("disconnect", () => process.kill(process.pid, "SIGTERM"));
