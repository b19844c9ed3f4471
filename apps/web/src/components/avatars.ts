"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";

/**
 * People's profile pictures: one query for the whole workspace (`profile.avatars`: id → URL, only
 * people who have one), shared by every avatar on the page. A changed picture has a new URL, so the
 * browser never shows a stale one once the map is fresh.
 */
export function useAvatarUrl(userId: string | undefined, size: number): string | null {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.profile.avatars.queryOptions(),
    staleTime: 5 * 60_000,
    enabled: Boolean(userId),
    retry: false,
  });
  const url = userId ? q.data?.[userId.toLowerCase()] : undefined;
  if (!url) return null;
  // The 64 px thumbnail for lists and messages; the 256 px picture for anything larger.
  return size <= 64 ? `${url}&size=thumb` : url;
}

/** After one's own picture changed: every avatar on the page reads the map again. */
export function useRefreshAvatars(): () => Promise<void> {
  const trpc = useTRPC();
  const qc = useQueryClient();
  return () => qc.invalidateQueries({ queryKey: trpc.profile.avatars.queryKey() });
}
