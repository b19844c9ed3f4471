"use client";

import { Icon, type IconName } from "@nchat/ui/icon";
import { Badge } from "@nchat/ui/primitives";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { type ReactNode, Suspense, useEffect, useRef, useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { BillingBanner } from "./billing-banner";
import { TenantBrand } from "./brand";
import { ChatProvider } from "./chat/chat-provider";
import { ConnectionBanner } from "./chat/connection-banner";
import { ChatSidebar } from "./chat/sidebar";
import { EmailBanner } from "./email-banner";
import { QuickSwitcher } from "./search/quick-switcher";
import { roleAtLeast, useSessionUser, useTenant } from "./tenant";
import { TimeZoneDefault } from "./time-zone-default";
import { Avatar } from "./ui";

type NavItem = { href: string; label: string; icon: IconName; show: boolean };

/** The signed-in app: sidebar (workspace, navigation, channels, you) and the page. */
export function AppShell({ children }: { children: ReactNode }) {
  const tenant = useTenant();
  const user = useSessionUser();
  const pathname = useVisiblePath();
  const [open, setOpen] = useState(false);
  // Close the drawer (small screens) on navigation.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on path change only
  useEffect(() => setOpen(false), [pathname]);
  // …and when a link in it is followed: picking a channel changes only the query (`?c=`).
  const aside = useRef<HTMLElement>(null);
  useEffect(() => {
    const el = aside.current;
    if (!el) return;
    const onClick = (e: MouseEvent) => {
      if ((e.target as Element | null)?.closest?.("a[href]")) setOpen(false);
    };
    el.addEventListener("click", onClick);
    return () => el.removeEventListener("click", onClick);
  }, []);

  const nav: NavItem[] = [
    { href: "/", label: "Chat", icon: "chat", show: true },
    { href: "/members", label: "Members", icon: "users", show: true },
    { href: "/profile", label: "Profile", icon: "shield", show: true },
    { href: "/settings", label: "Settings", icon: "settings", show: roleAtLeast(user.role, "admin") },
    { href: "/billing", label: "Billing", icon: "card", show: roleAtLeast(user.role, "admin") },
  ];
  const isActive = (href: string) =>
    href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`);

  return (
    <ChatProvider>
      <TimeZoneDefault />
      <QuickSwitcher />
      <div className={`app${open ? " app-drawer-open" : ""}`}>
        <header className="mobile-bar">
          <button
            type="button"
            className="icon-btn"
            aria-label="Open navigation"
            aria-expanded={open}
            aria-controls="sidebar"
            onClick={() => setOpen(true)}
          >
            <Icon name="menu" />
          </button>
          <TenantBrand tenant={tenant} />
        </header>
        <button
          type="button"
          className="drawer-scrim"
          aria-label="Close navigation"
          tabIndex={open ? 0 : -1}
          onClick={() => setOpen(false)}
        />
        <aside className="sidebar" id="sidebar" aria-label="Workspace" ref={aside}>
          <div className="sidebar-header">
            <TenantBrand tenant={tenant} />
            <Badge tone="neutral" label={`${tenant.plan} plan`}>
              {tenant.plan}
            </Badge>
          </div>
          <nav className="sidebar-nav" aria-label="Main">
            {nav
              .filter((n) => n.show)
              .map((n) => (
                <Link
                  key={n.href}
                  href={n.href}
                  className={`sidebar-link${isActive(n.href) ? " active" : ""}`}
                  aria-current={isActive(n.href) ? "page" : undefined}
                >
                  <Icon name={n.icon} size={16} />
                  {n.label}
                </Link>
              ))}
          </nav>
          <Suspense fallback={<div className="sidebar-scroll" />}>
            <ChatSidebar />
          </Suspense>
          <UserFooter />
        </aside>
        <div className="app-main">
          <ConnectionBanner />
          <BillingBanner />
          <EmailBanner />
          {children}
        </div>
      </div>
    </ChatProvider>
  );
}

/** The browser's path (tenant pages are served from /w internally; the proxy rewrites). */
function useVisiblePath(): string {
  const pathname = usePathname();
  return pathname.startsWith("/w/") ? pathname.slice(2) : pathname === "/w" ? "/" : pathname;
}

function UserFooter() {
  const user = useSessionUser();
  const trpc = useTRPC();
  const signOut = useMutation(
    trpc.auth.signOut.mutationOptions({
      onSettled: () => window.location.assign("/login?signedOut=1"),
    }),
  );
  return (
    <div className="sidebar-footer">
      <Avatar name={user.name} id={user.id} size={32} />
      <div className="sidebar-user">
        <span className="sidebar-user-name" data-testid="current-user">
          {user.name}
        </span>
        <span className="sidebar-user-role">{user.role}</span>
      </div>
      <button
        type="button"
        className="icon-btn"
        onClick={() => signOut.mutate()}
        disabled={signOut.isPending}
        aria-label="Sign out"
        title="Sign out"
      >
        <Icon name="logout" size={16} />
      </button>
    </div>
  );
}
