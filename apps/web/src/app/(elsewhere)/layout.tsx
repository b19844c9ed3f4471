import type { ReactNode } from "react";
import { SiteFooter, SiteHeader } from "@/components/site-header";

/** Pages served on hosts that are not the base domain's (an address naming no workspace). */
export default function ElsewhereLayout({ children }: Readonly<{ children: ReactNode }>) {
  return (
    <div className="marketing">
      <SiteHeader elsewhere />
      {children}
      <SiteFooter />
    </div>
  );
}
