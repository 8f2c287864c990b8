/// <reference types="node" />
import assert from "node:assert/strict";
import { test } from "node:test";
import { en } from "../../src/i18n/en";
import { chord, SHORTCUTS, shortcutFor } from "../../src/shortcuts";

const key = (k: string, code: string, mods: Partial<Record<"altKey" | "ctrlKey" | "metaKey" | "shiftKey", boolean>> = {}) => ({
  key: k,
  code,
  altKey: false,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  ...mods,
});

test("Zoom's and Teams' chords map to the same actions", () => {
  assert.equal(shortcutFor(key("a", "KeyA", { altKey: true }), false), "mic");
  assert.equal(shortcutFor(key("M", "KeyM", { ctrlKey: true, shiftKey: true }), false), "mic");
  assert.equal(shortcutFor(key("v", "KeyV", { altKey: true }), false), "camera");
  assert.equal(shortcutFor(key("O", "KeyO", { ctrlKey: true, shiftKey: true }), false), "camera");
  assert.equal(shortcutFor(key("y", "KeyY", { altKey: true }), false), "hand");
  assert.equal(shortcutFor(key("K", "KeyK", { ctrlKey: true, shiftKey: true }), false), "hand");
  assert.equal(shortcutFor(key("H", "KeyH", { ctrlKey: true, shiftKey: true }), false), "leave");
  assert.equal(shortcutFor(key("q", "KeyQ", { altKey: true }), false), "leave");
});

test("letters are read by key position, so layouts and AltGr symbols do not matter", () => {
  assert.equal(chord(key("å", "KeyA", { altKey: true })), "Alt+A");
});

test("typing in a text field is never a shortcut, but chords and Escape are", () => {
  assert.equal(shortcutFor(key("?", "Slash", { shiftKey: true }), true), null);
  assert.equal(shortcutFor(key("?", "Slash", { shiftKey: true }), false), "help");
  assert.equal(shortcutFor(key("a", "KeyA"), true), null);
  assert.equal(shortcutFor(key("a", "KeyA"), false), null);
  assert.equal(shortcutFor(key("a", "KeyA", { altKey: true }), true), "mic");
  assert.equal(shortcutFor(key("Escape", "Escape"), true), "close");
});

test("Teams' Ctrl+Shift+E and Zoom's Alt+S share the screen, and the list shows both", () => {
  assert.equal(shortcutFor(key("E", "KeyE", { ctrlKey: true, shiftKey: true }), false), "share");
  assert.equal(shortcutFor(key("s", "KeyS", { altKey: true }), false), "share");
  assert.equal(shortcutFor(key("e", "KeyE"), false), null, "a plain E is not a shortcut");
  assert.equal(shortcutFor(key("E", "KeyE", { ctrlKey: true, shiftKey: true }), true), "share", "a chord works while typing");
  assert.deepEqual(SHORTCUTS.find((s) => s.action === "share")?.keys, ["Alt+S", "Ctrl+Shift+E"]);
});

test("every shortcut is listed once and no chord does two things", () => {
  const chords = SHORTCUTS.flatMap((s) => s.keys);
  assert.equal(new Set(chords).size, chords.length);
  assert.equal(new Set(SHORTCUTS.map((s) => s.action)).size, SHORTCUTS.length);
  for (const s of SHORTCUTS) assert.ok(`keys.${s.action}` in en, `keys.${s.action} has a description`);
});
