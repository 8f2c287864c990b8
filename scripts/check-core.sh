#!/usr/bin/env bash
# The core ring (core/, the trygg-core crate) stays sans-I/O:
# 1. the compiler guards it: none of the runtime's crates is among its dependencies;
# 2. time and randomness come in as arguments or injected providers: no clock, no OS randomness,
#    no threads, files or environment in its source (openmls draws its own through the crypto
#    provider it is given; see core/src/lib.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
runtime='^(tokio|tokio-[a-z-]+|webrtc|webrtc-[a-z-]+|keyring-core|zbus[a-z_-]*|cpal|nokhwa|tauri|tauri-[a-z-]+|wry|mio|socket2) v'
deps=$(cargo tree --locked -p trygg-core -e normal,build --prefix none --format '{p}' | sort -u)
if hits=$(grep -E "$runtime" <<<"$deps"); then
  echo "[check-core] trygg-core must not depend on the runtime's crates; found:" >&2
  echo "$hits" >&2
  exit 1
fi
forbidden='SystemTime::now|Instant::now|\bOsRng\b|thread_rng|std::fs\b|std::thread\b|getrandom::|std::env\b|std::net::(TcpStream|TcpListener|UdpSocket)|\bprintln!|\beprintln!'
if hits=$(grep -rnE "$forbidden" core/src --include='*.rs' | grep -vE '^\S+:[0-9]+:\s*//'); then
  echo "[check-core] the core ring must take time and randomness as arguments; found:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "[check-core] trygg-core: $(wc -l <<<"$deps") crates, none of the runtime's; no clocks, OS randomness, threads, files or printing in core/src"
