"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";

/** After any action: refetch everything the console shows (lists, detail, overview, logs). */
export function useAfterAction() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries(trpc.admin.pathFilter());
}
