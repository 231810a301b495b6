/** Single-key shortcuts that stay out of the way while someone is typing. */
import { useEffect, useRef } from "react";

export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
}

export type KeyMap = Record<string, (event: KeyboardEvent) => void>;

/**
 * Bind keys (`c`, `/`, `?`, `j`, `Enter`, `esc`, `mod+k`) while the component is mounted.
 * Plain keys are ignored while typing in a field; `Escape` and `mod+` keys always work.
 */
export function useKeys(map: KeyMap, enabled = true): void {
  const ref = useRef(map);
  ref.current = map;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented) return;
      const mod = event.metaKey || event.ctrlKey;
      const name = mod
        ? `mod+${event.key.toLowerCase()}`
        : event.key === "Escape"
          ? "esc"
          : event.key;
      const handler = ref.current[name];
      if (!handler) return;
      if (!mod && event.key !== "Escape" && (event.altKey || isTyping(event.target))) return;
      if (!mod && event.key !== "Escape" && document.querySelector("dialog[open]")) {
        return;
      }
      handler(event);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [enabled]);
}
