/**
 * A procedure's operation in the public REST API, as trpc-to-openapi reads it from `meta.openapi`
 * (the subset used here). Declared here rather than imported: that package's type entry point also
 * declares its Next.js, Express, Fastify and Koa adapters, which would bring Next.js's global types
 * into every program that imports the routers.
 */
export type OpenApiOperation = {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Under `/api/v1`; path parameters are input fields: `/channels/{channelId}`. */
  path: `/${string}`;
  summary?: string;
  description?: string;
  tags?: string[];
  operationId?: string;
  deprecated?: boolean;
};

/**
 * `.meta(rest("GET", "/channels", "Channels", "…"))`: the procedure is an operation of the public REST
 * API at `/api/v1<path>`, listed under `tag` in the OpenAPI document. Give such a procedure an
 * `.output()` schema too (openapi/outputs.ts): it is what leaves the platform.
 */
export const rest = (
  method: OpenApiOperation["method"],
  path: OpenApiOperation["path"],
  tag: string,
  summary: string,
): { openapi: OpenApiOperation } => ({ openapi: { method, path, tags: [tag], summary } });
