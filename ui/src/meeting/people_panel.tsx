// Participants: the lobby (admit, deny), who is here (role, hand, remove), and the lock.
import type { MeetingCommand, Role } from "../backend/types";
import { HandIcon } from "../components/icons";
import { useI18n, type Key } from "../i18n/i18n";
import { canModerate, type Knock, type Participant } from "./state";

interface Props {
  role: Role | null;
  myName: string;
  participants: Participant[];
  knocks: Knock[];
  locked: boolean;
  send: (c: MeetingCommand) => void;
}

export function PeoplePanel({ role, myName, participants, knocks, locked, send }: Props) {
  const { t } = useI18n();
  const moderator = canModerate(role);
  return (
    <div class="panel-body" id="people-panel">
      <h2>{t("people.heading", { n: participants.length + 1 })}</h2>
      {moderator && knocks.length > 0 && (
        <section aria-labelledby="lobby-heading" class="knocks">
          <h3 id="lobby-heading">{t("people.lobby", { n: knocks.length })}</h3>
          <ul>
            {knocks.map((k) => (
              <li class="knock" data-member={k.member}>
                <span class="name">{k.name}</span>
                {k.invitation && (
                  <span class={`invitation ${k.invitation.status}`} data-status={k.invitation.status}>
                    {t(`people.invitation.${k.invitation.status}` as Key, { invitee: k.invitation.invitee ?? "" })}
                  </span>
                )}
                <button class="primary admit" aria-label={t("people.admit_named", { name: k.name })} onClick={() => send({ type: "admit", member: k.member })}>
                  {t("people.admit")}
                </button>
                <button class="deny" aria-label={t("people.deny_named", { name: k.name })} onClick={() => send({ type: "deny", member: k.member })}>
                  {t("people.deny")}
                </button>
                {role === "host" && k.invitation?.status === "invited" && k.invitation.id && (
                  <button
                    class="revoke"
                    aria-label={t("people.revoke_named", { invitee: k.invitation.invitee ?? "" })}
                    onClick={() => send({ type: "revoke_invitation", id: k.invitation?.id ?? "" })}
                  >
                    {t("people.revoke")}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      <ul class="people">
        <li>
          <span class="name">
            {myName} ({t("meeting.you")})
          </span>
          {role && <span class="role">{t(`people.role.${role}` as Key)}</span>}
        </li>
        {participants.map((p) => (
          <li class="participant" data-member={p.member}>
            <span class="name">{p.name}</span>
            <span class="role">{t(`people.role.${p.role}` as Key)}</span>
            {p.hand && (
              <span class="hand" role="img" aria-label={t("meeting.hand")}>
                <HandIcon />
              </span>
            )}
            {p.away && <span class="away">{t("meeting.away")}</span>}
            {moderator && p.role !== "host" && (
              <button class="remove" aria-label={t("people.remove_named", { name: p.name })} onClick={() => send({ type: "remove", member: p.member })}>
                {t("people.remove")}
              </button>
            )}
          </li>
        ))}
      </ul>
      {moderator && (
        <div class="lock">
          <button id="toggle-lock" aria-pressed={locked} onClick={() => send({ type: "lock", locked: !locked })}>
            {locked ? t("people.unlock") : t("people.lock")}
          </button>
          {locked && <p class="hint">{t("people.locked")}</p>}
        </div>
      )}
    </div>
  );
}
