/**
 * The floor plan of packages/ — checked by `pnpm lint` (dependency-cruiser):
 * - no import cycles (type-only imports included: a cycle of types is still a knot to untie);
 * - the composition root (packages/api/src/server.ts) is imported only by what sits above the
 *   services: the HTTP edge (trpc, rest, openapi, http, health), the process entry points and tests;
 * - packages never import the apps.
 */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Import cycles make modules impossible to read (or load) one at a time.",
      from: {},
      to: { circular: true },
    },
    {
      name: "services-do-not-import-the-composition-root",
      severity: "error",
      comment:
        "Services, features and infrastructure take what they need as constructor dependencies; only the edge and entry points see the whole Services object.",
      from: {
        path: "^packages/api/src/",
        pathNot: [
          "^packages/api/src/(server|index|trpc|http|health|testing|lifecycle-child)\\.ts$",
          "^packages/api/src/(rest|openapi)/",
          "^packages/api/src/platform/admin/",
          "^packages/api/src/realtime/stream-child\\.ts$",
          "\\.test\\.ts$",
          "(test-kit|testkit|testing)\\.ts$",
        ],
      },
      to: { path: "^packages/api/src/server\\.ts$" },
    },
    {
      name: "packages-do-not-import-apps",
      severity: "error",
      from: { path: "^packages/" },
      to: { path: "^apps/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|\\.next|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
