"use client";

import * as DropdownMenu from "@radix-ui/react-dropdown-menu";
import type { ReactNode } from "react";
import { useLayerContainer } from "./layer";

/**
 * A dropdown menu (Radix): a button that opens a list of actions; arrow keys move between them,
 * Escape and a click outside close it and focus returns to the button.
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
  const container = useLayerContainer();
  return (
    <DropdownMenu.Root modal={false}>
      <DropdownMenu.Trigger className="btn btn-secondary menu-trigger" aria-label={ariaLabel}>
        {label}
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal container={container}>
        <DropdownMenu.Content className="menu-items" align="end" sideOffset={6}>
          {children}
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

/** One action of a <Menu>; choosing it closes the menu. */
export function MenuItem({
  children,
  onSelect,
  disabled,
  tone,
}: {
  children: ReactNode;
  onSelect: () => void;
  disabled?: boolean;
  tone?: "danger";
}) {
  return (
    <DropdownMenu.Item
      className={`menu-item${tone === "danger" ? " danger" : ""}`}
      disabled={disabled}
      onSelect={onSelect}
    >
      {children}
    </DropdownMenu.Item>
  );
}
