// `pnpm db:migrate`: control-plane migrations, roles, grants and RLS, then every tenant schema.
import { prepareRuntime } from "./lib/runtime";
import { migrateEverything, servicesFromEnv } from "./lib/services";

const runtime = await prepareRuntime();
const services = await servicesFromEnv();
try {
  await migrateEverything(services, console.log);
} finally {
  await services.close();
  await runtime.stop();
}
