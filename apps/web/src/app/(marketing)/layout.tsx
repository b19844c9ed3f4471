import Link from "next/link";
import type { ReactNode } from "react";

/** The base domain: landing page and sign-up. */
export default function MarketingLayout({ children }: Readonly<{ children: ReactNode }>) {
  return (
    <>
      <header className="site-header">
        <Link href="/" className="brand">
          n<span>chat</span>
        </Link>
        <nav aria-label="Primary">
          <Link href="/signup">Create a workspace</Link>
        </nav>
      </header>
      {children}
      <footer className="site-footer">
        <p>© nchat</p>
      </footer>
    </>
  );
}
