import { tenantByIdRoute } from "@nchat/api";
import { getServices } from "@/server/services";

type Params = { params: Promise<{ id: string }> };

const handler = async (request: Request, { params }: Params) =>
  tenantByIdRoute(await getServices(), "web", request, (await params).id);

export { handler as DELETE, handler as GET, handler as PUT };
