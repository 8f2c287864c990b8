/// <reference types="node" />
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PeerStats, UiEvent } from "../../src/backend/types";
import { activeSpeaker, HISTORY, initialMeeting, loudness, quality, reduce, type MeetingState } from "../../src/meeting/state";

const fold = (events: UiEvent[], from: MeetingState = initialMeeting) => events.reduce(reduce, from);

function peer(loss: number, rtt: number | null, state: PeerStats["state"] = "connected"): PeerStats {
  return {
    member: "m",
    name: "M",
    state,
    link: { rtt_ms: rtt, bytes_sent: 0, bytes_received: 0, packets_received: 0, packets_lost: 0, local_candidate: null, remote_candidate: null },
    bitrate_in_kbps: 0,
    bitrate_out_kbps: 0,
    packet_loss_pct: loss,
    frames_decoded: 0,
    decode_errors: 0,
    audio_packets: 0,
    audio_level: 0,
    width: 0,
    height: 0,
    glass_to_glass_ms: null,
    glass_to_glass_samples_ms: [],
  };
}

test("a host sees a knock, admits it, and the knocker becomes a participant with video", () => {
  const s = fold([
    { type: "created", me: "h" },
    { type: "joined", me: "h", role: "host" },
    { type: "knock_received", member: "k", name: "Kari" },
    { type: "knock_received", member: "k", name: "Kari" },
  ]);
  assert.equal(s.phase, "in_meeting");
  assert.equal(s.role, "host");
  assert.deepEqual(s.knocks, [{ member: "k", name: "Kari" }]);
  const t = fold([{ type: "knock_gone", member: "k", reason: "admitted" }, { type: "participant_joined", member: "k", name: "Kari" }, { type: "video_available", member: "k" }], s);
  assert.deepEqual(t.knocks, []);
  assert.equal(t.participants.length, 1);
  assert.equal(t.participants[0]!.video, true);
  assert.equal(fold([{ type: "participant_left", member: "k", reason: "removed" }], t).participants.length, 0);
});

test("a joiner goes knock → lobby → meeting, and a denial ends it", () => {
  const lobby = fold([{ type: "knock" }, { type: "in_lobby" }]);
  assert.equal(lobby.phase, "lobby");
  const denied = fold([{ type: "denied" }, { type: "meeting_closed" }], lobby);
  assert.equal(denied.phase, "over");
  assert.equal(denied.ending, "denied");
  const joined = fold([{ type: "admitted", me: "j" }, { type: "joined", me: "j", role: "participant" }], lobby);
  assert.equal(joined.phase, "in_meeting");
});

test("a closed meeting with no reason counts as left; the first reason wins", () => {
  assert.equal(fold([{ type: "meeting_closed" }]).ending, "left");
  assert.equal(fold([{ type: "removed" }, { type: "left" }]).ending, "removed");
});

test("our own hand and role are ours; others' are on their participant", () => {
  const s = fold([
    { type: "joined", me: "me", role: "participant" },
    { type: "participant_joined", member: "o", name: "O" },
    { type: "hand_raised", member: "me", raised: true },
    { type: "hand_raised", member: "o", raised: true },
    { type: "role_changed", member: "me", role: "co_host" },
  ]);
  assert.equal(s.handRaised, true);
  assert.equal(s.participants[0]!.hand, true);
  assert.equal(s.role, "co_host");
});

test("stats keep one minute of history and quality follows the worst peer", () => {
  let s = initialMeeting;
  const e2ee = { state: "end_to_end_encrypted" as const, epoch: 1, security_code: null, frames_encrypted: 0, frames_decrypted: 0, dropped_auth_failed: 0, dropped_replay: 0, dropped_unknown_kid: 0, dropped_malformed: 0 };
  for (let i = 0; i < HISTORY + 5; i++) s = reduce(s, { type: "stats", peers: [peer(0, 20)], e2ee });
  assert.equal(s.history.length, HISTORY);
  assert.equal(quality(s.history), "good");
  assert.equal(quality([{ peers: [peer(0, 20), peer(2, 20)] }]), "fair");
  assert.equal(quality([{ peers: [peer(0, 500)] }]), "poor");
  assert.equal(quality([{ peers: [peer(0, null, "failed")] }]), "poor");
  assert.equal(quality([]), "unknown");
});

test("the active speaker is the loudest above -30 dBFS, or no one", () => {
  assert.equal(activeSpeaker({ a: 0.6, b: 0.8 }), "b");
  assert.equal(activeSpeaker({ a: 0.2, b: 0.4 }), null);
  assert.equal(activeSpeaker({}), null);
  assert.equal(loudness(1), 1);
  assert.equal(loudness(0), 0);
  assert.ok(Math.abs(loudness(0.0316) - 0.5) < 0.01);
});

test("stats give each participant's loudness", () => {
  const e2ee = { state: "end_to_end_encrypted" as const, epoch: 1, security_code: null, frames_encrypted: 0, frames_decrypted: 0, dropped_auth_failed: 0, dropped_replay: 0, dropped_unknown_kid: 0, dropped_malformed: 0 };
  const s = reduce(initialMeeting, { type: "stats", peers: [{ ...peer(0, 10), member: "k", audio_level: 0.3 }], e2ee });
  assert.equal(activeSpeaker(s.levels), "k");
});

test("errors are kept (the last five) until dismissed", () => {
  const s = fold(Array.from({ length: 7 }, (_, i) => ({ type: "error" as const, code: `net.io`, message: String(i) })));
  assert.equal(s.errors.length, 5);
  assert.equal(s.errors[4]!.message, "6");
});

test("a participant's identity is shown as the meeting reports it, and a changed key keeps its warning", () => {
  const fp = "0123 4567 89ab cdef 0123 4567 89ab cdef 0123 4567 89ab cdef 0123 4567 89ab cdef";
  const s = fold([
    { type: "joined", me: "a", role: "host" },
    { type: "participant_joined", member: "b", name: "Kari" },
    { type: "peer_identity", member: "b", name: "Kari", fingerprint: fp, status: "unverified" },
  ]);
  assert.deepEqual(s.participants[0].identity, { fingerprint: fp, status: "unverified", warning: undefined });
  const changed = reduce(s, {
    type: "peer_identity",
    member: "b",
    name: "Kari",
    fingerprint: fp.replace("0123", "ffff"),
    status: "key_changed",
    previous_fingerprint: fp,
    warning: "Kari was verified before with another identity key.",
  });
  assert.equal(changed.participants[0].identity?.status, "key_changed");
  assert.match(changed.participants[0].identity?.warning ?? "", /another identity key/);
});
