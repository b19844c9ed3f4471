import { billingPortalRoute } from "@nchat/api";
import { getServices } from "@/server/services";

export async function POST(request: Request) {
  return billingPortalRoute(await getServices(), request);
}
