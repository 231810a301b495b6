/** Light, dark, or the system's choice (the default); saved per browser. */
import { useEffect, useState } from "react";

export type ThemeChoice = "system" | "light" | "dark";
const KEY = "tasklane.theme";

function saved(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === "light" || v === "dark" ? v : "system";
  } catch {
    return "system";
  }
}

export function useTheme(): [ThemeChoice, (t: ThemeChoice) => void] {
  const [choice, setChoice] = useState<ThemeChoice>(saved);
  useEffect(() => {
    const root = document.documentElement;
    if (choice === "system") {
      delete root.dataset.theme;
      localStorage.removeItem(KEY);
    } else {
      root.dataset.theme = choice;
      localStorage.setItem(KEY, choice);
    }
  }, [choice]);
  return [choice, setChoice];
}

export function nextTheme(t: ThemeChoice): ThemeChoice {
  return t === "system" ? "light" : t === "light" ? "dark" : "system";
}
