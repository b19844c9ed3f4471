// `pnpm db:migrate`: control-plane migrations, roles, grants and RLS, then every tenant schema.
import { prepareRuntime } from "./lib/runtime";
import { migrateEverything } from "./lib/services";

const runtime = await prepareRuntime();
try {
  await migrateEverything(console.log);
} finally {
  await runtime.stop();
}
