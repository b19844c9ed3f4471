/** Helpers for the search tests (real database; imported by *.test.ts only). */
import { randomUUID } from "node:crypto";
import type { Services } from "../server";
import type { TestClient } from "../testing";

type Query = { q: string; sort?: "newest" | "best"; limit?: number; cursor?: number };

/** The ids a client finds for a query (first page). */
export async function found(client: TestClient, q: string | Query): Promise<number[]> {
  const input = typeof q === "string" ? { q } : q;
  const page = await client.call((c) => c.search.messages(input));
  return page.results.map((r) => r.id);
}

/** A file row on a message, straight into the tenant's table (its bytes do not matter to search). */
export async function attachFile(
  services: Services,
  schema: string,
  message: { id: number; channelId: string },
  fileName: string,
) {
  const sql = services.db.admin;
  await sql`insert into ${sql(schema)}.attachments
      (message_id, channel_id, file_name, content_type, size_bytes, storage_key, key_version)
    values (${message.id}, ${message.channelId}, ${fileName}, 'application/octet-stream', 1, ${randomUUID()}, 1)`;
}

/** Moves a message in time (dates are set by the server; the date operators need older ones). */
export async function sentAt(services: Services, schema: string, id: number, at: string) {
  const sql = services.db.admin;
  await sql`update ${sql(schema)}.messages set created_at = ${at}::timestamptz where id = ${id}`;
}
