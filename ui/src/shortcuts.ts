// Keyboard shortcuts of the meeting screen, as the big clients have them, so hands already know
// them: Zoom's Alt+A/V/Y/S/U/Q and Microsoft Teams' Ctrl+Shift+M/O/K/E/H. "?" lists them.
export type ShortcutAction = "mic" | "camera" | "hand" | "share" | "people" | "leave" | "help" | "close";

export interface Shortcut {
  action: ShortcutAction;
  keys: string[];
}

export const SHORTCUTS: Shortcut[] = [
  { action: "mic", keys: ["Alt+A", "Ctrl+Shift+M"] },
  { action: "camera", keys: ["Alt+V", "Ctrl+Shift+O"] },
  { action: "hand", keys: ["Alt+Y", "Ctrl+Shift+K"] },
  { action: "share", keys: ["Alt+S", "Ctrl+Shift+E"] },
  { action: "people", keys: ["Alt+U"] },
  { action: "leave", keys: ["Alt+Q", "Ctrl+Shift+H"] },
  { action: "help", keys: ["?"] },
  { action: "close", keys: ["Escape"] },
];

interface KeyLike {
  key: string;
  code?: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
}

/** The chord of a key event, e.g. "Alt+A" or "Ctrl+Shift+M" (letters by their key position). */
export function chord(e: KeyLike): string {
  const letter = e.code?.startsWith("Key") ? e.code.slice(3) : e.key.length === 1 ? e.key.toUpperCase() : e.key;
  if (e.key === "?") return "?";
  const mods = [e.ctrlKey || e.metaKey ? "Ctrl" : "", e.altKey ? "Alt" : "", e.shiftKey ? "Shift" : ""].filter(Boolean);
  return [...mods, letter].join("+");
}

/** The action of a key event, ignoring plain typing in text fields. */
export function shortcutFor(e: KeyLike, typing: boolean): ShortcutAction | null {
  const c = chord(e);
  if (typing && (c === "?" || !(e.altKey || e.ctrlKey || e.metaKey)) && c !== "Escape") return null;
  return SHORTCUTS.find((s) => s.keys.includes(c))?.action ?? null;
}
