import { uploadAttachmentRoute } from "@nchat/api";
import { getServices } from "@/server/services";

/** POST /api/attachments?channelId=… — the raw file body; see @nchat/api rest/attachments.ts. */
export const POST = async (request: Request) => uploadAttachmentRoute(await getServices(), request);
