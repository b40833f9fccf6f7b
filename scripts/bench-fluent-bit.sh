#!/usr/bin/env bash
# Throughput of a real Fluent Bit with and without the module, in one run on one machine.
#
#   scripts/bench-fluent-bit.sh /path/to/fluent-bit [/path/to/flb-wamrc] [records] [rounds]
#
# Pipelines (tail of an NDJSON file of mixed PAN-OS records, ~1 KB each, json parser ->
# [filter] -> null output): no filter; wasm passthrough (the module's
# `cef_portscan_passthrough` export: same module, same host call, no work); cef-portscan
# (`cef_portscan_tag`). Each wasm pipeline runs interpreted (.wasm) and, with flb-wamrc,
# AOT-compiled (.aot). The prefiltered pipeline (plugin-config/fluent-bit/local-prefiltered.conf:
# Fluent Bit's own rewrite_tag regex copies the few possible candidates to
# `cef_portscan_detections`; the raw stream skips the module) runs interpreted. Then both wasm
# pipelines again with a variant of the module that exports
# a bump arena as `malloc`/`free` (feature host-malloc), through which Fluent Bit then copies
# records instead of WAMR's app heap: the measurement behind relying on `wasm_heap_size`.
# How each figure is taken (CPU-based and wall-clock rates, best of `rounds`):
# scripts/bench_fluent_bit.py.
set -euo pipefail
FB=${1:?usage: $0 /path/to/fluent-bit [/path/to/flb-wamrc] [records] [rounds]}
WAMRC=${2:-}
N=${3:-300000}
ROUNDS=${4:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
make -C "$ROOT" --quiet wasm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
hours=$(( (N + 199999) / 200000 ))
cargo run --release --quiet --manifest-path "$ROOT/Cargo.toml" --example generate -- \
  --seed 11 --hours "$hours" --records-per-hour 200000 --scans-per-hour 20 --out "$tmp/all.ndjson"
head -n "$N" "$tmp/all.ndjson" > "$tmp/records.ndjson"
head -n 1 "$tmp/all.ndjson" > "$tmp/one.ndjson"
rm "$tmp/all.ndjson"
N=$(wc -l < "$tmp/records.ndjson")
cp "$ROOT/dist/cef-portscan.wasm" "$tmp/m.wasm"
pipelines=("no filter=none" "passthrough (wasm)=$tmp/m.wasm:cef_portscan_passthrough"
           "cef-portscan (wasm)=$tmp/m.wasm:cef_portscan_tag"
           "cef-portscan, prefiltered (wasm)=$tmp/m.wasm:cef_portscan_detections@prefiltered")
if [ -n "$WAMRC" ]; then
  "$WAMRC" --target=x86_64 --cpu=generic -o "$tmp/m.aot" "$tmp/m.wasm" >/dev/null
  pipelines+=("passthrough (aot)=$tmp/m.aot:cef_portscan_passthrough"
              "cef-portscan (aot)=$tmp/m.aot:cef_portscan_tag")
fi
cargo build --quiet --manifest-path "$ROOT/Cargo.toml" -p cef-portscan-fluentbit \
  --target wasm32-wasip1 --profile wasm --features host-malloc
python3 "$ROOT/scripts/rename_exports.py" "$ROOT/target/wasm32-wasip1/wasm/cef_portscan_fluentbit.wasm" \
  "$tmp/malloc.wasm" cef_portscan_host_malloc=malloc cef_portscan_host_free=free
pipelines+=("passthrough (wasm, malloc)=$tmp/malloc.wasm:cef_portscan_passthrough"
            "cef-portscan (wasm, malloc)=$tmp/malloc.wasm:cef_portscan_tag")
echo "$N records, $(( $(wc -c < "$tmp/records.ndjson") / N )) bytes each on average; $(nproc) cores; $("$FB" --version | head -1); best of $ROUNDS rounds"
python3 "$ROOT/scripts/bench_fluent_bit.py" "$FB" "$tmp" "$ROUNDS" "${pipelines[@]}"
