import { z } from "zod";
import { rest } from "../openapi/meta";
import { fileOutput } from "../openapi/outputs";
import { authedProcedure, router } from "../trpc";

// Shapes only; the service answers NOT_FOUND for ids that are not uuids or not visible.
const idInput = z.object({ id: z.string().max(100) });

/**
 * Files: uploads and downloads are REST (`POST /api/attachments?channelId=`, `GET /api/attachments/:id`,
 * see rest/attachments.ts) because their bodies are raw bytes; metadata and deletion are here.
 */
export const attachmentsRouter = router({
  /** A file's name, type and size, when the user can see it. */
  get: authedProcedure
    .input(idInput)
    .meta(rest("GET", "/files/{id}", "Files", "A file's metadata (name, type, size)"))
    .output(fileOutput)
    .query(({ ctx, input }) => ctx.services.attachments.get(ctx.tenant, ctx.user, input.id)),

  /** Deletes a file (its uploader, or an admin); frees its storage. */
  delete: authedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const removed = await ctx.services.attachments.delete(ctx.tenant, ctx.user, input.id);
    return { id: removed.id, channelId: removed.channelId, messageId: removed.messageId };
  }),
});
