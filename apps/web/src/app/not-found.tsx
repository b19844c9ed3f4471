import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = {
  title: "Page not found",
};

export default function NotFound() {
  return (
    <main>
      <section className="hero" aria-labelledby="not-found-title">
        <h1 id="not-found-title">Page not found</h1>
        <p className="lead">The page you are looking for does not exist or has moved.</p>
        <Link href="/" className="button">
          Go to the home page
        </Link>
      </section>
    </main>
  );
}
