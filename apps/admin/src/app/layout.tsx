import { GeistSans } from "geist/font/sans";
import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "nchat admin", template: "%s · nchat admin" },
  description: "Administration console for nchat super admins.",
  robots: { index: false, follow: false },
};

export default function RootLayout({ children }: Readonly<{ children: ReactNode }>) {
  return (
    <html lang="en" className={GeistSans.variable}>
      <body>
        <header className="site-header">
          <span className="brand">
            n<span>chat</span> admin
          </span>
        </header>
        {children}
      </body>
    </html>
  );
}
