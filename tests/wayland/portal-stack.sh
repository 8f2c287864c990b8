#!/bin/bash
# wayland-portal-stack.sh - hermetic headless Wayland + PipeWire + xdg-desktop-portal ScreenCast stack
#
# Brings up, with no GPU / input devices / network and nothing from the user's session:
#   private D-Bus session bus -> headless sway (pixman) -> swaybg showing PNG full screen on
#   HEADLESS-1 -> pipewire + wireplumber -> xdg-permission-store -> xdg-desktop-portal-wlr
#   (chooser_type=none, output_name=HEADLESS-1) -> xdg-desktop-portal (XDG_CURRENT_DESKTOP=sway)
#
# Usage:
#   eval "$(wayland-portal-stack.sh start [-r RUNTIME_DIR] PNG)"   # starts, prints exports, returns
#   wayland-portal-stack.sh run   [-r RUNTIME_DIR] PNG             # same, stays in foreground until
#                                                                  # SIGINT/SIGTERM, then stops all
#   wayland-portal-stack.sh stop  [RUNTIME_DIR]                    # default: $XDG_RUNTIME_DIR
#   wayland-portal-stack.sh env   [RUNTIME_DIR]                    # re-print the export lines
#
# stdout carries only `export ...` lines; progress and errors go to stderr.
# Every component runs in one process group (the script puts itself in a new session), so
# `kill -- -$WPS_PGID` also stops everything. Pids: $RT/stack.pids, logs: $RT/logs/*.log,
# configs: $RT/conf/*.
#
# Knobs (environment):
#   WPS_TIMEOUT=20           seconds to wait for each component
#   WPS_RESOLUTION=1920x1080 output mode
#   WPS_OUTPUT_NAME=HEADLESS-1  output_name given to xdpw (set to something else to test errors)
#   WPS_BG_MODE=stretch      swaybg mode (stretch|fill|fit|center|tile)
#   WPS_MAX_FPS=             xdpw max_fps (unset: output refresh rate)
#   WPS_XDPW=1               0: do not start xdg-desktop-portal-wlr (portal without ScreenCast backend)
#   WPS_WIREPLUMBER=1        0: do not start wireplumber (streams will never get linked)
#   WPS_XDPW_SHIM=1          0: run xdpw 0.7 unpatched (ScreenCast Start then fails on pixman, see below)
#   WPS_XDPW_SHIM_SO=path    use this prebuilt shim instead of compiling it with cc
#   WPS_SWAY_USERNS_UID=1000 uid sway runs as inside its user namespace when started as root
#   WPS_XDPW_LOGLEVEL=DEBUG  xdpw -l level (QUIET ERROR WARN INFO DEBUG TRACE)
#   WPS_DAMAGE_HZ=5          damage ticker rate (0: off). xdpw only sends frames when the screen is
#                            damaged; the ticker re-commits a 1x1 fully transparent overlay surface
#                            so every cast keeps getting (pixel-identical) frames
#
# Notes: as root, sway is run inside `unshare --user` (sway refuses real root). xdpw 0.7.0 cannot
# cast from a pixman (non-dmabuf) compositor at all; an LD_PRELOAD shim (C source embedded below,
# built with cc into $RT/conf) fakes the screencopy linux_dmabuf event it insists on; buffers
# stay shm: BGRx, SPA_DATA_MemFd, stride 4*width. Needs: dbus-daemon, dbus-send, sway, swaymsg,
# swaybg, pipewire, pw-cli, wireplumber, xdg-desktop-portal(-wlr), xdg-permission-store, cc,
# python3 (ticker), unshare (root only), grim (optional, for the wallpaper check).
set -u
set -o pipefail

PROG=wayland-portal-stack
SELF=$(readlink -f "$0")
COMPONENTS_LOG_TAIL=15

