import { publicApiHandler } from "@nchat/api/openapi";
import { getServices } from "@/server/services";

/**
 * The public REST API (`/api/v1/…`, API keys only), its OpenAPI document (`/api/v1/openapi.json`)
 * and reference page (`/api/v1/docs`); see @nchat/api openapi/handler.ts.
 */
const handler = async (request: Request) => publicApiHandler(await getServices(), request);

export { handler as DELETE, handler as GET, handler as PATCH, handler as POST, handler as PUT };
