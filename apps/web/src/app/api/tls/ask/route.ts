import { tlsAsk } from "@nchat/api";
import { getServices } from "@/server/services";

export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  return tlsAsk(await getServices(), request);
}
