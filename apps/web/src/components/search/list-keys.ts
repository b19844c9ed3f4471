"use client";

import { type KeyboardEvent, useEffect, useState } from "react";

/**
 * Arrow keys over a list whose focus stays in a text field (the combobox pattern): Up/Down move the
 * active option (wrapping), Home/End are left to the field, Enter picks the active option. The
 * active option goes back to the first when the list changes.
 */
export function useListKeys(count: number, resetKey: unknown, onPick: (index: number) => void) {
  const [active, setActive] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new list starts at its first option
  useEffect(() => setActive(0), [resetKey]);
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.nativeEvent.isComposing) return;
    if (e.key === "ArrowDown" && count > 0) {
      e.preventDefault();
      setActive((a) => (a + 1) % count);
    } else if (e.key === "ArrowUp" && count > 0) {
      e.preventDefault();
      setActive((a) => (a - 1 + count) % count);
    } else if (e.key === "Enter" && count > 0) {
      e.preventDefault();
      onPick(Math.min(active, count - 1));
    }
  };
  return { active: Math.min(active, Math.max(count - 1, 0)), setActive, onKeyDown };
}

/** Keeps the active option in view as the arrows move it. */
export function useScrollActive(id: string | undefined) {
  useEffect(() => {
    if (id) document.getElementById(id)?.scrollIntoView({ block: "nearest" });
  }, [id]);
}
