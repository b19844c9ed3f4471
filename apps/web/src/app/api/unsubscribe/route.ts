import { unsubscribeRoute } from "@nchat/api";
import { getServices } from "@/server/services";

/** GET /api/unsubscribe?t=… — a confirm page (changes nothing); POST — turns mention emails off. */
export const GET = async (request: Request) => unsubscribeRoute(await getServices(), request);
export const POST = async (request: Request) => unsubscribeRoute(await getServices(), request);
