"use client";

import * as RadixTabs from "@radix-ui/react-tabs";
import type { ReactNode } from "react";

export type Tab = { id: string; label: ReactNode; content: ReactNode };

/**
 * Panels behind a row of tabs (Radix): arrow keys move between tabs, Home/End jump, each panel is
 * labelled by its tab. Uncontrolled from `defaultTab` (the first), or controlled with `value`.
 */
export function Tabs({
  tabs,
  label,
  defaultTab,
  value,
  onValueChange,
}: {
  tabs: Tab[];
  /** What the tabs choose between, for screen readers. */
  label: string;
  defaultTab?: string;
  value?: string;
  onValueChange?: (id: string) => void;
}) {
  return (
    <RadixTabs.Root
      className="tabs"
      defaultValue={value === undefined ? (defaultTab ?? tabs[0]?.id) : undefined}
      value={value}
      onValueChange={onValueChange}
    >
      <RadixTabs.List className="tab-list" aria-label={label}>
        {tabs.map((t) => (
          <RadixTabs.Trigger key={t.id} value={t.id} className="tab-trigger">
            {t.label}
          </RadixTabs.Trigger>
        ))}
      </RadixTabs.List>
      {tabs.map((t) => (
        <RadixTabs.Content key={t.id} value={t.id} className="tab-panel">
          {t.content}
        </RadixTabs.Content>
      ))}
    </RadixTabs.Root>
  );
}
