#!/usr/bin/env bash
# Per-stage cost of the core inside WAMR, the runtime Fluent Bit embeds (tools/wamr-bench).
#
#   scripts/bench-wamr.sh /path/to/iwasm [records] [rounds]
#
# iwasm is WAMR's command-line runtime. For figures that match Fluent Bit's interpreter, build
# it from the WAMR sources bundled with Fluent Bit (lib/wasm-micro-runtime-*) the way Fluent
# Bit builds WAMR: fast interpreter on, JIT off, RelWithDebInfo, -mindirect-branch-register
# (SIMD off only because its library is fetched from the network):
#   cmake <wamr>/product-mini/platforms/linux -DCMAKE_BUILD_TYPE=RelWithDebInfo \
#     -DCMAKE_C_FLAGS=-mindirect-branch-register -DWAMR_BUILD_FAST_INTERP=1 \
#     -DWAMR_BUILD_JIT=0 -DWAMR_BUILD_LIBC_WASI=1 -DWAMR_BUILD_SIMD=0 -DWAMR_BUILD_LIB_SIMDE=0
# The records are the same generated mix scripts/bench-fluent-bit.sh uses.
set -euo pipefail
IWASM=${1:?usage: $0 /path/to/iwasm [records] [rounds]}
N=${2:-100000}
ROUNDS=${3:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -C "$ROOT" --quiet toolchain
cargo build --quiet --manifest-path "$ROOT/Cargo.toml" -p wamr-bench --target wasm32-wasip1 --profile wasm
hours=$(( (N + 199999) / 200000 ))
cargo run --release --quiet --manifest-path "$ROOT/Cargo.toml" --example generate -- \
  --seed 11 --hours "$hours" --records-per-hour 200000 --scans-per-hour 20 --out "$tmp/all.ndjson" \
  > "$tmp/generate.log" 2>&1 || { cat "$tmp/generate.log"; exit 1; }
head -n "$N" "$tmp/all.ndjson" > "$tmp/records.ndjson"
rm "$tmp/all.ndjson"
"$IWASM" --dir="$tmp" "$ROOT/target/wasm32-wasip1/wasm/wamr-bench.wasm" "$tmp/records.ndjson" "$ROUNDS"
