#!/usr/bin/env bash
# Installs what Trygg needs, and only what is missing, saying what it does.
#
#   scripts/setup.sh build           # to build and run Trygg
#   scripts/setup.sh test            # to build and run every test as well
#   scripts/setup.sh packages test   # only print the Debian packages `test` installs
#                                    # (scripts/check-commands.pl reads them)
#
# Debian 12 and Ubuntu (22.04 and later) only; elsewhere it stops and points at README.md.
set -euo pipefail

list_only=
if [ "${1:-}" = packages ]; then list_only=1; shift; fi
want="${1:-build}"
case "$want" in build | test) ;; *) echo "usage: $0 [packages] build|test" >&2; exit 2 ;; esac

say() { printf '[setup] %s\n' "$*"; }

# --- the system ---------------------------------------------------------------------------------
if [ "$(uname -s)" != Linux ] || ! grep -qsE '^(ID|ID_LIKE)=.*(debian|ubuntu)' /etc/os-release; then
  echo "[setup] This script installs packages on Debian and Ubuntu only; this is $(uname -s)." >&2
  echo "[setup] Install the prerequisites listed under 'Other systems' in README.md, then use cargo directly." >&2
  exit 1
fi

# --- Rust ---------------------------------------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1; then
  echo "[setup] Rust is missing. Install it with rustup (https://rustup.rs), open a new shell, and run make again." >&2
  exit 1
fi
rust_minor=$(rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')
if [ "${rust_minor:-0}" -lt 91 ]; then
  echo "[setup] Trygg needs Rust 1.91 or newer; $(rustc --version) is installed. Run: rustup update stable" >&2
  exit 1
fi

# --- Debian packages ----------------------------------------------------------------------------
# To build: a C/C++ toolchain for openh264 and libopus (built from source, nothing downloaded),
# nasm for openh264's assembly (without it openh264 silently builds ~3x slower), clang for the
# V4L2 bindings, ALSA headers for audio devices.
packages=(build-essential pkg-config clang libclang-dev cmake nasm libasound2-dev)
# Screen sharing on Wayland talks to PipeWire (its headers; bindings are made with libclang).
packages+=(libpipewire-0.3-dev)
# The desktop app (Tauri 2): WebKitGTK and GTK 3, and what Tauri documents for menus, the tray and
# icons. Node.js and npm build its UI (ui/).
packages+=(libwebkit2gtk-4.1-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev)
if [ -n "$list_only" ] || ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
if [ "$want" = test ]; then
  # To test: FFmpeg validates what our encoder makes and makes known pictures; PulseAudio (with
  # ALSA's pulse plugin, and parec to record what a speaker really plays) is the sound server the
  # audio device tests start; coturn is the TURN
  # server the relay tests start (each test runs its own, on loopback).
  packages+=(ffmpeg pulseaudio pulseaudio-utils libasound2-plugins coturn)
  # The keychain tests start a private D-Bus session with an unlocked gnome-keyring.
  packages+=(dbus gnome-keyring libsecret-tools)
  # Real third-party peers on loopback, and the desktop UI's tests: Chromium, driven by
  # playwright-core from npm.
  packages+=(chromium)
  # Screen capture is tested on a virtual X server the test starts; the desktop app in its real
  # window too: Xvfb, WebKitGTK's WebDriver (driven through tauri-driver, below), xclip to read
  # the invite link the app puts on the clipboard.
  packages+=(xvfb xauth webkit2gtk-driver xclip curl)
  # The package test unpacks the .deb and opens links with it as the desktop would:
  # update-desktop-database (desktop-file-utils), gio (libglib2.0-bin), pgrep (procps).
  packages+=(desktop-file-utils libglib2.0-bin procps)
  # The meeting with every default runs in a network namespace of its own (unshare, from
  # util-linux), with a LAN made of a veth pair (ip, from iproute2).
  packages+=(iproute2)
  # Screen sharing on Wayland is tested through the real portal: a headless sway showing a known
  # slide, PipeWire and WirePlumber, xdg-desktop-portal with its wlroots backend
  # (tests/wayland/portal-stack.sh starts them on a private bus).
  packages+=(sway swaybg grim xdg-desktop-portal xdg-desktop-portal-wlr pipewire pipewire-bin wireplumber dbus-bin)
  # The Windows build is type-checked here (make check-platforms): MinGW compiles the C codecs'
  # build scripts for the Windows target.
  packages+=(gcc-mingw-w64-x86-64-posix g++-mingw-w64-x86-64-posix)
fi

if [ -n "$list_only" ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  if ! grep -q '^Status: install ok installed' <<<"$(dpkg -s "$p" 2>/dev/null)"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  say "Debian packages: all ${#packages[@]} present"
else
  say "installing Debian packages: ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "[setup] need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- Rust targets (tests) ------------------------------------------------------------------------
# The Windows and macOS screen capture code is type-checked for its targets (make check-platforms).
if [ "$want" = test ] && command -v rustup >/dev/null 2>&1; then
  for t in x86_64-pc-windows-gnu aarch64-apple-darwin; do
    if ! grep -qx "$t" <<<"$(rustup target list --installed)"; then
      say "adding the Rust target $t (rustup)"
      rustup target add "$t"
    fi
  done
  say "Rust targets for the Windows and macOS checks: present"
fi

# --- cargo tools (tests) -------------------------------------------------------------------------
# tauri-driver 2.1.0: the WebDriver bridge for the desktop app (3.x is an alpha; not that).
if [ "$want" = test ]; then
  if ! grep -q '^tauri-driver v2\.1\.0:' <<<"$(cargo install --list 2>/dev/null)"; then
    say "installing tauri-driver 2.1.0 (cargo install)"
    cargo install tauri-driver --version 2.1.0 --locked --quiet
  else
    say "tauri-driver 2.1.0: present"
  fi
fi

# --- npm packages --------------------------------------------------------------------------------
# ui/ (the desktop app's front end) always; tests/interop (Chromium peers) for the tests.
npm_dirs=(ui)
if [ "$want" = test ]; then
  npm_dirs+=(tests/interop)
fi
for dir in "${npm_dirs[@]}"; do
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "installing npm packages in $dir (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  else
    say "npm packages in $dir: present"
  fi
done
