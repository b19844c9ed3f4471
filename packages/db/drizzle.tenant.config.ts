import { defineConfig } from "drizzle-kit";

// The tenant tables are generated against the template schema; the runner substitutes each
// tenant's schema name for "tenant_template" when it applies a file.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/tenant/template.ts",
  out: "../../drizzle/tenant",
  schemaFilter: ["tenant_template"],
});
