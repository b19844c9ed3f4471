"use client";

import { usePathname, useSearchParams } from "next/navigation";
import { useCallback } from "react";

/**
 * Filters live in the URL (shareable, reload keeps them). `set` merges changes; empty values drop
 * the parameter. It uses `history.replaceState`, which Next.js syncs into `useSearchParams`: the data
 * is fetched on the client, so a filter change needs no server round trip. It does nothing once the
 * browser has left this page (a late debounced update must not pull the user back).
 */
export function useSearchState() {
  const params = useSearchParams();
  const pathname = usePathname();
  const get = useCallback((key: string) => params.get(key) ?? "", [params]);
  const set = useCallback(
    (changes: Record<string, string | number | null | undefined>) => {
      if (window.location.pathname !== pathname) return;
      const next = new URLSearchParams(window.location.search);
      for (const [k, v] of Object.entries(changes)) {
        if (v === null || v === undefined || v === "") next.delete(k);
        else next.set(k, String(v));
      }
      const qs = next.toString();
      window.history.replaceState(null, "", qs ? `${pathname}?${qs}` : pathname);
    },
    [pathname],
  );
  return { get, set, params };
}
