/// <reference types="node" />
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PeerStats, UiEvent } from "../../src/backend/types";
import { activeSpeaker, dismiss, HISTORY, initialMeeting, loudness, quality, reduce, shareRequested, shownShare, SOURCE_GONE, type MeetingState } from "../../src/meeting/state";

const fold = (events: UiEvent[], from: MeetingState = initialMeeting) => events.reduce(reduce, from);

function peer(loss: number, rtt: number | null, state: PeerStats["state"] = "connected"): PeerStats {
  return {
    member: "m",
    name: "M",
    state,
    link: { rtt_ms: rtt, bytes_sent: 0, bytes_received: 0, packets_received: 0, packets_lost: 0, local_candidate: null, remote_candidate: null, estimate_kbps: null, queue_delay_ms: null },
    bitrate_in_kbps: 0,
    bitrate_out_kbps: 0,
    packet_loss_pct: loss,
    frames_decoded: 0,
    decode_errors: 0,
    media_dropped: 0,
    media_wrong_sender: 0,
    media_unbound: 0,
    audio_packets: 0,
    audio_playout: { target_ms: 20, delay_ms: 20, concealed: 0, fec: 0, late: 0, accelerated: 0, decelerated: 0, comfort_noise: 0, flushed: 0 },
    audio_level: 0,
    width: 0,
    height: 0,
    glass_to_glass_ms: null,
    lip_sync_ms: null,
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

test("a knock shown again with its invitation revoked replaces the first, in place", () => {
  const invited = { status: "invited", invitee: "kari@example.no", id: "AQEBAQEBAQE" } as const;
  const s = fold([
    { type: "joined", me: "h", role: "host" },
    { type: "knock_received", member: "k", name: "Kari", invitation: invited },
    { type: "knock_received", member: "o", name: "Ola" },
    { type: "knock_received", member: "k", name: "Kari", invitation: { ...invited, status: "revoked" } },
  ]);
  assert.deepEqual(s.knocks, [
    { member: "k", name: "Kari", invitation: { ...invited, status: "revoked" } },
    { member: "o", name: "Ola" },
  ]);
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
    { type: "peer_identity", member: "b", name: "Kari", fingerprint: fp, pair_code: "4821 0937 5561 2048 7730", status: "unverified" },
  ]);
  assert.deepEqual(s.participants[0].identity, {
    fingerprint: fp,
    pairCode: "4821 0937 5561 2048 7730",
    status: "unverified",
    warning: undefined,
  });
  const changed = reduce(s, {
    type: "peer_identity",
    member: "b",
    name: "Kari",
    fingerprint: fp.replace("0123", "ffff"),
    pair_code: "0915 3382 6604 1179 2256",
    status: "key_changed",
    previous_fingerprint: fp,
    warning: "Kari was verified before with another identity key.",
  });
  assert.equal(changed.participants[0].identity?.status, "key_changed");
  assert.equal(changed.participants[0].identity?.pairCode, "0915 3382 6604 1179 2256", "a new key, a new pair code");
  assert.match(changed.participants[0].identity?.warning ?? "", /another identity key/);
});

test("our share: asked, started, stopped; a start that fails is the share's notice, not a general error", () => {
  const inMeeting = fold([{ type: "joined", me: "me", role: "host" }]);
  const asked = shareRequested(inMeeting);
  assert.equal(asked.shareStarting, true);
  const on = reduce(asked, { type: "share_started", member: "me", source: 'window "Slides"' });
  assert.deepEqual(on.sharing, { source: 'window "Slides"' });
  assert.equal(on.shareStarting, false);
  assert.deepEqual(on.shares, [], "our own share is not shown on our stage");
  const off = reduce(on, { type: "share_stopped", member: "me", reason: "stopped" });
  assert.equal(off.sharing, null);
  assert.equal(off.shareProblem, null);
  // A device failure while the share starts belongs to the share; after it, to the meeting.
  const failed = reduce(asked, { type: "error", code: "media.unsupported", message: "wayland" });
  assert.equal(failed.shareProblem?.code, "media.unsupported");
  assert.equal(failed.shareStarting, false);
  assert.deepEqual(failed.errors, []);
  const later = reduce(on, { type: "error", code: "media.device_failed", message: "camera" });
  assert.equal(later.shareProblem, null);
  assert.equal(later.errors.length, 1);
  assert.equal(reduce(on, { type: "error", code: "share.not_in_meeting", message: "" }).shareProblem?.code, "share.not_in_meeting");
  const dismissed = dismiss(failed, "shareProblem");
  assert.equal(dismissed.shareProblem, null);
  assert.equal(dismiss(asked, "shareProblem").shareStarting, false, "a start that failed to send is not awaited");
});

