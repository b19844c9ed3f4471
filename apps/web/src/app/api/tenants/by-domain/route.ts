import { getTenantByDomain } from "@nchat/api";
import { getServices } from "@/server/services";

export async function GET(request: Request) {
  return getTenantByDomain((await getServices()).resolver, request);
}
