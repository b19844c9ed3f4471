import { getTenantBySlug } from "@nchat/api";
import { getServices } from "@/server/services";

export async function GET(request: Request) {
  return getTenantBySlug((await getServices()).resolver, request);
}
