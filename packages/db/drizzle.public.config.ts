import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/public/index.ts",
  out: "../../drizzle/public",
  schemaFilter: ["public"],
});
