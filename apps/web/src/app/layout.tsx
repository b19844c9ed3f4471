import { GeistMono } from "geist/font/mono";
import { GeistSans } from "geist/font/sans";
import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import "@nchat/ui/tokens.css";
import "@nchat/ui/components.css";
import "./globals.css";
import "./styles/buttons.css";
import "./styles/forms.css";
import "./styles/content.css";
import "./styles/marketing.css";
import "./styles/tenant.css";
import "./styles/app-shell.css";
import "./styles/settings-billing.css";
import "./styles/chat.css";
import "./styles/messages.css";
import "./styles/message-parts.css";
import "./styles/composer.css";
import "./styles/panels.css";
import "./styles/responsive.css";
import "./styles/pending.css";

export const metadata: Metadata = {
  title: { default: "nchat — Team chat for every organization", template: "%s · nchat" },
  description: "nchat gives every organization its own private workspace for channels, threads and messages.",
};

export const viewport: Viewport = {
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#f8fafc" },
    { media: "(prefers-color-scheme: dark)", color: "#0b1020" },
  ],
};

export default function RootLayout({ children }: Readonly<{ children: ReactNode }>) {
  return (
    <html lang="en" className={`${GeistSans.variable} ${GeistMono.variable}`}>
      <body>{children}</body>
    </html>
  );
}
