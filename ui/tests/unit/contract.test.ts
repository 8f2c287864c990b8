/// <reference types="node" />
// The TypeScript types against the JSON the Rust side really writes. The fixtures are made by
// Rust tests from every variant (src/meeting/event_fixture.rs for `MeetingEvent`,
// src-tauri/src/contract.rs for the shell's commands and events); when Rust changes a variant,
// its test fails until the fixture is rewritten, and then this test fails until TypeScript
// follows.
import assert from "node:assert/strict";
import { test } from "node:test";
import meetingEvents from "../../src/backend/fixtures/meeting_events.json";
import shell from "../../src/backend/fixtures/shell.json";
import { meetingCommand, meetingCommandVariants, meetingEventVariants, openedLink, problems, settings, uiEvent } from "../../src/backend/validate";

function typesOf(list: unknown[]): string[] {
  return list.map((e) => (e as { type: string }).type).sort();
}

test("every Rust MeetingEvent variant parses strictly as a TypeScript MeetingEvent", () => {
  for (const e of meetingEvents as unknown[]) assert.deepEqual(problems(uiEvent, e, true), [], JSON.stringify(e));
});

test("TypeScript knows exactly the MeetingEvent variants Rust has (less the video channel)", () => {
  const rust = [...new Set(typesOf(meetingEvents as unknown[]))];
  assert.deepEqual(rust, Object.keys(meetingEventVariants).sort());
});

test("every Rust UiCommand variant parses strictly, and TypeScript has the same variants", () => {
  for (const c of shell.commands as unknown[]) assert.deepEqual(problems(meetingCommand, c, true), [], JSON.stringify(c));
  assert.deepEqual([...new Set(typesOf(shell.commands))], Object.keys(meetingCommandVariants).sort());
});

test("every shell event and opened link from Rust parses strictly", () => {
  for (const e of shell.events as unknown[]) assert.deepEqual(problems(uiEvent, e, true), [], JSON.stringify(e));
  for (const o of shell.opened_links as unknown[]) assert.deepEqual(problems(openedLink, o, true), [], JSON.stringify(o));
});

test("the settings file's default parses strictly as TypeScript Settings", () => {
  assert.deepEqual(problems(settings, shell.settings, true), []);
});

test("the checks refuse what does not fit", () => {
  assert.notDeepEqual(problems(uiEvent, { type: "joined", me: "x", role: "king" }), []);
  assert.notDeepEqual(problems(uiEvent, { type: "no_such_variant" }), []);
  assert.notDeepEqual(problems(uiEvent, { type: "left", extra: 1 }, true), []);
  assert.deepEqual(problems(uiEvent, { type: "left", extra: 1 }, false), []);
  assert.notDeepEqual(problems(meetingCommand, { type: "lock" }), []);
});