log() { printf '%s: %s%s\n' "$PROG" "${T0:+[+$(elapsed "$T0")s] }" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() {
    sed -n '2,/^set -u/p' "$SELF" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//' >&2
    exit 2
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# ---------------------------------------------------------------------------- stop
# kill everything listed in $RT/stack.pids (reverse start order), then the process group
stop_stack() {
    local rt=$1 quiet=${2:-}
    local pidfile=$rt/stack.pids
    [ -f "$pidfile" ] || { [ -n "$quiet" ] || log "nothing to stop in $rt (no stack.pids)"; return 0; }
    local -a names=() pids=()
    local n p
    while read -r n p; do
        [ -n "${p:-}" ] || continue
        names=("$n" "${names[@]}"); pids=("$p" "${pids[@]}")
    done < "$pidfile"
    local i
    for i in "${!pids[@]}"; do
        p=${pids[$i]}
        if kill -0 "$p" 2>/dev/null; then
            kill -TERM "$p" 2>/dev/null && [ -z "$quiet" ] && log "stopping ${names[$i]} ($p)"
        fi
    done
    local deadline=$((SECONDS + 3)) alive
    while :; do
        alive=0
        for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        [ $SECONDS -ge $deadline ] && break
        sleep 0.1
    done
    for i in "${!pids[@]}"; do
        p=${pids[$i]}
        if kill -0 "$p" 2>/dev/null; then
            log "${names[$i]} ($p) ignored SIGTERM, sending SIGKILL"
            kill -KILL "$p" 2>/dev/null
        fi
    done
    # sweep the process group (children we did not track), never our own group
    local pgid
    pgid=$(cat "$rt/stack.pgid" 2>/dev/null)
    if [ -n "$pgid" ] && [ "$pgid" != "$(ps -o pgid= $$ | tr -d ' ')" ]; then
        kill -TERM -- "-$pgid" 2>/dev/null
    fi
    rm -f "$pidfile"
    return 0
}

print_env() {
    local rt=$1
    [ -f "$rt/stack.env" ] || die "no $rt/stack.env (stack not started?)"
    cat "$rt/stack.env"
}

# ---------------------------------------------------------------------------- start
PIDFILE=
RT=
T0=

record_pid() { echo "$1 $2" >> "$PIDFILE"; }

# fail NAME MESSAGE: print error + log tail, stop what we started, exit 1
fail() {
    local name=$1; shift
    local logf=$RT/logs/$name.log
    printf '%s: ERROR: %s did not come up: %s\n' "$PROG" "$name" "$*" >&2
    if [ -s "$logf" ]; then
        printf '%s: ---- last lines of %s ----\n' "$PROG" "$logf" >&2
        tail -n $COMPONENTS_LOG_TAIL "$logf" | sed 's/^/    /' >&2
    fi
    stop_stack "$RT" quiet
    exit 1
}

# wait_for NAME PID TIMEOUT CMD...: poll CMD until it succeeds; fail if PID dies, on timeout,
# or at once if CMD returns 99 (with the reason in FAIL_MSG)
wait_for() {
    local name=$1 pid=$2 timeout=$3; shift 3
    local deadline
    deadline=$(awk -v t="$(now)" -v d="$timeout" 'BEGIN { printf "%.3f", t + d }')
    local rc
    while :; do
        FAIL_MSG=
        "$@" >/dev/null 2>&1; rc=$?
        [ $rc = 0 ] && return 0
        [ $rc = 99 ] && fail "$name" "${FAIL_MSG:-check '$*' failed hard}"
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null; rc=$?
            fail "$name" "process $pid exited (status $rc) while waiting for: $WAIT_WHAT"
        fi
        if awk -v t="$(now)" -v d="$deadline" 'BEGIN { exit !(t > d) }'; then
            fail "$name" "timed out after ${timeout}s waiting for: $WAIT_WHAT"
        fi
        sleep 0.05
    done
}

bus_has_name() {
    dbus-send --bus="$DBUS_SESSION_BUS_ADDRESS" --print-reply=literal --reply-timeout=1000 \
        --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
        "string:$1" 2>/dev/null | grep -q true
}

bus_alive() {
    dbus-send --bus="$DBUS_SESSION_BUS_ADDRESS" --print-reply --reply-timeout=1000 \
        --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetId
}

sway_socket_ready() {
    local d
    d=$(sed -n "s/.*Running compositor on wayland display '\([^']*\)'.*/\1/p" "$RT/logs/sway.log" | head -n1)
    [ -n "$d" ] && [ -S "$RT/$d" ] || return 1
    WAYLAND_DISPLAY_FOUND=$d
}

sway_output_ready() {
    local s
    s=$(ls "$RT"/sway-ipc.*."$SWAY_PID".sock 2>/dev/null | head -n1)
    [ -S "$s" ] || return 1
    SWAYSOCK_FOUND=$s
    swaymsg -s "$s" -t get_outputs 2>/dev/null | tr -d ' \n' | grep -q "\"name\":\"HEADLESS-1\",.*\"active\":true"
}

grim_sum() { grim -t ppm - 2>/dev/null | cksum | cut -d' ' -f1; }

swaybg_ready() {
    if grep -q 'Failed to load' "$RT/logs/swaybg.log"; then
        FAIL_MSG="swaybg cannot load the image: $(grep -m1 'Failed to load' "$RT/logs/swaybg.log" | sed 's/^.*\] //')"
        return 99
    fi
    grep -q 'new layer surface: namespace wallpaper' "$RT/logs/sway.log" || return 1
    if [ -n "$BASELINE_SUM" ]; then
        local s; s=$(grim_sum)
        [ -n "$s" ] && [ "$s" != "$BASELINE_SUM" ] && return 0
        # identical to the empty desktop (e.g. an all-black PNG): accept after a grace period
        [ -z "$LAYER_SEEN_AT" ] && LAYER_SEEN_AT=$SECONDS
        [ $((SECONDS - LAYER_SEEN_AT)) -ge 2 ] && { SWAYBG_UNCHANGED=1; return 0; }
        return 1
    fi
    return 0
}

pw_ready() { [ -S "$RT/pipewire-0" ] && timeout 3 pw-cli info 0 | grep -q 'PipeWire:Interface:Core'; }

wp_ready() {
    local out
    out=$(timeout 3 pw-cli ls 2>/dev/null) || return 1
    grep -q 'application.name = "WirePlumber"' <<<"$out" && grep -q 'metadata.name = "default"' <<<"$out"
}

portal_ready() {
    bus_has_name org.freedesktop.portal.Desktop || return 1
    [ "$WPS_XDPW" = 0 ] && return 0
    # the ScreenCast frontend is only exported when a backend was found
    dbus-send --bus="$DBUS_SESSION_BUS_ADDRESS" --print-reply=literal --reply-timeout=2000 \
        --dest=org.freedesktop.portal.Desktop /org/freedesktop/portal/desktop \
        org.freedesktop.DBus.Properties.Get string:org.freedesktop.portal.ScreenCast string:version \
        2>/dev/null | grep -q uint32
}

# launch NAME CMD...: start in background (same process group), log to $RT/logs/NAME.log
launch() {
    local name=$1; shift
    "$@" > "$RT/logs/$name.log" 2>&1 < /dev/null &
    LAST_PID=$!
    record_pid "$name" "$LAST_PID"
}

write_ticker() {
    cat > "$RT/conf/damage-ticker.py" <<'PYEOF'
#!/usr/bin/python3
"""Keep the output damaged without changing a single pixel.

xdg-desktop-portal-wlr captures with zwlr_screencopy copy_with_damage, so on a static screen it
produces exactly one frame per cast (and that first frame can be lost if it is queued before the
consumer's link is active). This minimal Wayland client (stdlib only) maps a 1x1 fully transparent
ARGB8888 layer-shell surface (overlay layer, empty input region) in the top-left corner and
re-commits it with damage N times per second: sway repaints that region with identical pixels,
the output commits, and xdpw delivers a fresh (identical) frame.
usage: damage_ticker.py [HZ]   (WAYLAND_DISPLAY/XDG_RUNTIME_DIR from the environment)
"""
import array, os, select, socket, struct, sys, time

hz = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
path = os.environ["WAYLAND_DISPLAY"]
if not path.startswith("/"):
    path = os.path.join(os.environ["XDG_RUNTIME_DIR"], path)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(path)

next_id = [2]
def new_id():
    i = next_id[0]; next_id[0] += 1; return i

def s_arg(s):
    b = s.encode() + b"\0"
    return struct.pack("<I", len(b)) + b + b"\0" * (-len(b) % 4)

def send(obj, op, payload=b"", fds=()):
    msg = struct.pack("<II", obj, ((8 + len(payload)) << 16) | op) + payload
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    sock.sendmsg([msg], anc)

buf = b""
def pump(timeout):
    """read events; returns list of (obj, op, payload)"""
    global buf
    evs = []
    r, _, _ = select.select([sock], [], [], timeout)
    if r:
        data = sock.recv(65536)
        if not data:
            sys.exit("damage-ticker: compositor closed the connection")
        buf += data
    while len(buf) >= 8:
        obj, so = struct.unpack_from("<II", buf)
        size = so >> 16
        if len(buf) < size:
            break
        evs.append((obj, so & 0xffff, buf[8:size]))
        buf = buf[size:]
    for obj, op, p in evs:
        if obj == 1 and op == 0:  # wl_display.error(object, code, message)
            o, code, ln = struct.unpack_from("<III", p)
            sys.exit("damage-ticker: protocol error on object %d code %d: %s" % (o, code, p[12:12 + ln - 1].decode()))
    return evs

# registry roundtrip
REG = new_id(); send(1, 1, struct.pack("<I", REG))
CB = new_id(); send(1, 0, struct.pack("<I", CB))
globs = {}
done = False
while not done:
    for obj, op, p in pump(5):
        if obj == REG and op == 0:
            name, ln = struct.unpack_from("<II", p)
            iface = p[8:8 + ln - 1].decode()
            ver = struct.unpack_from("<I", p, 8 + ln + (-ln % 4))[0]
            globs[iface] = (name, ver)
        elif obj == CB and op == 0:
            done = True
for need in ("wl_compositor", "wl_shm", "zwlr_layer_shell_v1"):
    if need not in globs:
        sys.exit("damage-ticker: compositor lacks " + need)

def bind(iface, ver):
    name, have = globs[iface]
    i = new_id()
    send(REG, 0, struct.pack("<I", name) + s_arg(iface) + struct.pack("<II", min(ver, have), i))
    return i

COMP = bind("wl_compositor", 4)
SHM = bind("wl_shm", 1)
LSH = bind("zwlr_layer_shell_v1", 1)

# two 1x1 transparent ARGB8888 buffers in one pool
fd = os.memfd_create("wps-damage", 0)
os.ftruncate(fd, 8)
POOL = new_id(); send(SHM, 0, struct.pack("<Ii", POOL, 8), fds=(fd,))
os.close(fd)
BUFS = []
for off in (0, 4):
    b = new_id(); send(POOL, 0, struct.pack("<IiiiiI", b, off, 1, 1, 4, 0)); BUFS.append(b)  # format 0 = ARGB8888

SURF = new_id(); send(COMP, 0, struct.pack("<I", SURF))
REGION = new_id(); send(COMP, 1, struct.pack("<I", REGION))          # empty region
send(SURF, 5, struct.pack("<I", REGION))                             # set_input_region(empty)
LS = new_id()
send(LSH, 0, struct.pack("<IIII", LS, SURF, 0, 3) + s_arg("wps-damage-ticker"))  # output=any, layer=overlay
send(LS, 0, struct.pack("<II", 1, 1))     # set_size 1x1
send(LS, 1, struct.pack("<I", 1 | 4))     # anchor top|left
send(SURF, 6)                             # commit (no buffer) -> configure
configured = False
t0 = time.monotonic()
while not configured:
    for obj, op, p in pump(1):
        if obj == LS and op == 0:
            serial = struct.unpack_from("<I", p)[0]
            send(LS, 6, struct.pack("<I", serial))   # ack_configure
            configured = True
        elif obj == LS and op == 1:
            sys.exit("damage-ticker: layer surface closed")
    if time.monotonic() - t0 > 10:
        sys.exit("damage-ticker: no configure from compositor")
print("damage-ticker: mapped 1x1 transparent overlay surface, damaging at %g Hz" % hz, flush=True)
n = 0
period = 1.0 / hz if hz > 0 else 3600
next_t = time.monotonic()
while True:
    send(SURF, 1, struct.pack("<Iii", BUFS[n % 2], 0, 0))   # attach
    send(SURF, 2, struct.pack("<iiii", 0, 0, 1, 1))        # damage
    send(SURF, 6)                                          # commit
    n += 1
    next_t += period
    while True:
        left = next_t - time.monotonic()
        if left <= 0:
            break
        for obj, op, p in pump(left):
            if obj == LS and op == 0:
                send(LS, 6, p[:4])
            elif obj == LS and op == 1:
                sys.exit("damage-ticker: layer surface closed")
PYEOF
}

build_shim() {
    local so=$RT/conf/xdpw-shm-shim.so src=$RT/conf/xdpw-shm-shim.c cc
    if [ -n "${WPS_XDPW_SHIM_SO:-}" ]; then
        [ -r "$WPS_XDPW_SHIM_SO" ] || fail xdpw "WPS_XDPW_SHIM_SO=$WPS_XDPW_SHIM_SO not readable"
        SHIM_SO=$WPS_XDPW_SHIM_SO; return
    fi
    cc=$(command -v cc || command -v gcc || command -v clang) ||
        fail xdpw "need a C compiler (cc) to build the xdpw shm shim, or set WPS_XDPW_SHIM_SO, or WPS_XDPW_SHIM=0"
    cat > "$src" <<'EOF'
/* LD_PRELOAD shim for xdg-desktop-portal-wlr 0.7.x on compositors without dmabuf (wlroots with
 * WLR_RENDERER=pixman): xdpw 0.7 refuses to start a cast ("unable to receive a valid format from
 * wlr_screencopy") unless each screencopy frame also sends a linux_dmabuf event, which wlroots only
 * does when the output buffer is a dmabuf. Wrap the zwlr_screencopy_frame_v1 listener and
 * synthesise that event (same format as the shm buffer) right before buffer_done when the
 * compositor did not send one. xdpw has no zwp_linux_dmabuf_v1/gbm then, so it still only offers
 * and uses shm (MemFd) buffers. The compositor sends buffer, [linux_dmabuf], buffer_done back to
 * back, so one "current frame" record suffices. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>
struct wl_proxy;
struct frame_listener {
	void (*buffer)(void *, struct wl_proxy *, uint32_t, uint32_t, uint32_t, uint32_t);
	void (*flags)(void *, struct wl_proxy *, uint32_t);
	void (*ready)(void *, struct wl_proxy *, uint32_t, uint32_t, uint32_t);
	void (*failed)(void *, struct wl_proxy *);
	void (*damage)(void *, struct wl_proxy *, uint32_t, uint32_t, uint32_t, uint32_t);
	void (*linux_dmabuf)(void *, struct wl_proxy *, uint32_t, uint32_t, uint32_t);
	void (*buffer_done)(void *, struct wl_proxy *);
};
static const struct frame_listener *orig;
static struct { struct wl_proxy *f; uint32_t fmt, w, h; int dmabuf; } cur;
static void w_buffer(void *d, struct wl_proxy *f, uint32_t fmt, uint32_t w, uint32_t h, uint32_t st) {
	cur.f = f; cur.fmt = fmt; cur.w = w; cur.h = h; cur.dmabuf = 0;
	if (orig->buffer) orig->buffer(d, f, fmt, w, h, st);
}
static void w_flags(void *d, struct wl_proxy *f, uint32_t fl) { if (orig->flags) orig->flags(d, f, fl); }
static void w_ready(void *d, struct wl_proxy *f, uint32_t a, uint32_t b, uint32_t c) { if (orig->ready) orig->ready(d, f, a, b, c); }
static void w_failed(void *d, struct wl_proxy *f) { if (orig->failed) orig->failed(d, f); }
static void w_damage(void *d, struct wl_proxy *f, uint32_t x, uint32_t y, uint32_t w, uint32_t h) { if (orig->damage) orig->damage(d, f, x, y, w, h); }
static void w_dmabuf(void *d, struct wl_proxy *f, uint32_t fmt, uint32_t w, uint32_t h) {
	if (cur.f == f) cur.dmabuf = 1;
	if (orig->linux_dmabuf) orig->linux_dmabuf(d, f, fmt, w, h);
}
static void w_done(void *d, struct wl_proxy *f) {
	if (cur.f == f && !cur.dmabuf && orig->linux_dmabuf) {
		/* wl_shm: 0=ARGB8888 1=XRGB8888; every other code equals the DRM fourcc */
		uint32_t drm = cur.fmt == 0 ? 0x34325241 : cur.fmt == 1 ? 0x34325258 : cur.fmt;
		orig->linux_dmabuf(d, f, drm, cur.w, cur.h);
	}
	cur.f = NULL;
	if (orig->buffer_done) orig->buffer_done(d, f);
}
static const struct frame_listener wrapped = { w_buffer, w_flags, w_ready, w_failed, w_damage, w_dmabuf, w_done };
int wl_proxy_add_listener(struct wl_proxy *p, void (**impl)(void), void *data) {
	static int (*real)(struct wl_proxy *, void (**)(void), void *);
	static const char *(*get_class)(struct wl_proxy *);
	if (!real) real = (int (*)(struct wl_proxy *, void (**)(void), void *))dlsym(RTLD_NEXT, "wl_proxy_add_listener");
	if (!get_class) get_class = (const char *(*)(struct wl_proxy *))dlsym(RTLD_DEFAULT, "wl_proxy_get_class");
	if (get_class && strcmp(get_class(p), "zwlr_screencopy_frame_v1") == 0) {
		orig = (const struct frame_listener *)impl;
		return real(p, (void (**)(void))&wrapped, data);
	}
	return real(p, impl, data);
}
EOF
    "$cc" -shared -fPIC -O2 -o "$so" "$src" -ldl > "$RT/logs/xdpw-shim-build.log" 2>&1 ||
        { cp "$RT/logs/xdpw-shim-build.log" "$RT/logs/xdpw.log"; fail xdpw "building the xdpw shm shim with $cc failed"; }
    SHIM_SO=$so
}

