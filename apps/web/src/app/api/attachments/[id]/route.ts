import { downloadAttachmentRoute } from "@nchat/api";
import { getServices } from "@/server/services";

type Params = { params: Promise<{ id: string }> };

/** GET /api/attachments/:id — the file, decrypted, for those who can see it. */
export const GET = async (request: Request, { params }: Params) =>
  downloadAttachmentRoute(await getServices(), request, (await params).id);
