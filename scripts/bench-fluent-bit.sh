#!/usr/bin/env bash
# Throughput of a real Fluent Bit with and without the module, in one run on one machine.
#
#   scripts/bench-fluent-bit.sh /path/to/fluent-bit [/path/to/flb-wamrc] [records]
#
# Pipelines (tail of an NDJSON file of mixed PAN-OS records, ~1 KB each, json parser ->
# [filter] -> null output): no filter; wasm passthrough (the module's
# `cef_portscan_passthrough` export: same module, same host call, no work); cef-portscan
# (`cef_portscan_tag`). Each wasm pipeline runs interpreted (.wasm) and, with flb-wamrc,
# AOT-compiled (.aot). Records/s = records / (time until the null output has counted them all,
# read from Fluent Bit's own metrics endpoint on 127.0.0.1:2020).
set -euo pipefail
FB=${1:?usage: $0 /path/to/fluent-bit [/path/to/flb-wamrc] [records]}
WAMRC=${2:-}
N=${3:-500000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$ROOT/dist/cef-portscan.wasm" ] || make -C "$ROOT" wasm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
hours=$(( (N + 199999) / 200000 ))
cargo run --release --quiet --manifest-path "$ROOT/Cargo.toml" --example generate -- \
  --seed 11 --hours "$hours" --records-per-hour 200000 --scans-per-hour 20 --out "$tmp/all.ndjson"
head -n "$N" "$tmp/all.ndjson" > "$tmp/records.ndjson"
N=$(wc -l < "$tmp/records.ndjson")
cp "$ROOT/dist/cef-portscan.wasm" "$tmp/m.wasm"
if [ -n "$WAMRC" ]; then
  "$WAMRC" --target=x86_64 --cpu=generic -o "$tmp/m.aot" "$tmp/m.wasm" >/dev/null
fi
echo "$N records, $(( $(wc -c < "$tmp/records.ndjson") / N )) bytes each on average; $(nproc) cores; $("$FB" --version | head -1)"
printf '%-34s %12s\n' pipeline records/s
run() { python3 "$ROOT/scripts/bench_fluent_bit.py" "$FB" "$tmp" "$N" "$@"; }
run none
for kind in wasm ${WAMRC:+aot}; do
  run "$tmp/m.$kind" cef_portscan_passthrough "passthrough ($kind)"
  run "$tmp/m.$kind" cef_portscan_tag "cef-portscan tag ($kind)"
done
