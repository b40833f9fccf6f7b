#!/usr/bin/env bash
# End-to-end check of every shipped Fluent Bit pipeline against a real Fluent Bit.
#
#   scripts/e2e-fluent-bit.sh /path/to/fluent-bit [variant ...]
#
# For each variant (default: all) and each syntax (.conf, .yaml) it copies the shipped config,
# changes only its paths (/etc/cef-portscan, /var/log/cef-portscan) to a temp dir, starts
# Fluent Bit, sends PAN-OS CEF over syslog UDP and TCP to 127.0.0.1:514 (Cloud NGFW: JSON over
# TCP 5170) with one planted scan, and checks that
#   - every raw record comes out unchanged (no extra key), exactly once;
#   - a detection is produced: as a clean record (local, local-prefiltered, cloud-ngfw), or in the module's stats
#     file for the Azure variants (their outputs need Azure; that they reach the output is
#     seen in Fluent Bit's log).
# Binding port 514 needs root (or CAP_NET_BIND_SERVICE). Not part of CI: CI has no Fluent Bit.
set -euo pipefail
FB=${1:?usage: $0 /path/to/fluent-bit [variant ...]}
shift
VARIANTS=("$@")
[ ${#VARIANTS[@]} -gt 0 ] || VARIANTS=(local local-prefiltered cloud-ngfw azure-logs-ingestion azure-legacy)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$ROOT/dist/cef-portscan.wasm" ] || make -C "$ROOT" wasm
export AZURE_CLIENT_ID=00000000-0000-0000-0000-000000000000 AZURE_CLIENT_SECRET=x \
  AZURE_TENANT_ID=00000000-0000-0000-0000-000000000000 AZURE_DCE_URL=https://127.0.0.1:9 \
  AZURE_DCR_ID=dcr-00000000000000000000000000000000 AZURE_WORKSPACE_ID=00000000-0000-0000-0000-000000000000 \
  AZURE_WORKSPACE_KEY=AAAA
fail=0
for variant in "${VARIANTS[@]}"; do
  for syntax in conf yaml; do
    tmp=$(mktemp -d)
    mkdir -p "$tmp/etc" "$tmp/log"
    cp "$ROOT/dist/cef-portscan.wasm" "$ROOT/plugin-config/cef-portscan.json" "$tmp/etc/"
    cp "$ROOT/plugin-config/fluent-bit/parsers.conf" "$tmp/"
    sed -e "s#/etc/cef-portscan#$tmp/etc#g" -e "s#/var/log/cef-portscan#$tmp/log#g" \
      "$ROOT/plugin-config/fluent-bit/$variant.$syntax" > "$tmp/fluent-bit.$syntax"
    "$FB" -c "$tmp/fluent-bit.$syntax" > "$tmp/fluent-bit.log" 2>&1 &
    pid=$!
    python3 "$ROOT/scripts/e2e_traffic.py" send "$variant" "$tmp" || true
    sleep 3
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if python3 "$ROOT/scripts/e2e_traffic.py" check "$variant" "$tmp"; then
      echo "PASS $variant.$syntax"
      rm -rf "$tmp"
    else
      echo "FAIL $variant.$syntax (kept $tmp; Fluent Bit log: $tmp/fluent-bit.log)"
      fail=1
    fi
  done
done
exit $fail
