import { trpcHandler } from "@nchat/api";
import { getServices } from "@/server/services";

const handler = async (request: Request) => trpcHandler(await getServices(), "web", request);

export { handler as GET, handler as POST };
