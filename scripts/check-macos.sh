#!/usr/bin/env bash
# Type-checks the macOS screen capture backend (src/media/screen/macos.rs) for aarch64-apple-darwin
# on a machine without the macOS SDK. The whole library cannot be checked for macOS here (its C
# codecs need Apple's headers), so this builds a small crate from the real media files the
# backend uses, with screencapturekit itself; DOCS_RS=1 makes screencapturekit skip its Swift
# bridge, so its Rust API is checked, not linked. Nothing is run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=aarch64-apple-darwin
grep -qx "$target" <<<"$(rustup target list --installed)" || { echo "[check-macos] adding the Rust target $target"; rustup target add "$target"; }
dir=${CARGO_TARGET_DIR:-$root/target}/check-macos
mkdir -p "$dir/src/media/screen"
version=$(sed -nE 's/^screencapturekit = \{ version = "([^"]+)".*/\1/p' Cargo.toml)
[ -n "$version" ] || { echo "[check-macos] no screencapturekit line in Cargo.toml" >&2; exit 1; }
cat > "$dir/Cargo.toml" <<TOML
[package]
name = "trygg-check-macos"
version = "0.0.0"
edition = "2024"
publish = false
[workspace]
[dependencies]
openh264 = { version = "0.9", default-features = false }
serde = { version = "1", features = ["derive"] }
thiserror = "2"
zune-jpeg = "0.4"
[target.'cfg(target_os = "macos")'.dependencies]
screencapturekit = "$version"
TOML
cat > "$dir/src/lib.rs" <<'RS'
//! The macOS screen backend with the media files it uses.
#![allow(dead_code)]
pub mod media {
    pub mod clock;
    pub mod convert;
    mod error;
    pub mod frame;
    pub mod source;
    pub use error::{DeviceKind, MediaError};
    pub use frame::VideoFrame;
    pub mod screen {
        pub mod macos;
        pub mod pace;
        mod slot;
        include!("media/screen/facade.rs");
    }
}
RS
for f in clock convert error frame source; do ln -sf "$root/src/media/$f.rs" "$dir/src/media/$f.rs"; done
for f in macos pace slot; do ln -sf "$root/src/media/screen/$f.rs" "$dir/src/media/screen/$f.rs"; done
# The facade's types (ShareKind, ShareSource, Thumbnail, ShareTarget): mod.rs from its first
# `pub enum ShareKind` doc comment up to the backend dispatch.
sed -n '/^\/\/\/ Screen or window\.$/,/^\/\/\/ Where the pictures of a screen come from\.$/p' src/media/screen/mod.rs \
    | sed '$d' | sed '1i use serde::Serialize;\nuse super::MediaError;' > "$dir/src/media/screen/facade.rs"
# The versions checked are pinned next to this script.
cp scripts/check-macos.Cargo.lock "$dir/Cargo.lock"
echo "[check-macos] cargo clippy --target $target (screencapturekit $version, Swift bridge skipped)"
cd "$dir"
DOCS_RS=1 cargo clippy --quiet --locked --target "$target" -- -D warnings
echo "[check-macos] src/media/screen/macos.rs type-checks for $target"
