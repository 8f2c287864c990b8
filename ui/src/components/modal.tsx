// A modal dialog that keeps the keyboard inside it: Tab and Shift+Tab cycle through its controls,
// focus that escapes (a click behind it) is brought back, Escape and the backdrop close it, and
// the focus returns to where it was when it closes.
import type { ComponentChildren } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";

const CANDIDATES = "button, [href], input, select, textarea, [tabindex]";

/** What Tab can reach inside `root`, in order (of a radio group only its checked or first one). */
export function tabbable(root: HTMLElement): HTMLElement[] {
  const all = [...root.querySelectorAll<HTMLElement>(CANDIDATES)].filter(
    (el) => !(el as HTMLButtonElement).disabled && el.tabIndex >= 0 && el.getClientRects().length > 0,
  );
  return all.filter((el) => {
    if (!(el instanceof HTMLInputElement) || el.type !== "radio" || !el.name) return true;
    const group = all.filter((o): o is HTMLInputElement => o instanceof HTMLInputElement && o.type === "radio" && o.name === el.name);
    const checked = group.find((o) => o.checked);
    return checked ? checked === el : group[0] === el;
  });
}

interface Props {
  id: string;
  labelledby: string;
  describedby?: string;
  class?: string;
  onClose: () => void;
  children: ComponentChildren;
}

export function Modal({ id, labelledby, describedby, class: className, onClose, children }: Props) {
  const dialog = useRef<HTMLDivElement>(null);

  useLayoutEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const el = dialog.current;
    if (el && !el.contains(document.activeElement)) (el.querySelector<HTMLElement>("[autofocus]") ?? tabbable(el)[0] ?? el).focus();
    // Focus that leaves the dialog (a click on the page behind it) comes back to it.
    const keep = (e: FocusEvent) => {
      if (el && e.target instanceof Node && !el.contains(e.target)) (tabbable(el)[0] ?? el).focus();
    };
    document.addEventListener("focusin", keep);
    return () => {
      document.removeEventListener("focusin", keep);
      if (before?.isConnected) before.focus();
    };
  }, []);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      return onClose();
    }
    const el = dialog.current;
    if (e.key !== "Tab" || !el) return;
    const list = tabbable(el);
    const first = list[0];
    const last = list.at(-1);
    if (!first || !last) return e.preventDefault();
    const at = document.activeElement;
    if (e.shiftKey && (at === first || at === el)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && at === last) {
      e.preventDefault();
      first.focus();
    }
  };

  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={dialog}
        id={id}
        class={className ? `dialog ${className}` : "dialog"}
        role="dialog"
        aria-modal="true"
        aria-labelledby={labelledby}
        aria-describedby={describedby}
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        {children}
      </div>
    </div>
  );
}
