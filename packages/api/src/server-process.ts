import { type Env, loadEnv } from "@nchat/config";
import { installShutdown } from "./lifecycle";

/**
 * Once per app server process (the apps' `instrumentation.ts`): refuse to start on an unsafe
 * production configuration (say why, exit 1), then handle SIGTERM/SIGINT gracefully (drain, let
 * requests finish, flush usage, close pools and Redis, exit 0).
 */
export function startServerProcess(source: Record<string, string | undefined> = process.env): void {
  let env: Env;
  try {
    env = loadEnv(source); // in production (not while building), also what production requires
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  installShutdown({ graceMs: env.SHUTDOWN_GRACE_MS, delayMs: env.SHUTDOWN_DELAY_MS });
}
