// The screens and the way between them. The meeting's own state is a fold of backend events
// (meeting/state.ts); this file only decides which screen shows it.
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";
import type { Backend } from "./backend/backend";
import { toBackendError } from "./backend/errors";
import type { BackendError, JoinOptions, OpenedLink, ServerView, Settings, UiEvent } from "./backend/types";
import { BackendContext } from "./components/context";
import { I18nContext, translator } from "./i18n/i18n";
import { dismiss, initialMeeting, reduce, shareRequested, type Dismissable, type MeetingState } from "./meeting/state";
import { Ended } from "./screens/ended";
import { Home } from "./screens/home";
import { Lobby } from "./screens/lobby";
import { Meeting } from "./screens/meeting";
import { PreJoin } from "./screens/prejoin";
import { SettingsScreen } from "./screens/settings";

type Entry = { entry: "host" } | { entry: "join"; link: OpenedLink; server: ServerView };

type Screen =
  | { name: "loading" }
  | { name: "home" }
  | { name: "settings" }
  | ({ name: "prejoin" } & Entry)
  | ({ name: "call"; options: JoinOptions } & Entry);

type Action = { type: "event"; event: UiEvent } | { type: "reset" } | { type: "dismiss"; what: Dismissable } | { type: "share_requested" };

function meetingReducer(s: MeetingState, a: Action): MeetingState {
  if (a.type === "reset") return initialMeeting;
  if (a.type === "dismiss") return dismiss(s, a.what);
  if (a.type === "share_requested") return shareRequested(s);
  return reduce(s, a.event);
}

function joinable(opened: OpenedLink): Entry | null {
  return opened.action.type === "join_trygg" ? { entry: "join", link: opened, server: opened.action.server } : null;
}

