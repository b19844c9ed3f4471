// `pnpm admin:create --email you@example.com --name "Your Name"`: creates a super admin for the
// admin app. The password is read from ADMIN_PASSWORD, or generated and printed once.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { createSuperAdminInput, SYSTEM } from "@nchat/api";
import { parseInput } from "@nchat/api/errors";
import { prepareRuntime } from "./lib/runtime";
import { migrateEverything, servicesFromEnv } from "./lib/services";

const { values } = parseArgs({ options: { email: { type: "string" }, name: { type: "string" } } });
if (!values.email || !values.name) {
  console.error('usage: pnpm admin:create --email you@example.com --name "Your Name"');
  process.exit(2);
}
const password = process.env.ADMIN_PASSWORD || randomBytes(12).toString("base64url");

const runtime = await prepareRuntime();
await migrateEverything();
const services = await servicesFromEnv();
try {
  const admin = await services.superAdmins.create(
    parseInput(createSuperAdminInput, { email: values.email, name: values.name, password }),
    SYSTEM,
  );
  console.log(
    `super admin ${admin.email} created${process.env.ADMIN_PASSWORD ? "" : `; password: ${password}`}`,
  );
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await services.close();
  await runtime.stop();
}
