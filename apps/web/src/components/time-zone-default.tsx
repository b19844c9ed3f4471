"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { useTRPC } from "@/lib/trpc";

/** The browser's IANA time zone, if it says. */
export function browserTimeZone(): string | null {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}

/**
 * A person who never chose a time zone gets their browser's, on their first visit (the server
 * checks it like any other; once set, only the Profile page changes it). Renders nothing.
 */
export function TimeZoneDefault() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const me = useQuery({ ...trpc.profile.me.queryOptions(), staleTime: 5 * 60_000, retry: false });
  const update = useMutation(
    trpc.profile.update.mutationOptions({
      onSuccess: (profile) => qc.setQueryData(trpc.profile.me.queryKey(), profile),
    }),
  );
  const tried = useRef(false);
  const { mutate } = update;
  useEffect(() => {
    if (tried.current || !me.data || me.data.timeZone !== null) return;
    const zone = browserTimeZone();
    if (!zone) return;
    tried.current = true;
    mutate({ timeZone: zone });
  }, [me.data, mutate]);
  return null;
}