export function App({ backend }: { backend: Backend }) {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [screen, setScreen] = useState<Screen>({ name: "loading" });
  const [meeting, dispatch] = useReducer(meetingReducer, initialMeeting);
  const [homeError, setHomeError] = useState<BackendError | null>(null);
  const [notJoinable, setNotJoinable] = useState<OpenedLink | null>(null);
  const [hostedOn, setHostedOn] = useState<ServerView | null>(null);
  const i18n = useMemo(() => {
    const lang = settings?.language ?? "en";
    return { lang, t: translator(lang) };
  }, [settings?.language]);

  useEffect(() => {
    document.documentElement.lang = i18n.lang;
  }, [i18n.lang]);

  // The screen as of the last render, for links that arrive from outside (events).
  const current = useRef({ screen, phase: meeting.phase });
  current.current = { screen, phase: meeting.phase };
  const opened = useCallback((o: OpenedLink) => {
    const { screen, phase } = current.current;
    if (screen.name === "call" && phase !== "over") return; // never drop a running meeting for a link
    const entry = joinable(o);
    setNotJoinable(entry ? null : o);
    setScreen(entry ? { name: "prejoin", ...entry } : { name: "home" });
  }, []);

  useEffect(() => {
    let unsubscribe: (() => void) | null = null;
    let gone = false;
    backend
      .onEvent((event) => {
        if (event.type === "link_opened") opened(event.opened);
        else dispatch({ type: "event", event });
      })
      .then((u) => (gone ? u() : (unsubscribe = u)));
    backend
      .settings()
      .then(setSettings)
      .then(() => backend.takeOpenedLinks())
      .then((links) => {
        setScreen({ name: "home" });
        links.forEach(opened);
      })
      .catch((e) => {
        setHomeError(toBackendError(e));
        setSettings((s) => s ?? fallbackSettings());
        setScreen({ name: "home" });
      });
    return () => {
      gone = true;
      unsubscribe?.();
    };
  }, [backend, opened]);

  // The desktop figures time these moments from a launch or a link click: once the screen has
  // been painted (two animation frames after it is rendered).
  useEffect(() => {
    if (screen.name !== "home" && screen.name !== "prejoin") return;
    const moment = screen.name;
    let inner = 0;
    const outer = requestAnimationFrame(() => {
      inner = requestAnimationFrame(() => void backend.mark(moment).catch(() => undefined));
    });
    return () => {
      cancelAnimationFrame(outer);
      cancelAnimationFrame(inner);
    };
  }, [backend, screen]);

  const openLink = async (input: string) => {
    setHomeError(null);
    setNotJoinable(null);
    try {
      opened(await backend.openLink(input));
    } catch (e) {
      setHomeError(toBackendError(e));
    }
  };

  const enter = async (entry: Entry, options: JoinOptions) => {
    dispatch({ type: "reset" });
    // The devices and name chosen here are remembered for next time.
    if (settings) {
      const { camera, microphone, speaker, name } = options;
      const next = { ...settings, camera, microphone, speaker, name };
      if (JSON.stringify(next) !== JSON.stringify(settings)) {
        backend.saveSettings(next).then(() => setSettings(next), () => undefined);
      }
    }
    if (entry.entry === "host") {
      const hosted = await backend.host(options);
      setHostedOn(hosted.server);
    } else {
      await backend.join(entry.link.id, options);
    }
    setScreen({ name: "call", options, ...entry });
  };

  const home = () => {
    dispatch({ type: "reset" });
    setScreen({ name: "home" });
  };

  if (!settings || screen.name === "loading") {
    return <main class="screen loading" aria-busy="true" />;
  }

  let body;
  switch (screen.name) {
    case "home":
      body = (
        <Home
          onStart={() => setScreen({ name: "prejoin", entry: "host" })}
          onOpen={openLink}
          onSettings={() => setScreen({ name: "settings" })}
          notJoinable={notJoinable}
          error={homeError}
          onDismiss={() => setHomeError(null)}
        />
      );
      break;
    case "settings":
      body = <SettingsScreen settings={settings} onSaved={setSettings} onBack={() => setScreen({ name: "home" })} />;
      break;
    case "prejoin": {
      const entry: Entry = screen.entry === "host" ? { entry: "host" } : { entry: "join", link: screen.link, server: screen.server };
      body = (
        <PreJoin
          entry={screen.entry}
          server={screen.entry === "join" ? screen.server : null}
          settings={settings}
          onSubmit={(options) => enter(entry, options)}
          onBack={() => setScreen({ name: "home" })}
        />
      );
      break;
    }
    case "call": {
      const server = screen.entry === "join" ? screen.server : hostedOn;
      if (meeting.phase === "over" && meeting.ending) {
        const rejoin = () => setScreen(screen.entry === "host" ? { name: "prejoin", entry: "host" } : { name: "prejoin", entry: "join", link: screen.link, server: screen.server });
        body = <Ended ending={meeting.ending} onHome={home} onRejoin={meeting.ending === "removed" || meeting.ending === "denied" ? null : rejoin} />;
      } else if (meeting.phase === "in_meeting") {
        body = (
          <Meeting
            state={meeting}
            myName={screen.options.name}
            startMuted={screen.options.microphone_off}
            startCameraOff={screen.options.camera_off}
            onDismiss={(what) => dispatch({ type: "dismiss", what })}
            onShareRequested={() => dispatch({ type: "share_requested" })}
          />
        );
      } else {
        body = <Lobby
            entry={screen.entry}
            phase={meeting.phase}
            server={server}
            errors={meeting.errors}
            onDismiss={() => dispatch({ type: "dismiss", what: "errors" })}
            onLeave={() => void backend.command({ type: "leave" }).catch(home)} />;
      }
      break;
    }
  }

  return (
    <BackendContext.Provider value={backend}>
      <I18nContext.Provider value={i18n}>{body}</I18nContext.Provider>
    </BackendContext.Provider>
  );
}

function fallbackSettings(): Settings {
  return { camera: "camera", microphone: "mic", speaker: "default", name: "", server: "", ice: [], turn_user: "", audio: { echo_cancellation: true, noise_suppression: true, gain_control: true }, language: "en", window: { width: 1200, height: 800 } };
}
