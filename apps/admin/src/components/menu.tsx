"use client";

import { type ReactNode, useEffect, useRef } from "react";

/**
 * A small dropdown on <details>/<summary> (keyboard-operable without script); closes on a click
 * outside and on Escape (focus back on its button). Items close it with `closeMenu(event)`.
 */
export function Menu({
  label,
  ariaLabel,
  children,
}: {
  label: ReactNode;
  ariaLabel?: string;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDetailsElement>(null);
  useEffect(() => {
    const onPointer = (e: MouseEvent) => {
      const d = ref.current;
      if (d?.open && !d.contains(e.target as Node)) d.open = false;
    };
    const onKey = (e: KeyboardEvent) => {
      const d = ref.current;
      if (e.key === "Escape" && d?.open) {
        d.open = false;
        d.querySelector("summary")?.focus();
      }
    };
    document.addEventListener("mousedown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, []);
  return (
    <details className="menu" ref={ref}>
      <summary className="btn btn-secondary" aria-label={ariaLabel}>
        {label}
      </summary>
      <div className="menu-items">{children}</div>
    </details>
  );
}

/** Closes the menu an item belongs to. */
export function closeMenu(event: { currentTarget: Element }) {
  const d = event.currentTarget.closest("details");
  if (d) d.open = false;
}
