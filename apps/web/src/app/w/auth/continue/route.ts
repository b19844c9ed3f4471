import { continueSignIn } from "@nchat/api";
import { getServices } from "@/server/services";
import { currentTenant } from "@/server/tenant";

export async function GET(request: Request) {
  return continueSignIn(await getServices(), await currentTenant(), request);
}
