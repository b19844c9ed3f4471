// Message send → realtime delivery latency with many subscribers in one tenant.
//   pnpm bench:realtime [--subscribers 500] [--messages 200]
// Subscribers are real streams (services.realtime.stream) in this process, fed through the same
// pub/sub hop as production (Redis with REDIS_URL, else PostgreSQL LISTEN/NOTIFY).
import { parseArgs } from "node:util";
import { createServices, type Services, SYSTEM } from "@nchat/api";
import { createDatabase, migratePublic } from "@nchat/db";
import { createScratchDatabase } from "@nchat/db/scratch";
import { isTrackedEnvelope } from "@trpc/server";
import { benchEnv } from "./lib/fixture";
import { ms, percentile, printTable, type Row } from "./lib/stats";

export async function benchRealtime(opts: {
  subscribers: number;
  messages: number;
  log?: (s: string) => void;
}): Promise<Row[]> {
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, "bench");
  let services: Services | undefined;
  const aborts: AbortController[] = [];
  try {
    const setup = createDatabase(scratch);
    await migratePublic(setup);
    await setup.close();
    services = await createServices(benchEnv(scratch));
    const s = services;
    const { tenant, ownerId } = await s.tenants.createTenant(
      {
        name: "Realtime",
        slug: "realtime",
        ownerEmail: "o@rt.test",
        ownerName: "Owner",
        ownerPassword: "bench-password-1",
      },
      SYSTEM,
      { plan: "enterprise" },
    );
    const resolved = (await s.resolver.bySlug("realtime"))!;
    const [general] = await s.db.admin<
      { id: string }[]
    >`select id from ${s.db.admin(tenant.schemaName)}.channels where is_default limit 1`;
    const channelId = general!.id;

    // Subscribers: the owner's stream, N times (the same visibility work as N users).
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    let delivered = 0;
    let ready = 0;
    const user = { id: ownerId, name: "Owner", role: "owner" as const };
    const streams = Array.from({ length: opts.subscribers }, async () => {
      const abort = new AbortController();
      aborts.push(abort);
      for await (const item of s.realtime.stream(resolved, user, { signal: abort.signal })) {
        const event = (isTrackedEnvelope(item) ? item[1] : item) as {
          type: string;
          message?: { body: string };
        };
        if (event.type === "ready") ready++;
        if (event.type === "message.created" && event.message) {
          const t0 = sentAt.get(event.message.body);
          if (t0 !== undefined) {
            latencies.push(performance.now() - t0);
            delivered++;
          }
        }
      }
    });
    while (ready < opts.subscribers) await new Promise((r) => setTimeout(r, 20));
    opts.log?.(`${opts.subscribers} subscribers ready; sending ${opts.messages} messages`);

    const actor = { type: "user" as const, id: ownerId, role: "owner" as const };
    for (let i = 0; i < opts.messages; i++) {
      // The clock starts before the send: latency includes the write, commit and fan-out.
      sentAt.set(`message ${i}`, performance.now());
      await s.chat.send(resolved, actor, { channelId, body: `message ${i}` });
      await new Promise((r) => setTimeout(r, 5));
    }
    const expected = opts.subscribers * opts.messages;
    const until = Date.now() + 30_000;
    while (delivered < expected && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    for (const a of aborts) a.abort();
    await Promise.allSettled(streams);

    return [
      {
        bench: "realtime",
        metric: "send → delivery p50",
        value: ms(percentile(latencies, 50)),
        note: `${opts.subscribers} subscribers, one tenant, ${process.env.REDIS_URL ? "Redis pub/sub" : "LISTEN/NOTIFY"}`,
      },
      {
        bench: "realtime",
        metric: "send → delivery p99",
        value: ms(percentile(latencies, 99)),
        note: "target p99 ≤ 50 ms",
      },
      {
        bench: "realtime",
        metric: "deliveries",
        value: `${delivered} / ${expected}`,
        note: delivered === expected ? "none lost" : "MISSING deliveries",
      },
    ];
  } finally {
    for (const a of aborts) a.abort();
    await services?.close();
    await scratch.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      subscribers: { type: "string", default: "500" },
      messages: { type: "string", default: "200" },
    },
  });
  const rows = await benchRealtime({
    subscribers: Number(values.subscribers),
    messages: Number(values.messages),
    log: console.log,
  });
  printTable("Realtime delivery", rows);
}
