// One app server process of the load test: its own services (pools, caches, usage buffer) behind a
// loopback HTTP server, as one instance of the web app behind a load balancer would be. Started by
// `run.ts` with the environment in NCHAT_LOAD_ENV; reports its port over IPC and answers `stats`
// requests (its rate limiter's decisions, its CPU time); stops on SIGTERM (flushing buffered usage first).
import { createServices } from "@nchat/api";
import { loadEnv } from "@nchat/config";
import { ownCpuMs } from "./cpu";
import { serveTrpc } from "./http-server";
import { countLimiterDecisions } from "./limiter-probe";

const services = await createServices(loadEnv(JSON.parse(process.env.NCHAT_LOAD_ENV ?? "{}")));
const limiterStats = countLimiterDecisions(services);
const server = await serveTrpc(services);
process.send?.({ port: server.port });
process.on("message", (m: { type?: string }) => {
  if (m.type === "stats") process.send?.({ type: "stats", limiter: limiterStats(), cpuMs: ownCpuMs() });
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.close();
  await services.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("disconnect", stop);
