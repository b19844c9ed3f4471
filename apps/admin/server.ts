// The admin app's server (`pnpm dev`, `pnpm start`): Next.js behind serveNext, which sets the
// client's address from the socket (TRUST_PROXY: which proxies in front may tell it).
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { serveNext } from "@nchat/api/serve-next";
import next from "next";

// Background jobs (mail) are worked by the web app's processes: the admin app only queues them, so
// mail captured without SMTP_URL is always in a web process (its /dev/mailbox). Set
// QUEUE_WORKER=true to have admin processes work them too.
process.env.QUEUE_WORKER ??= "false";

await serveNext({
  next: (opts) => next(opts),
  dir: dirname(fileURLToPath(import.meta.url)),
  dev: process.env.NODE_ENV !== "production",
  defaultPort: 3001,
});
