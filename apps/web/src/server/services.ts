import "server-only";
import { createServices, type Services } from "@nchat/api";
import { env } from "@nchat/config";

const globalForServices = globalThis as unknown as { nchatServices?: Promise<Services> };

/** The server-side services of this process, created once (and kept across dev reloads). */
export function getServices(): Promise<Services> {
  globalForServices.nchatServices ??= createServices(env());
  return globalForServices.nchatServices;
}
