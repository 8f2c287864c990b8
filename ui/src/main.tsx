// Entry point: the Tauri backend inside the desktop app, the fake one in a plain browser.
import { render } from "preact";
import { App } from "./app";
import type { Backend } from "./backend/backend";
import { createFakeBackend } from "./backend/fake";
import { isTauri, tauriBackend } from "./backend/tauri";
import "./styles.css";

function pickBackend(): Backend {
  if (isTauri()) return tauriBackend;
  const fake = createFakeBackend();
  (window as unknown as { __fake: typeof fake.controls }).__fake = fake.controls;
  return fake;
}

render(<App backend={pickBackend()} />, document.getElementById("app")!);
