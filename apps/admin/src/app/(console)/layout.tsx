import type { ReactNode } from "react";
import { Shell } from "@/components/shell";
import { requireAdmin } from "@/server/session";

// Every console page depends on the session cookie.
export const dynamic = "force-dynamic";

/** Console pages: a super-admin session, or the sign-in page. */
export default async function ConsoleLayout({ children }: Readonly<{ children: ReactNode }>) {
  const admin = await requireAdmin();
  return <Shell admin={{ name: admin.name, email: admin.email }}>{children}</Shell>;
}
