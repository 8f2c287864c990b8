# The two commands of the README are `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
CARGO ?= cargo
FUZZ_SECONDS ?= 60

.PHONY: help run demo test check-platforms test-ui test-desktop test-e2e test-package package bench bench-desktop fuzz clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

run: ## start the Trygg desktop app (builds the UI and the shell as needed)
	@scripts/setup.sh build
	cd ui && npm run build
	@# The app's web extension (Linux: video pictures to the page in one message each).
	$(CARGO) build --locked -p trygg-webext
	$(CARGO) run --locked -p trygg-desktop

demo: ## the local media demo: synthetic camera and microphone → H.264/Opus → decoded, measured
	@scripts/setup.sh build
	$(CARGO) run --release --locked --bin trygg -- demo --seconds 10

package: ## build the desktop app's .deb (trygg:// links and .ics files open in Trygg)
	@scripts/setup.sh build
	$(CARGO) build --locked --release -p trygg-webext
	ui/node_modules/.bin/tauri build --bundles deb --config "$$(scripts/deb-files.sh release)"

test: ## formatting, lints, every test
	@scripts/setup.sh test
	@# Seconds, before the long build: every command the tests run comes from setup.sh or Debian's base.
	@scripts/check-commands.pl
	@# The desktop crate embeds the built UI, so it is built first.
	cd ui && npm run build
	$(CARGO) fmt --all -- --check
	@# One workspace-wide build: the library and the desktop app share every dependency, built
	@# once with one feature set (per-package builds would compile most of them twice).
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings
	@scripts/check-core.sh
	$(CARGO) test --locked --workspace --no-fail-fast
	@if ls /dev/video* >/dev/null 2>&1; then \
	  echo "[test] camera found: running the camera tests"; \
	  $(CARGO) test --locked --test devices -- --ignored; \
	else \
	  echo "[test] skipped: no camera (no /dev/video* here); the synthetic and file video paths were tested above"; \
	fi
	$(CARGO) check --locked --manifest-path fuzz/Cargo.toml --bins
	$(CARGO) clippy --locked -p trygg -p trygg-desktop --all-targets --target x86_64-pc-windows-gnu -- -D warnings
	scripts/check-macos.sh
	$(CARGO) build --locked --workspace --bins --lib
	scripts/desktop-e2e.sh
	scripts/package-test.sh
	cd ui && npm test

check-platforms: ## type-check the Windows build (library, CLI, desktop app) and the macOS screen capture code
	@scripts/setup.sh test
	@# Not run here: these keep the per-OS code (screen capture, keychain) compiling.
	$(CARGO) clippy --locked -p trygg -p trygg-desktop --all-targets --target x86_64-pc-windows-gnu -- -D warnings
	scripts/check-macos.sh

test-ui: ## the desktop UI: type check, unit tests, every screen in Chromium against the fake backend
	@scripts/setup.sh test
	cd ui && npm test

test-desktop: ## the desktop shell: lints and tests (IPC, settings, links, a whole meeting through the shell)
	@scripts/setup.sh test
	cd ui && npm run build
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings
	$(CARGO) test --locked -p trygg-desktop

test-e2e: ## the real desktop app under Xvfb through WebDriver, with a headless guest (SCREENSHOTS=DIR keeps PNGs)
	@scripts/setup.sh test
	cd ui && npm run build
	$(CARGO) build --locked --workspace --bins --lib
	scripts/desktop-e2e.sh

test-package: ## the .deb: built from the app, unpacked privately, trygg:// links and .ics files opened with gio open
	@scripts/setup.sh test
	cd ui && npm run build
	$(CARGO) build --locked --workspace --bins --lib
	scripts/package-test.sh

bench: ## measure codecs, E2EE, invites and whole calls (figures in the README come from here)
	@scripts/setup.sh test
	@for b in codecs e2ee links call share server; do echo "[bench] trygg bench $$b"; $(CARGO) run -q --release --locked --bin trygg -- bench $$b || exit 1; done

bench-desktop: ## the desktop app: cold start, link click to pre-join, memory next to an empty Tauri window (PROFILE=release for release builds)
	@scripts/setup.sh test
	cd ui && npm run build
	$(CARGO) build --locked --workspace --bins --lib $(if $(filter release,$(PROFILE)),--release)
	PROFILE=$(or $(PROFILE),debug) scripts/desktop-bench.sh

fuzz: ## run every fuzz target for FUZZ_SECONDS each (needs cargo-fuzz; installs it)
	@scripts/setup.sh build
	@command -v cargo-fuzz >/dev/null || { echo "[fuzz] installing cargo-fuzz"; $(CARGO) install cargo-fuzz --locked; }
	@for t in $$(cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz list); do \
	  echo "[fuzz] $$t for $(FUZZ_SECONDS) s"; \
	  (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS)) || exit 1; \
	done

clean: ## remove build output
	$(CARGO) clean
