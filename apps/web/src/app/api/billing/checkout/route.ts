import { billingCheckoutRoute } from "@nchat/api";
import { getServices } from "@/server/services";

export async function POST(request: Request) {
  return billingCheckoutRoute(await getServices(), request);
}
