import { billingWebhookRoute } from "@nchat/api";
import { getServices } from "@/server/services";

export async function POST(request: Request) {
  return billingWebhookRoute(await getServices(), request);
}