test("when our shared window closes, the user is told once, though the meeting says it twice", () => {
  const on = fold([{ type: "joined", me: "me", role: "host" }, { type: "share_started", member: "me" }]);
  assert.deepEqual(on.sharing, { source: null });
  const gone = fold(
    [
      { type: "share_stopped", member: "me", reason: "source_gone" },
      { type: "error", code: "share.source_gone", message: "sharing stopped: the shared window or screen is gone" },
    ],
    on,
  );
  assert.equal(gone.sharing, null);
  assert.equal(gone.shareProblem?.code, "share.source_gone");
  assert.deepEqual(gone.errors, []);
  assert.equal(reduce(on, { type: "share_stopped", member: "me", reason: "source_gone" }).shareProblem, SOURCE_GONE);
  // Sharing again clears the old notice.
  assert.equal(reduce(shareRequested(gone), { type: "share_started", member: "me" }).shareProblem, null);
});

test("a participant's share: shown once its channel is there, the newest on stage, gone when they stop or leave", () => {
  const s = fold([
    { type: "joined", me: "me", role: "host" },
    { type: "participant_joined", member: "k", name: "Kari" },
    { type: "participant_joined", member: "o", name: "Ola" },
    // The shell sends the channel before the meeting says who shares.
    { type: "share_available", member: "k" },
    { type: "share_started", member: "k" },
  ]);
  assert.deepEqual(s.shares, [{ member: "k", available: true }]);
  assert.deepEqual(shownShare(s), { member: "k", available: true });
  assert.equal(s.sharing, null, "someone else's share is not ours");
  const both = reduce(s, { type: "share_started", member: "o" });
  assert.deepEqual(shownShare(both), { member: "o", available: false }, "the newest share is on stage, waiting for pictures");
  const ready = reduce(both, { type: "share_available", member: "o" });
  assert.deepEqual(shownShare(ready), { member: "o", available: true });
  const stopped = reduce(ready, { type: "share_stopped", member: "o", reason: "stopped" });
  assert.deepEqual(shownShare(stopped), { member: "k", available: true }, "back to the other share");
  const left = reduce(stopped, { type: "participant_left", member: "k", reason: "left" });
  assert.equal(shownShare(left), null, "back to the grid");
  assert.deepEqual(reduce(stopped, { type: "share_stopped", member: "k", reason: "left" }).shares, []);
  assert.deepEqual(fold([{ type: "ended" }], ready).shares, [], "an ended meeting shows no share");
});

test("stats keep our share's numbers and each participant's", () => {
  const e2ee = { state: "end_to_end_encrypted" as const, epoch: 1, security_code: null, frames_encrypted: 0, frames_decrypted: 0, dropped_auth_failed: 0, dropped_replay: 0, dropped_unknown_kid: 0, dropped_malformed: 0 };
  const share = { width: 1920, height: 1080, fps: 5, bitrate_kbps: 84.5, frames: 312, keyframes: 2 };
  const out = { width: 2560, height: 1440, fps: 15, bitrate_kbps: 950.2, frames: 40, keyframes: 1 };
  const s = fold([
    { type: "stats", peers: [{ ...peer(0, 10), share }], share_out: out, e2ee },
    { type: "stats", peers: [peer(0, 10)], e2ee },
  ]);
  assert.deepEqual(s.history[0]!.shareOut, out);
  assert.deepEqual(s.history[0]!.peers[0]!.share, share);
  assert.equal(s.history[1]!.shareOut, undefined);
  assert.equal(quality(s.history), "good");
});
