import { z } from "zod";
import type { SearchPage } from "./service";

/**
 * What GET /api/v1/search returns (the procedure's `.output()`), checked against SearchPage at the
 * end: a field added to one and not the other fails the typecheck.
 */
const dateTime = z.date().meta({ format: "date-time" });
const uuid = z.string().meta({ format: "uuid" });

const searchHitOutput = z
  .object({
    id: z.number().int(),
    channel: z.object({
      id: uuid,
      name: z.string().meta({ description: "For DMs: the other people's names." }),
      kind: z.enum(["public", "private", "dm"]),
      archived: z.boolean(),
    }),
    parentId: z.number().int().nullable().meta({ description: "The thread's first message, for a reply." }),
    author: z.object({ id: uuid, name: z.string() }).nullable(),
    createdAt: dateTime,
    editedAt: dateTime.nullable(),
    snippet: z
      .array(z.object({ text: z.string(), match: z.boolean() }))
      .meta({ description: "The matching part of the body as text pieces; `match` marks what matched." }),
    files: z.array(z.object({ id: uuid, fileName: z.string(), match: z.boolean() })),
    link: z.string().meta({ description: "Where the web app shows the message (a path on this host)." }),
  })
  .meta({ id: "SearchHit" });

export const searchPageOutput = z
  .object({
    results: z.array(searchHitOutput),
    nextCursor: z
      .number()
      .int()
      .nullable()
      .meta({ description: "Pass as `cursor` for the next page; null on the last one." }),
  })
  .meta({ id: "SearchPage" });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <A, B>(ok: Same<A, B>) => ok;
same<z.output<typeof searchPageOutput>, SearchPage>(true);
