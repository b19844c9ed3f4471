import { defineConfig } from "vitest/config";

export default defineConfig({
  // The apps' tsconfig keeps JSX for Next.js ("preserve"); tests compile it themselves.
  oxc: { jsx: { runtime: "automatic" } },
  test: {
    include: ["packages/**/src/**/*.test.ts", "apps/**/src/**/*.test.ts", "scripts/**/*.test.ts"],
    globalSetup: ["./vitest.global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
