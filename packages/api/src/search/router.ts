import { userActor } from "../audit/actor";
import { rest } from "../openapi/meta";
import { authedProcedure, router } from "../trpc";
import { searchMessagesInput, switcherInput } from "./inputs";
import { searchPageOutput } from "./outputs";

/**
 * Search: messages and file names (`messages`, the grammar of @nchat/protocol/search) and the quick
 * switcher (`switcher`: channels, DMs and people by name). Inputs are parsed here, once; the
 * visibility rule is chat's (SearchService).
 */
export const searchRouter = router({
  messages: authedProcedure
    .input(searchMessagesInput)
    .meta(
      rest("GET", "/search", "Search", "Search messages and file names (the search box's grammar in `q`)"),
    )
    .output(searchPageOutput)
    .query(({ ctx, input }) => ctx.services.search.messages(ctx.tenant, userActor(ctx), input)),

  switcher: authedProcedure
    .input(switcherInput)
    .query(({ ctx, input }) => ctx.services.search.switcher(ctx.tenant, userActor(ctx), input)),
});