start_stack() {
    local png=$1 mode=$2
    T0=$(now)
    local timeout=${WPS_TIMEOUT:-20}
    local res=${WPS_RESOLUTION:-1920x1080}
    local outname=${WPS_OUTPUT_NAME:-HEADLESS-1}
    WPS_XDPW=${WPS_XDPW:-1}
    local i

    [ -r "$png" ] || die "PNG '$png' not readable"
    png=$(readlink -f "$png")
    for i in dbus-daemon dbus-send sway swaymsg swaybg pipewire pw-cli; do
        command -v "$i" >/dev/null || die "missing program: $i"
    done
    for i in /usr/libexec/xdg-desktop-portal /usr/libexec/xdg-desktop-portal-wlr /usr/libexec/xdg-permission-store; do
        [ -x "$i" ] || die "missing program: $i"
    done

    mkdir -p "$RT" || die "cannot create runtime dir $RT"
    chmod 700 "$RT"
    if [ -s "$RT/stack.pids" ]; then
        local n p
        while read -r n p; do
            kill -0 "$p" 2>/dev/null && die "$RT already has a running stack ($n pid $p alive); run: $SELF stop '$RT'"
        done < "$RT/stack.pids"
        rm -f "$RT/stack.pids"   # stale (stack was killed by process group)
    fi
    rm -f "$RT/stack.env"
    mkdir -p "$RT/logs" "$RT/conf" "$RT/home/config" "$RT/home/data" "$RT/home/state" "$RT/home/cache" "$RT/dbus-services"
    PIDFILE=$RT/stack.pids
    : > "$PIDFILE"
    ps -o pgid= $$ | tr -d ' ' > "$RT/stack.pgid"
    trap 'stop_stack "$RT" quiet; exit 130' INT
    trap 'stop_stack "$RT" quiet; exit 143' TERM

    # --- hermetic environment shared by every component
    unset WAYLAND_DISPLAY WAYLAND_SOCKET DISPLAY SWAYSOCK I3SOCK PIPEWIRE_REMOTE PIPEWIRE_RUNTIME_DIR \
          DBUS_STARTER_ADDRESS DBUS_STARTER_BUS_TYPE LD_PRELOAD
    export XDG_RUNTIME_DIR=$RT
    export DBUS_SESSION_BUS_ADDRESS=unix:path=$RT/bus
    export XDG_CURRENT_DESKTOP=sway XDG_SESSION_DESKTOP=sway XDG_SESSION_TYPE=wayland
    export XDG_CONFIG_HOME=$RT/home/config XDG_DATA_HOME=$RT/home/data
    export XDG_STATE_HOME=$RT/home/state XDG_CACHE_HOME=$RT/home/cache
    export GSETTINGS_BACKEND=memory GIO_USE_VFS=local NO_AT_BRIDGE=1

    # --- 1. D-Bus session bus (private config: no service activation, nothing auto-spawned)
    cat > "$RT/conf/dbus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path=$RT/bus</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$RT/dbus-services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
    log "starting dbus-daemon"
    launch dbus dbus-daemon --config-file="$RT/conf/dbus.conf" --nofork --nopidfile --nosyslog
    WAIT_WHAT="socket $RT/bus answering org.freedesktop.DBus.GetId"
    wait_for dbus "$LAST_PID" "$timeout" bus_alive

    # --- 2. headless sway
    cat > "$RT/conf/sway.conf" <<EOF
# written by $PROG
xwayland disable
output HEADLESS-1 resolution $res position 0 0 scale 1
default_border none
focus_follows_mouse no
EOF
    export WLR_BACKENDS=headless WLR_HEADLESS_OUTPUTS=1 WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman
    local -a swaycmd=(sway -d -c "$RT/conf/sway.conf")
    if [ "$(id -u)" = 0 ]; then
        # sway refuses to run as (real) root: "Unable to drop root ... refusing to start". Run it
        # as an unprivileged uid inside a user namespace mapped onto our uid, so the sockets it
        # creates in $RT are still owned by us.
        local nsuid=${WPS_SWAY_USERNS_UID:-1000}
        unshare --user --map-user="$nsuid" --map-group="$nsuid" true 2>/dev/null ||
            fail sway "running as root: sway refuses to run as root and user namespaces are unavailable (unshare --user failed); run this script as a non-root user"
        swaycmd=(unshare --user --map-user="$nsuid" --map-group="$nsuid" "${swaycmd[@]}")
    fi
    log "starting sway (headless, pixman, $res)"
    launch sway "${swaycmd[@]}"
    SWAY_PID=$LAST_PID
    WAIT_WHAT="'Running compositor on wayland display' in sway.log and the socket in $RT"
    wait_for sway "$SWAY_PID" "$timeout" sway_socket_ready
    export WAYLAND_DISPLAY=$WAYLAND_DISPLAY_FOUND
    WAIT_WHAT="sway IPC socket and output HEADLESS-1 active"
    wait_for sway "$SWAY_PID" "$timeout" sway_output_ready
    export SWAYSOCK=$SWAYSOCK_FOUND
    unset WLR_BACKENDS WLR_HEADLESS_OUTPUTS WLR_LIBINPUT_NO_DEVICES WLR_RENDERER
    local actual
    actual=$(swaymsg -s "$SWAYSOCK" -t get_outputs -r 2>/dev/null | tr -d ' \n' |
             sed -n 's/.*"current_mode":{"width":\([0-9]*\),"height":\([0-9]*\).*/\1x\2/p')
    [ "$actual" = "$res" ] || fail sway "output HEADLESS-1 mode is '$actual', wanted $res"

    # --- 3. swaybg with the PNG
    BASELINE_SUM=; LAYER_SEEN_AT=; SWAYBG_UNCHANGED=
    command -v grim >/dev/null && BASELINE_SUM=$(grim_sum)
    log "starting swaybg ($png)"
    launch swaybg swaybg -o HEADLESS-1 -i "$png" -m "${WPS_BG_MODE:-stretch}"
    WAIT_WHAT="wallpaper layer surface mapped${BASELINE_SUM:+ and screen content changed (grim)}"
    wait_for swaybg "$LAST_PID" "$timeout" swaybg_ready
    [ -n "$SWAYBG_UNCHANGED" ] && log "warning: screen looks the same as before swaybg (PNG identical to empty desktop?)"

    # --- 3b. damage ticker (keeps xdpw producing frames on a static screen)
    local hz=${WPS_DAMAGE_HZ:-5}
    if [ "$hz" != 0 ]; then
        local py
        py=$(command -v /usr/bin/python3 || command -v python3) || fail damage-ticker "python3 not found (set WPS_DAMAGE_HZ=0 to skip)"
        write_ticker
        log "starting damage ticker (${hz} Hz)"
        launch damage-ticker "$py" -u "$RT/conf/damage-ticker.py" "$hz"
        WAIT_WHAT="'mapped 1x1 transparent overlay surface' in damage-ticker.log"
        wait_for damage-ticker "$LAST_PID" "$timeout" grep -q 'mapped 1x1' "$RT/logs/damage-ticker.log"
    fi

    # --- 4. pipewire + wireplumber (hardware monitors disabled)
    log "starting pipewire"
    launch pipewire pipewire
    WAIT_WHAT="socket $RT/pipewire-0 answering pw-cli info 0"
    wait_for pipewire "$LAST_PID" "$timeout" pw_ready
    if [ "${WPS_WIREPLUMBER:-1}" != 0 ]; then
        mkdir -p "$XDG_CONFIG_HOME/wireplumber/main.lua.d" "$XDG_CONFIG_HOME/wireplumber/bluetooth.lua.d"
        printf 'alsa_monitor.enabled = false\nv4l2_monitor.enabled = false\nlibcamera_monitor.enabled = false\n' \
            > "$XDG_CONFIG_HOME/wireplumber/main.lua.d/51-wps-no-hardware.lua"
        printf 'bluez_monitor.enabled = false\n' > "$XDG_CONFIG_HOME/wireplumber/bluetooth.lua.d/51-wps-no-bluez.lua"
        log "starting wireplumber"
        launch wireplumber wireplumber
        WAIT_WHAT="WirePlumber client and its \"default\" metadata in pipewire"
        wait_for wireplumber "$LAST_PID" "$timeout" wp_ready
    else
        log "WPS_WIREPLUMBER=0: not starting wireplumber (no session manager: streams will not be linked)"
    fi

    # --- 5. portals
    log "starting xdg-permission-store"
    launch permission-store /usr/libexec/xdg-permission-store --replace
    WAIT_WHAT="bus name org.freedesktop.impl.portal.PermissionStore"
    wait_for permission-store "$LAST_PID" "$timeout" bus_has_name org.freedesktop.impl.portal.PermissionStore

    if [ "$WPS_XDPW" != 0 ]; then
        {
            echo "[screencast]"
            echo "output_name=$outname"
            echo "chooser_type=none"
            [ -n "${WPS_MAX_FPS:-}" ] && echo "max_fps=$WPS_MAX_FPS"
        } > "$RT/conf/xdpw.conf"
        local -a xdpwcmd=(/usr/libexec/xdg-desktop-portal-wlr -l "${WPS_XDPW_LOGLEVEL:-DEBUG}" -c "$RT/conf/xdpw.conf")
        SHIM_SO=
        if [ "${WPS_XDPW_SHIM:-1}" != 0 ]; then
            build_shim
            xdpwcmd=(env LD_PRELOAD="$SHIM_SO" "${xdpwcmd[@]}")
        fi
        log "starting xdg-desktop-portal-wlr (output_name=$outname${SHIM_SO:+, shm shim})"
        launch xdpw "${xdpwcmd[@]}"
        WAIT_WHAT="bus name org.freedesktop.impl.portal.desktop.wlr"
        wait_for xdpw "$LAST_PID" "$timeout" bus_has_name org.freedesktop.impl.portal.desktop.wlr
    else
        log "WPS_XDPW=0: not starting xdg-desktop-portal-wlr"
    fi

    log "starting xdg-desktop-portal"
    launch portal /usr/libexec/xdg-desktop-portal --verbose --replace
    WAIT_WHAT="bus name org.freedesktop.portal.Desktop"
    [ "$WPS_XDPW" != 0 ] && WAIT_WHAT="bus name org.freedesktop.portal.Desktop and its ScreenCast interface"
    wait_for portal "$LAST_PID" "$timeout" portal_ready

    # --- done
    {
        echo "export XDG_RUNTIME_DIR='$RT'"
        echo "export DBUS_SESSION_BUS_ADDRESS='$DBUS_SESSION_BUS_ADDRESS'"
        echo "export WAYLAND_DISPLAY='$WAYLAND_DISPLAY'"
        echo "export XDG_CURRENT_DESKTOP='sway'"
        echo "export SWAYSOCK='$SWAYSOCK'"
        echo "export PIPEWIRE_RUNTIME_DIR='$RT'"
        echo "export WPS_RUNTIME_DIR='$RT'"
        echo "export WPS_PGID='$(cat "$RT/stack.pgid")'"
    } > "$RT/stack.env"
    trap - INT TERM
    log "ready in $(elapsed "$T0")s (runtime dir $RT, logs in $RT/logs, stop with: $SELF stop '$RT')"
    cat "$RT/stack.env"

    if [ "$mode" = run ]; then
        trap 'log "stopping"; stop_stack "$RT"; exit 0' INT TERM HUP
        # exit (and stop everything) as soon as any component dies
        local n p
        while :; do
            while read -r n p; do
                if ! kill -0 "$p" 2>/dev/null; then
                    log "$n ($p) exited; stopping the stack"
                    stop_stack "$RT"; exit 1
                fi
            done < "$PIDFILE"
            sleep 1 & wait $!
        done
    fi
}

