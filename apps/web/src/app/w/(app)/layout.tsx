import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { AppShell } from "@/components/app-shell";
import { SessionProvider } from "@/components/tenant";
import { requireTenant } from "@/server/tenant";
import { requestPath, serverCaller } from "@/server/trpc";

/** Pages for signed-in members: the session is checked here, before anything renders. */
export default async function AppLayout({ children }: Readonly<{ children: ReactNode }>) {
  await requireTenant();
  const me = await (await serverCaller()).auth.me();
  if (!me) redirect(`/login?next=${encodeURIComponent(await requestPath())}`);
  // The workspace requires a second factor and this member has none: set it up before anything else.
  if (me.twoFactor.mustEnrol) redirect(`/two-factor?next=${encodeURIComponent(await requestPath())}`);
  return (
    <SessionProvider user={me.user}>
      <AppShell>{children}</AppShell>
    </SessionProvider>
  );
}
