"use client";

import { createContext, type ReactNode, useContext, useState } from "react";

const LayerContainer = createContext<HTMLElement | null>(null);

/**
 * Where dialogs and menus render: inside this element rather than at the end of <body>, so that
 * the CSS custom properties set on an ancestor (a workspace's brand colours) still apply to them.
 */
export function LayerRoot({ children }: { children: ReactNode }) {
  const [el, setEl] = useState<HTMLDivElement | null>(null);
  return (
    <LayerContainer.Provider value={el}>
      {children}
      <div ref={setEl} className="layer-root" />
    </LayerContainer.Provider>
  );
}

/** The element layers portal into (undefined: the end of <body>). */
export const useLayerContainer = (): HTMLElement | undefined => useContext(LayerContainer) ?? undefined;
