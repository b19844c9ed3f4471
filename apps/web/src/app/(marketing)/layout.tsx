import type { ReactNode } from "react";
import { Providers } from "@/components/providers";
import { SiteFooter, SiteHeader } from "@/components/site-header";

/** The base domain: landing page and sign-up. */
export default function MarketingLayout({ children }: Readonly<{ children: ReactNode }>) {
  return (
    <Providers>
      <div className="marketing">
        <SiteHeader />
        {children}
        <SiteFooter />
      </div>
    </Providers>
  );
}
