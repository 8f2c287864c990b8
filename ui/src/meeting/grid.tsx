// The video grid: our own view and one tile per participant, the active speaker emphasised. While
// someone shares their screen, the same tiles become a small filmstrip beside the share.
import { useCallback } from "preact/hooks";
import type { VideoFrame } from "../backend/types";
import { useBackend } from "../components/context";
import { HandIcon, MicOffIcon } from "../components/icons";
import { useI18n } from "../i18n/i18n";
import { VideoView } from "../video/video_view";
import type { Participant } from "./state";

interface Props {
  me: string | null;
  myName: string;
  cameraOff: boolean;
  micMuted: boolean;
  handRaised: boolean;
  participants: Participant[];
  speaker: string | null;
  /** A filmstrip beside a screen share rather than the whole stage. */
  strip?: boolean;
}

export function Grid({ me, myName, cameraOff, micMuted, handRaised, participants, speaker, strip }: Props) {
  const { t } = useI18n();
  const count = participants.length + 1;
  return (
    <section class={`grid n${Math.min(count, 9)}${strip ? " filmstrip" : ""}`} aria-label={t("meeting.grid")} id="grid">
      <Tile
        member="self"
        name={`${myName} (${t("meeting.you")})`}
        video={!cameraOff}
        speaking={speaker !== null && speaker === me}
        hand={handRaised}
        muted={micMuted}
        away={false}
        mirror
      />
      {participants.map((p) => (
        <Tile key={p.member} member={p.member} name={p.name} video={p.video} speaking={speaker === p.member} hand={p.hand} muted={false} away={p.away} />
      ))}
    </section>
  );
}

interface TileProps {
  member: string;
  name: string;
  video: boolean;
  speaking: boolean;
  hand: boolean;
  muted: boolean;
  away: boolean;
  mirror?: boolean;
}

function Tile({ member, name, video, speaking, hand, muted, away, mirror }: TileProps) {
  const { t } = useI18n();
  const backend = useBackend();
  const subscribe = useCallback(
    (onFrame: (f: VideoFrame) => void, width?: number, rgba?: boolean) => backend.watchVideo(member, onFrame, width, rgba),
    [backend, member],
  );
  const state = [speaking && t("meeting.speaking"), hand && t("meeting.hand"), away && t("meeting.away")].filter(Boolean).join(", ");
  return (
    <figure class={`tile${speaking ? " speaking" : ""}${away ? " away" : ""}`} data-member={member} aria-label={state ? `${name}: ${state}` : name}>
      {video ? <VideoView subscribe={subscribe} label={name} mirror={mirror} /> : <div class="video placeholder" aria-hidden="true"><span class="avatar">{initials(name)}</span></div>}
      <figcaption>
        <span class="name">{name}</span>
        {muted && (
          <span class="muted" title={t("meeting.mic_unmute")}>
            <MicOffIcon />
          </span>
        )}
        {hand && (
          <span class="hand" title={t("meeting.hand")}>
            <HandIcon />
          </span>
        )}
        {away && <span>{t("meeting.away")}</span>}
      </figcaption>
    </figure>
  );
}

function initials(name: string): string {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0]!.toUpperCase()).join("") || "?";
}
