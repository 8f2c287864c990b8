# The two commands of the README are `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
CARGO ?= cargo
FUZZ_SECONDS ?= 60

.PHONY: help run test bench fuzz clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

run: ## start Trygg (until the desktop app lands: the local media demo)
	@scripts/setup.sh build
	@echo "[run] trygg demo: synthetic camera and microphone → H.264/Opus → decoded, measured"
	$(CARGO) run --release --locked --bin trygg -- demo --seconds 10

test: ## formatting, lints, every test
	@scripts/setup.sh test
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	@scripts/check-core.sh
	$(CARGO) test --locked --no-fail-fast
	@if ls /dev/video* >/dev/null 2>&1; then \
	  echo "[test] camera found: running the camera tests"; \
	  $(CARGO) test --locked --test devices -- --ignored; \
	else \
	  echo "[test] skipped: no camera (no /dev/video* here); the synthetic and file video paths were tested above"; \
	fi
	$(CARGO) check --locked --manifest-path fuzz/Cargo.toml --bins

bench: ## measure codecs, E2EE, invites and whole calls (figures in the README come from here)
	@scripts/setup.sh test
	@for b in codecs e2ee links call; do echo "[bench] trygg bench $$b"; $(CARGO) run -q --release --locked --bin trygg -- bench $$b || exit 1; done

fuzz: ## run every fuzz target for FUZZ_SECONDS each (needs cargo-fuzz; installs it)
	@scripts/setup.sh build
	@command -v cargo-fuzz >/dev/null || { echo "[fuzz] installing cargo-fuzz"; $(CARGO) install cargo-fuzz --locked; }
	@for t in $$(cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz list); do \
	  echo "[fuzz] $$t for $(FUZZ_SECONDS) s"; \
	  (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS)) || exit 1; \
	done

clean: ## remove build output
	$(CARGO) clean
