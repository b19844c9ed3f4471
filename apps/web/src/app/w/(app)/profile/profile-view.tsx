"use client";

import { errorMessage } from "@nchat/ui/errors";
import { PageHeader, Spinner } from "@nchat/ui/primitives";
import { Tabs } from "@nchat/ui/tabs";
import { useQuery } from "@tanstack/react-query";
import { roleAtLeast, useSessionUser } from "@/components/tenant";
import { Alert } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";
import { ApiKeysSection } from "../settings/api-keys-section";
import { DetailsSection } from "./details-section";
import { SecuritySection } from "./security-section";

/**
 * The signed-in person's own account, in tabs: Profile (picture, name, email, time zone), Security
 * (password, sessions, two-factor authentication) and, for those who may manage them, API keys.
 */
export function ProfileView() {
  const user = useSessionUser();
  const trpc = useTRPC();
  const profile = useQuery(trpc.profile.me.queryOptions());
  const tabs = [
    {
      id: "profile",
      label: "Profile",
      content: profile.isPending ? (
        <Spinner label="Loading" />
      ) : profile.isError ? (
        <Alert tone="danger">{errorMessage(profile.error)}</Alert>
      ) : (
        <DetailsSection profile={profile.data} />
      ),
    },
    { id: "security", label: "Security", content: <SecuritySection /> },
    ...(roleAtLeast(user.role, "admin")
      ? [{ id: "api-keys", label: "API keys", content: <ApiKeysSection /> }]
      : []),
  ];
  return (
    <main className="page">
      <PageHeader title="Profile" description={`${user.name} · ${user.email}`} />
      <Tabs tabs={tabs} label="Your account" />
    </main>
  );
}
