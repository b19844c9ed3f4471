// A second process for the cross-process realtime tests: opens one user's event stream (through the
// tRPC caller, with the process's own services: Redis or LISTEN/NOTIFY) and prints every item as a
// JSON line on stdout. Closing stdin ends the stream (signal abort) and the process.
import { createInterface } from "node:readline";
import { loadEnv } from "@nchat/config";
import { isTrackedEnvelope } from "@trpc/server";
import { createCaller } from "../root";
import { createServices } from "../server";
import { createContext } from "../trpc";

const cfg = JSON.parse(process.env.REALTIME_CHILD_CONFIG!) as {
  adminUrl: string;
  rolePrefix: string;
  appPassword: string;
  redisUrl: string | null;
  masterKey: string;
  baseDomain: string;
  host: string;
  cookie: string;
  lastEventId: number | null;
};
const services = await createServices(
  loadEnv({
    NODE_ENV: "test",
    DATABASE_URL: cfg.adminUrl,
    DB_ROLE_PREFIX: cfg.rolePrefix,
    DATABASE_APP_PASSWORD: cfg.appPassword,
    DATABASE_POOL_MAX: "3",
    MASTER_ENCRYPTION_KEY: cfg.masterKey,
    NEXT_PUBLIC_BASE_DOMAIN: cfg.baseDomain,
    ENABLE_MULTI_TENANCY: "true",
    // A stream process only: it must not work the jobs other tests queue in the shared database.
    QUEUE_WORKER: "false",
    ...(cfg.redisUrl ? { REDIS_URL: cfg.redisUrl } : {}),
  }),
);
const headers = new Headers({ host: cfg.host, cookie: cfg.cookie, "x-nchat-client-address": "10.9.9.9" });
const ctx = await createContext({ services, headers, app: "web" });
const abort = new AbortController();
const stdin = createInterface({ input: process.stdin });
stdin.on("close", () => abort.abort());

const out = (v: unknown) => process.stdout.write(`${JSON.stringify(v)}\n`);
try {
  const events = await createCaller(ctx, { signal: abort.signal }).realtime.events({
    lastEventId: cfg.lastEventId,
  });
  for await (const item of events) {
    out(isTrackedEnvelope(item) ? { tracked: item[0], event: item[1] } : { tracked: null, event: item });
  }
  out({ ended: true });
} catch (err) {
  out({ error: err instanceof Error ? err.message : String(err) });
} finally {
  await services.close();
}
process.exit(0);