# ---------------------------------------------------------------------------- main
cmd=${1:-}; [ $# -gt 0 ] && shift
case "$cmd" in
    start|run)
        rtarg=
        while getopts "r:h" o; do
            case $o in r) rtarg=$OPTARG ;; *) usage ;; esac
        done
        shift $((OPTIND - 1))
        [ $# -eq 1 ] || usage
        # put the whole stack in a fresh session/process group (pgid = our pid) so it can be
        # killed as a group and is detached from the caller's terminal/job control
        if [ -z "${WPS_IN_SESSION:-}" ]; then
            WPS_IN_SESSION=1 exec setsid -w "$SELF" "$cmd" ${rtarg:+-r "$rtarg"} "$1"
        fi
        unset WPS_IN_SESSION
        if [ -n "$rtarg" ]; then
            RT=$rtarg
        else
            RT=$(mktemp -d "${TMPDIR:-/tmp}/wps-rt.XXXXXX") || die "mktemp failed"
        fi
        mkdir -p "$RT" && RT=$(readlink -f "$RT")
        start_stack "$1" "$cmd"
        ;;
    stop)
        rt=${1:-${XDG_RUNTIME_DIR:-}}
        [ -n "$rt" ] || die "stop: give the runtime dir (or set XDG_RUNTIME_DIR)"
        stop_stack "$rt"
        ;;
    env)
        rt=${1:-${XDG_RUNTIME_DIR:-}}
        [ -n "$rt" ] || die "env: give the runtime dir (or set XDG_RUNTIME_DIR)"
        print_env "$rt"
        ;;
    *) usage ;;
esac
