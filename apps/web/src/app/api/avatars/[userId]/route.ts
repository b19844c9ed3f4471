import { avatarRoute } from "@nchat/api";
import { getServices } from "@/server/services";

type Params = { params: Promise<{ userId: string }> };

/** GET /api/avatars/:userId?size=thumb|full — a person's picture, for members of the same workspace. */
export const GET = async (request: Request, { params }: Params) =>
  avatarRoute(await getServices(), request, (await params).userId);
