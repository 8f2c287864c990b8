// Errors cross the IPC boundary as `{code, message}`; everything else becomes one of those too.
import type { BackendError } from "./types";

export function toBackendError(e: unknown): BackendError {
  if (typeof e === "object" && e !== null && typeof (e as BackendError).code === "string") {
    const { code, message } = e as BackendError;
    return { code, message: typeof message === "string" ? message : "" };
  }
  if (typeof e === "string") return { code: "shell.error", message: e };
  if (e instanceof Error) return { code: "ui.error", message: e.message };
  return { code: "ui.error", message: String(e) };
}

/** Runs `f`, turning any rejection into a `BackendError` rejection. */
export async function backendCall<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw toBackendError(e);
  }
}
