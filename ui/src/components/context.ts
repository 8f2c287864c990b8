import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Backend } from "../backend/backend";

export const BackendContext = createContext<Backend | null>(null);

export function useBackend(): Backend {
  const b = useContext(BackendContext);
  if (!b) throw new Error("no backend: render inside <BackendContext.Provider>");
  return b;
}
