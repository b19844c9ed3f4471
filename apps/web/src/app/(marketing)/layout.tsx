import Link from "next/link";
import type { ReactNode } from "react";
import { Providers } from "@/components/providers";

/** The base domain: landing page and sign-up. */
export default function MarketingLayout({ children }: Readonly<{ children: ReactNode }>) {
  return (
    <Providers>
      <div className="marketing">
        <header className="site-header">
          <Link href="/" className="brand">
            <span className="brand-mark" aria-hidden="true">
              n
            </span>
            n<span>chat</span>
          </Link>
          <nav aria-label="Primary" className="site-nav">
            <Link href="/#features">Features</Link>
            <Link href="/#pricing">Pricing</Link>
            <Link href="/signup" className="btn btn-primary btn-sm">
              Create a workspace
            </Link>
          </nav>
        </header>
        {children}
        <footer className="site-footer">
          <p>© {new Date().getFullYear()} nchat · Team chat for every organization</p>
        </footer>
      </div>
    </Providers>
  );
}
