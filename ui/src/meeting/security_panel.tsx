// Security: is the meeting end-to-end encrypted, the group's security code to compare aloud,
// and, person by person, the code the two of you read to each other (made from both identity
// keys; the same on their screen) and who has been verified. Once that code has been read with
// someone, "Mark as verified" makes this device remember their key; the status shown is always
// what the meeting reports back.
import type { E2eeStatus } from "../backend/types";
import { LockIcon } from "../components/icons";
import { useI18n } from "../i18n/i18n";
import type { Participant, SecurityCode } from "./state";

interface Props {
  e2ee: E2eeStatus | null;
  security: SecurityCode | null;
  participants: Participant[];
  /** We compared the security code with this member. */
  onVerify: (member: string) => void;
}

export function SecurityPanel({ e2ee, security, participants, onVerify }: Props) {
  const { t } = useI18n();
  const on = e2ee ? e2ee.state === "end_to_end_encrypted" : security !== null;
  // Only a known key can be marked, and only with a code to compare it by.
  const verifiable = (p: Participant) => security !== null && !!p.identity && p.identity.status !== "verified";
  const dropped = e2ee ? e2ee.dropped_auth_failed + e2ee.dropped_replay + e2ee.dropped_unknown_kid + e2ee.dropped_malformed : 0;
  return (
    <div class="panel-body" id="security-panel">
      <h2>{t("security.heading")}</h2>
      <h3>{t("security.e2ee")}</h3>
      <p id="e2ee-state" data-state={on ? "on" : "waiting"}>
        <span class={on ? "badge on" : "badge waiting"}>{on && <LockIcon />}{on ? t("meeting.e2ee_on") : t("meeting.e2ee_waiting")}</span> {on ? t("security.on") : t("security.waiting")}
      </p>
      <h3>{t("security.code")}</h3>
      {security ? (
        <>
          <p class="security-code" id="security-code" aria-live="polite">
            {security.code}
          </p>
          <p class="hint">{t("security.epoch", { n: security.epoch, m: security.members })}</p>
        </>
      ) : (
        <p>{t("security.no_code")}</p>
      )}
      <p class="hint">{t("security.code_hint")}</p>
      {e2ee && (
        <p class="hint" id="e2ee-frames">
          {t("security.frames", { enc: e2ee.frames_encrypted, dec: e2ee.frames_decrypted })}
          {dropped > 0 && <> {t("security.dropped", { n: dropped })}</>}
        </p>
      )}
      {participants.length > 0 && (
        <>
          <h3>{t("security.verification")}</h3>
          {participants.some(verifiable) && <p class="hint">{t("security.verify_hint")}</p>}
          <ul class="verification">
            {participants.map((p) => (
              <li data-member={p.member} data-identity={p.identity?.status ?? "unknown"}>
                <span class="name">{p.name}</span>{" "}
                {p.identity?.status === "verified" ? (
                  <span class="hint">{t("security.verified")}</span>
                ) : p.identity?.status === "key_changed" ? (
                  <strong role="alert">{t("security.key_changed", { name: p.name })}</strong>
                ) : (
                  <span class="hint">{t("security.unverified")}</span>
                )}
                {p.identity && (
                  <span class="pair-code">
                    {t("security.pair_code")} <code data-pair-code={p.identity.pairCode}>{p.identity.pairCode}</code>
                  </span>
                )}
                {p.identity && <code class="fingerprint">{p.identity.fingerprint}</code>}
                {verifiable(p) && (
                  <button
                    class="verify"
                    aria-label={t(p.identity?.status === "key_changed" ? "security.reverify_named" : "security.mark_verified_named", { name: p.name })}
                    onClick={() => onVerify(p.member)}
                  >
                    {t(p.identity?.status === "key_changed" ? "security.reverify" : "security.mark_verified")}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
