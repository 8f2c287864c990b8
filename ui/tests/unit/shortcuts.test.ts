/// <reference types="node" />
import assert from "node:assert/strict";
import { test } from "node:test";
import { chord, shortcutFor } from "../../src/shortcuts";

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
