// `pnpm seed`: the demo tenant and the demo super admin (idempotent).
import { prepareRuntime } from "./lib/runtime";
import { DEMO, seedDemo } from "./lib/seed";
import { migrateEverything, servicesFromEnv } from "./lib/services";

const runtime = await prepareRuntime();
await migrateEverything();
const services = await servicesFromEnv();
try {
  await seedDemo(services);
  console.log(
    `seeded: tenant "${DEMO.tenant.slug}" (owner ${DEMO.owner.email}), super admin ${DEMO.superAdmin.email}`,
  );
} finally {
  await services.close();
  await runtime.stop();
}
