import { env } from "@nchat/config";
import Link from "next/link";
import { BaseDomainLink } from "./base-link";

const LINKS = [
  { path: "/#features", label: "Features" },
  { path: "/#pricing", label: "Pricing" },
] as const;

/** A link to a page of the base domain: relative there, absolute from any other host. */
function SiteLink({
  elsewhere,
  base,
  path,
  className,
  children,
}: {
  elsewhere: boolean;
  base: string;
  path: string;
  className?: string;
  children: React.ReactNode;
}) {
  return elsewhere ? (
    <BaseDomainLink baseDomain={base} path={path} className={className}>
      {children}
    </BaseDomainLink>
  ) : (
    <Link href={path} className={className}>
      {children}
    </Link>
  );
}

/**
 * The base domain's header. `elsewhere`: the page is served on another host (an unknown workspace
 * address), so every link names the base domain instead of being relative to this host.
 */
export function SiteHeader({ elsewhere = false }: { elsewhere?: boolean }) {
  const base = env().NEXT_PUBLIC_BASE_DOMAIN;
  const to = { elsewhere, base };
  return (
    <header className="site-header">
      <SiteLink {...to} path="/" className="brand">
        <span className="brand-mark" aria-hidden="true">
          n
        </span>
        n<span>chat</span>
      </SiteLink>
      <nav aria-label="Primary" className="site-nav">
        {LINKS.map((l) => (
          <SiteLink {...to} key={l.path} path={l.path}>
            {l.label}
          </SiteLink>
        ))}
        <SiteLink {...to} path="/signup" className="btn btn-primary btn-sm">
          Create a workspace
        </SiteLink>
      </nav>
    </header>
  );
}

/** The base domain's footer. */
export function SiteFooter() {
  return (
    <footer className="site-footer">
      <p>© {new Date().getFullYear()} nchat · Team chat for every organization</p>
    </footer>
  );
}
