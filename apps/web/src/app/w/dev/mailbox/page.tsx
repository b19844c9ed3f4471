import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { serverCaller } from "@/server/trpc";

export const metadata: Metadata = { title: "Dev mailbox" };
export const dynamic = "force-dynamic";

const LINK = /(https?:\/\/[^\s<>"']+)/g;

/**
 * Development only (SMTP_URL unset): the mails this server process captured instead of sending,
 * newest first, with their links clickable. The procedure refuses in production (404 here).
 */
export default async function DevMailboxPage() {
  const box = await (await serverCaller()).mail.devMailbox().catch(() => null);
  if (!box) notFound();
  return (
    <main className="page" aria-labelledby="mailbox-title">
      <h1 id="mailbox-title">Dev mailbox</h1>
      <p className="muted">
        Mail is not sent (SMTP_URL is unset): this process keeps the last 100 mails here. Development only.
      </p>
      {box.mails.length === 0 ? <p>No mail yet.</p> : null}
      {box.mails.map((m) => (
        <article key={m.id} className="card" style={{ marginBlock: 12, padding: 16 }}>
          <p>
            <strong>{m.subject}</strong>
            <br />
            <span className="muted">
              to {m.to} · from {m.from} · {new Date(m.at).toLocaleString()}
            </span>
          </p>
          <pre style={{ whiteSpace: "pre-wrap" }}>
            {m.text.split(LINK).map((part, i) =>
              i % 2 === 1 ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: parts of one fixed text
                <a key={i} href={part}>
                  {part}
                </a>
              ) : (
                part
              ),
            )}
          </pre>
        </article>
      ))}
    </main>
  );
}
