"use client";

import { Icon, type IconName } from "@nchat/ui/icon";
import { useToast } from "@nchat/ui/toast";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import type { ReactNode } from "react";
import { useTRPC } from "@/lib/trpc";

const NAV = [
  { href: "/", label: "Overview", icon: "dashboard", match: (p: string) => p === "/" },
  { href: "/tenants", label: "Tenants", icon: "building", match: (p: string) => p.startsWith("/tenants") },
  { href: "/audit", label: "Audit log", icon: "log", match: (p: string) => p.startsWith("/audit") },
  {
    href: "/webhooks",
    label: "Stripe events",
    icon: "exchange",
    match: (p: string) => p.startsWith("/webhooks"),
  },
  { href: "/jobs", label: "Jobs", icon: "list", match: (p: string) => p.startsWith("/jobs") },
] satisfies { href: string; label: string; icon: IconName; match: (p: string) => boolean }[];

/** The console frame: sidebar navigation, the signed-in admin, sign-out; the page beside it. */
export function Shell({ admin, children }: { admin: { name: string; email: string }; children: ReactNode }) {
  const pathname = usePathname();
  const router = useRouter();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const signOut = useMutation(
    trpc.adminAuth.signOut.mutationOptions({
      onSuccess: () => {
        queryClient.clear();
        router.replace("/sign-in");
        router.refresh();
      },
      onError: () => toast.error("Sign-out failed", "Please try again."),
    }),
  );
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <aside className="sidebar" aria-label="Admin navigation">
        <Link href="/" className="sidebar-brand">
          <span className="logo" aria-hidden="true">
            n
          </span>
          <span>
            nchat <span className="sidebar-brand-sub">admin</span>
          </span>
        </Link>
        <nav>
          <ul className="nav-list">
            {NAV.map((item) => {
              const active = item.match(pathname);
              return (
                <li key={item.href}>
                  <Link
                    href={item.href}
                    className={`nav-link ${active ? "active" : ""}`}
                    aria-current={active ? "page" : undefined}
                  >
                    <span className="nav-icon" aria-hidden="true">
                      <Icon name={item.icon} size={16} />
                    </span>
                    {item.label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="sidebar-footer">
          <div className="sidebar-user">
            <span className="avatar" aria-hidden="true">
              {admin.name.charAt(0).toUpperCase()}
            </span>
            <span className="sidebar-user-text">
              <strong>{admin.name}</strong>
              <span title={admin.email}>{admin.email}</span>
            </span>
          </div>
          <button
            type="button"
            className="btn btn-ghost btn-sm sidebar-signout"
            onClick={() => signOut.mutate()}
            disabled={signOut.isPending}
          >
            Sign out
          </button>
        </div>
      </aside>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
