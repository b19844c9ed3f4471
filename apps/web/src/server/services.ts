import "server-only";
import { AppError, createServices, type Services } from "@nchat/api";
import { loadEnv } from "@nchat/config";

/**
 * The server's services, one set per module graph. Next.js compiles proxy.ts, the route handlers and
 * the pages into separate module graphs, each with its own copy of @nchat/api and @trpc/server. One
 * instance shared through globalThis (as `sharedServices()` does) lets a service built from one copy
 * serve another: `instanceof AppError` then fails (a refused sign-in becomes a 500) and tRPC no longer
 * recognises `tracked()` events (SSE ids, and with them Last-Event-ID resumption, disappear).
 *
 * The registry is keyed by this graph's AppError class, so development reloads of this file reuse
 * the instance while a reload of @nchat/api (new classes) gets a new one.
 */
const scope = globalThis as { nchatServicesByGraph?: Map<unknown, Promise<Services>> };
scope.nchatServicesByGraph ??= new Map();
const registry = scope.nchatServicesByGraph;

export function getServices(): Promise<Services> {
  let services = registry.get(AppError);
  if (!services) {
    services = createServices(loadEnv(process.env));
    registry.set(AppError, services);
  }
  return services;
}
