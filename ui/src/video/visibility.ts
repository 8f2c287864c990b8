// Whether the window can be seen. A minimised or hidden window is not: its video is then neither
// drawn nor even sent to the page (the shell stops copying pictures for channels nobody
// watches), which is what a hidden window can give back. Decoding goes on in the backend, so the
// picture is there again at once when the window comes back.
import { useEffect, useState } from "preact/hooks";

export function usePageVisible(): boolean {
  const [visible, setVisible] = useState(() => document.visibilityState !== "hidden");
  useEffect(() => {
    const changed = () => setVisible(document.visibilityState !== "hidden");
    document.addEventListener("visibilitychange", changed);
    return () => document.removeEventListener("visibilitychange", changed);
  }, []);
  return visible;
}
