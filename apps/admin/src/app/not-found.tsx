import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = {
  title: "Page not found",
};

export default function NotFound() {
  return (
    <main>
      <section className="card form-card" aria-labelledby="not-found-title">
        <h1 id="not-found-title">Page not found</h1>
        <p>This page does not exist.</p>
        <Link href="/" className="button">
          Back to sign in
        </Link>
      </section>
    </main>
  );
}
