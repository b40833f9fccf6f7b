# cef-portscan. Quick start: `make demo` (replays bundled PAN-OS data through the module),
# `make test` (every test). Both install what they need.

WASM_TARGET  := wasm32-wasip1
WASM_OUT     := target/$(WASM_TARGET)/wasm/cef_portscan_fluentbit.wasm
WASM         := dist/cef-portscan.wasm
SAMPLE       := examples/data/sample.ndjson

.PHONY: all wasm demo test check lint unit bench fuzz fuzz-build toolchain clean

all: wasm

toolchain:
	@command -v cargo >/dev/null || { echo "error: cargo not found; install Rust with rustup (https://rustup.rs)"; exit 1; }
	@if command -v rustup >/dev/null; then \
	  rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET) || \
	    { echo "error: could not install the $(WASM_TARGET) target (rustup target add $(WASM_TARGET))"; exit 1; }; \
	else \
	  rustc --print target-libdir --target $(WASM_TARGET) >/dev/null 2>&1 || \
	    { echo "error: the $(WASM_TARGET) standard library is missing and rustup is not available to add it"; exit 1; }; \
	fi

# The module Fluent Bit loads, at a stable path. wasm-opt shrinks it further when installed;
# it is told the features rustc's wasm32 target emits (older binaryen refuses them otherwise),
# and a wasm-opt that still fails leaves the module as rustc built it, with a warning.
WASM_FEATURES := --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
                 --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types
wasm: toolchain
	cargo build -p cef-portscan-fluentbit --target $(WASM_TARGET) --profile wasm
	@mkdir -p dist
	@if command -v wasm-opt >/dev/null && \
	    wasm-opt -O3 $(WASM_FEATURES) --strip-debug $(WASM_OUT) -o $(WASM).tmp 2>/dev/null; then \
	  mv $(WASM).tmp $(WASM); \
	else \
	  rm -f $(WASM).tmp; \
	  if command -v wasm-opt >/dev/null; then echo "warning: wasm-opt failed; shipping the module unoptimised"; fi; \
	  cp $(WASM_OUT) $(WASM); \
	fi
	@echo "built $(WASM) ($$(wc -c < $(WASM)) bytes)"

demo: wasm
	cargo run --release --quiet --example replay -- $(SAMPLE) --entry cef_portscan_detections --flush

lint: toolchain
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p cef-portscan-fluentbit --target $(WASM_TARGET) -- -D warnings
	cargo clippy -p cef-portscan-fluentbit --target $(WASM_TARGET) --features host-malloc -- -D warnings

unit: wasm
	cargo test --workspace

test: lint unit fuzz-build

bench: wasm
	cargo bench --bench throughput

# Fuzzing needs libFuzzer's nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain accept them.
FUZZ_TIME ?= 60
fuzz-build:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz build -s none

fuzz: fuzz-build
	cd fuzz && for t in $$(RUSTC_BOOTSTRAP=1 cargo fuzz list); do \
	  RUSTC_BOOTSTRAP=1 cargo fuzz run -s none $$t -- -max_total_time=$(FUZZ_TIME) || exit 1; done

clean:
	cargo clean
	rm -rf dist
