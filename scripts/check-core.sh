#!/usr/bin/env bash
# The core ring (see the architecture page) does no I/O: no sockets, files, clocks, threads,
# OS randomness or printing. Time, randomness and bytes come in as arguments; this check keeps
# it that way. (openmls draws its own randomness and reads the clock for lifetimes inside
# src/e2ee/mls/; docs/security.md, "Randomness and time", says why that is accepted.)
set -euo pipefail
cd "$(dirname "$0")/.."
core=(src/room src/e2ee src/links)
forbidden='\btokio\b|std::net::(TcpStream|TcpListener|UdpSocket)|SystemTime::now|Instant::now|\bOsRng\b|thread_rng|std::fs\b|std::thread\b|getrandom::|std::env\b|\bprintln!|\beprintln!'
if hits=$(grep -rnE "$forbidden" "${core[@]}" --include='*.rs' | grep -vE '^\S+:[0-9]+:\s*//'); then
  echo "[check-core] the core ring must stay free of I/O; found:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "[check-core] ${core[*]}: no sockets, files, clocks, threads, OS randomness or printing"
