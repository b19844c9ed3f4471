import { uploadAvatarRoute } from "@nchat/api";
import { getServices } from "@/server/services";

/** POST /api/profile/avatar — the raw image body; see @nchat/api rest/avatars.ts. */
export const POST = async (request: Request) => uploadAvatarRoute(await getServices(), request);
