import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = { title: "Page not found" };

export default function NotFound() {
  return (
    <main className="auth-page">
      <section className="auth-card" aria-labelledby="not-found-title">
        <h1 id="not-found-title">Page not found</h1>
        <p className="muted">This page does not exist.</p>
        <Link href="/" className="btn btn-primary">
          Back to the console
        </Link>
      </section>
    </main>
  );
}
