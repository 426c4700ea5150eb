#!/usr/bin/env bash
# bench-node.sh — the node benchmark of BENCHMARKS.md in one run on one box: the machine's crypto
# limits and the etcd Raft baseline (../shared/bench), then a 4-validator credit-rules cluster
# (release build, fsync on, standard suite) under a 256-client closed loop and at 10 % of that rate:
# first right after the closed loop on the same cluster, then for as long on a fresh cluster (the
# state a closed loop leaves behind makes every later block dearer, BENCHMARKS.md).
#
# Usage: scripts/bench-node.sh [OUT_DIR]   (env: DURATION=60 CLIENTS=256 BASE_PORT=19100
#                                           BASELINES=/path/to/shared/bench SKIP_ETCD=1)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$ROOT/.bench}"
DURATION="${DURATION:-60}"
CLIENTS="${CLIENTS:-256}"
BASE_PORT="${BASE_PORT:-19100}"
BASELINES="${BASELINES:-$ROOT/../shared/bench}"
mkdir -p "$OUT"
cd "$ROOT"

echo "# $(date -u +%FT%TZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
swift build -c release --product creditchain >"$OUT/build.log" 2>&1
BIN="$ROOT/.build/release/creditchain"

if [ -x "$BASELINES/crypto-limits.sh" ] || [ -f "$BASELINES/crypto-limits.sh" ]; then
  bash "$BASELINES/crypto-limits.sh" 3 | tee "$OUT/crypto-limits.txt"
fi
if [ -z "${SKIP_ETCD:-}" ] && [ -f "$BASELINES/etcd-baseline.sh" ]; then
  PHASES="${ETCD_PHASES:-16 256}" DURATION="${ETCD_DURATION:-20}" bash "$BASELINES/etcd-baseline.sh" \
    | tee "$OUT/etcd-baseline.txt" || echo "etcd baseline failed (see above)"
fi

CLUSTER="$OUT/cluster"
"$BIN" cluster down --dir "$CLUSTER" >/dev/null 2>&1 || true
rm -rf "$CLUSTER"
trap '"$BIN" cluster down --dir "$CLUSTER" >/dev/null 2>&1 || true' EXIT
"$BIN" cluster up --dir "$CLUSTER" --validators 4 --base-port "$BASE_PORT" --application credit-rules --timeout 180
sleep 3
"$BIN" bench load --dir "$CLUSTER" --duration "$DURATION" --clients "$CLIENTS" | tee "$OUT/load-closed.txt"
RATE="$(awk '/^throughput:/ {printf "%d", $2 / 10}' "$OUT/load-closed.txt")"
if [ "${RATE:-0}" -gt 0 ]; then
  "$BIN" bench load --dir "$CLUSTER" --duration 30 --rate "$RATE" | tee "$OUT/load-10pct.txt"
fi
"$BIN" cluster status --dir "$CLUSTER"
if [ "${RATE:-0}" -gt 0 ]; then
  "$BIN" cluster down --dir "$CLUSTER" >/dev/null
  rm -rf "$CLUSTER"
  "$BIN" cluster up --dir "$CLUSTER" --validators 4 --base-port "$BASE_PORT" --application credit-rules --timeout 180 \
    >/dev/null
  sleep 3
  echo "# 10 % on a fresh cluster"
  "$BIN" bench load --dir "$CLUSTER" --duration 30 --rate "$RATE" | tee "$OUT/load-10pct-fresh.txt"
fi
