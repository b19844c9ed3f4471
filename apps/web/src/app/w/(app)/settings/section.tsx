"use client";

import { Icon } from "@nchat/ui/icon";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import type { ReactNode } from "react";
import { useTRPC } from "@/lib/trpc";

/** What every settings section is built from: its card, the tenant update it saves with, the "Saved" note. */
export function Section({
  id,
  title,
  description,
  children,
  badge,
}: {
  id: string;
  title: string;
  description?: string;
  children: ReactNode;
  badge?: ReactNode;
}) {
  return (
    <section id={id} className="card settings-section" aria-labelledby={`${id}-title`}>
      <header className="section-head">
        <div>
          <h2 id={`${id}-title`}>
            {title} {badge}
          </h2>
          {description ? <p className="muted">{description}</p> : null}
        </div>
      </header>
      {children}
    </section>
  );
}

export function useTenantUpdate(onDone?: () => void) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  return useMutation(
    trpc.tenant.update.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.tenant.public.queryKey() });
        void qc.invalidateQueries({ queryKey: trpc.ui.settings.queryKey() });
        // The layout (branding CSS variables, names) renders on the server: render it again.
        router.refresh();
        onDone?.();
      },
    }),
  );
}

export function SavedNote({ show }: { show: boolean }) {
  return show ? (
    <span className="saved-note" role="status">
      <Icon name="check" size={14} /> Saved
    </span>
  ) : null;
}
