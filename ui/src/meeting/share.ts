// Screen sharing's small decisions: why it cannot happen (as a sentence), how the picker groups
// what can be shared, and how the banner names what we share.
import type { BackendError, ShareSourceView } from "../backend/types";
import { en, type Key } from "../i18n/en";
import type { Translate } from "../i18n/i18n";
import type { OwnShare } from "./state";

/** `share_sources` answered with an empty list: there is nothing to share. */
export const NO_SOURCES: BackendError = { code: "share.no_sources", message: "no screen or window can be shared" };

/** Why sharing is not possible (`unavailable`) or did not start (`failed`): the sentence of
 *  the error's code when there is one (`share.reason.<code>`), else the general one. */
export function shareReasonKey(e: BackendError, fallback: "share.unavailable" | "share.failed"): Key {
  const exact = `share.reason.${e.code}`;
  return exact in en ? (exact as Key) : fallback;
}

/** The picker's two groups, each in the order the shell gave. */
export function groupSources(sources: ShareSourceView[]): { screens: ShareSourceView[]; windows: ShareSourceView[] } {
  return { screens: sources.filter((s) => s.kind === "screen"), windows: sources.filter((s) => s.kind === "window") };
}

/** "1920 × 1080". */
/** On Wayland the system's own dialog chooses the screen or window: the backend lists one
 *  entry for "a screen" and one for "a window", with no number, size or thumbnail. */
export function isPortalChoice(s: { id: string }): boolean {
  return s.id === "screen" || s.id === "window";
}

export function sizeLabel(width: number, height: number): string {
  return `${width} × ${height}`;
}

/** What the banner says we share: what we picked (in the user's language), else what the
 *  meeting says (`screen "Built-in display"`), else just "your screen". */
export function sharingLabel(t: Translate, own: OwnShare, picked: ShareSourceView | null): string {
  if (picked) return t(picked.kind === "screen" ? "share.banner_screen" : "share.banner_window", { name: picked.name });
  if (own.source) return t("share.banner", { source: own.source });
  return t("share.banner_unknown");
}
