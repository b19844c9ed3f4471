import { createTenantRoute } from "@nchat/api";
import { getServices } from "@/server/services";

export async function POST(request: Request) {
  return createTenantRoute(await getServices(), request);
}
