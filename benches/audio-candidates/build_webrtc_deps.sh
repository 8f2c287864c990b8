#!/usr/bin/env bash
# Prerequisites for the `webrtc` feature (webrtc-audio-processing 2.1, bundled) on Debian 12.
# Debian 12 ships abseil 20220623, but the bundled meson build needs >= 20240722 and its meson
# wrap would download abseil from GitHub (no network here). Debian's meson 1.0.1 also fails
# ("Directory does not contain a valid build tree" with `meson setup --reconfigure` on a new dir).
set -euo pipefail
cd "$(dirname "$0")"
apt-get install -y meson ninja-build          # ninja is used; Debian meson is too old (see above)
python3 -m venv venv && venv/bin/pip install "meson>=1.3" pesq numpy scipy soundfile
mkdir -p tools-bin deps
ln -sf "$PWD/venv/bin/meson" tools-bin/meson
printf '#!/bin/sh\nexec /usr/bin/ninja -j1 "$@"\n' > tools-bin/ninja && chmod +x tools-bin/ninja
# abseil 20240722.0 source: a git archive of tag 20240722.0 of github.com/abseil/abseil-cpp
# (a clone of github.com/abseil/abseil-cpp: ABSL_GIT_DIR=PATH)
git --git-dir="${ABSL_GIT_DIR:?}" archive --prefix=abseil-cpp-20240722.0/ 20240722.0 | tar -x -C deps
cmake -S deps/abseil-cpp-20240722.0 -B deps/absl-build -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_STANDARD=17 -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DBUILD_TESTING=OFF \
  -DABSL_PROPAGATE_CXX_STD=ON -DCMAKE_INSTALL_PREFIX="$PWD/deps/absl-prefix" -DCMAKE_INSTALL_LIBDIR=lib
nice -n 10 cmake --build deps/absl-build -j1
cmake --install deps/absl-build
