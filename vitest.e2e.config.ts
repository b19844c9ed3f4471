import { defineConfig } from "vitest/config";

/**
 * Browser tests (`pnpm test:e2e`): the global setup builds and starts both apps on a scratch
 * database; specs drive Debian's Chromium with playwright-core. One file at a time (2 cores).
 */
export default defineConfig({
  test: {
    include: ["apps/web/e2e/**/*.e2e.ts", "apps/admin/e2e/**/*.e2e.ts"],
    globalSetup: ["./scripts/e2e/run.ts"],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    fileParallelism: false,
    pool: "forks",
    retry: 0,
  },
});
