#!/usr/bin/env bash
# bench-cpu-per-block.sh — what a block costs: a fresh 4-validator credit-rules cluster, one load
# (an open loop at RATE tx/s, or `closed` for 256 clients), and the validators' CPU time (user +
# system, /proc/PID/stat), the heights made (/v1/status) and the validators' context switches
# (/proc/PID/task/*/status) during it. Prints the load's summary and CPU per block, blocks/s and
# switches per block. CPU per block moves less than latency between runs on a shared box.
#
# Usage: scripts/bench-cpu-per-block.sh BINARY DIR BASE_PORT RATE|closed SECONDS
#   e.g. scripts/bench-cpu-per-block.sh .build/release/creditchain /tmp/cpb 19400 5 15
# Run it with two binaries, alternated, in one sitting to compare.
set -euo pipefail
B="$1"
D="$2"
P="$3"
R="$4"
T="$5"
. "$(dirname "$0")/validator-cpu.sh"
switches() {
  local s=0
  for p in $pids; do
    for t in /proc/"$p"/task/*; do s=$((s + $(awk '/ctxt_switches/ {n += $2} END {print n}' "$t/status"))); done
  done
  echo "$s"
}
c0=$(cpu) h0=$(height) s0=$(switches)
if [ "$R" = closed ]; then
  "$B" bench load --dir "$D" --duration "$T" --clients 256 | grep '^throughput'
else
  "$B" bench load --dir "$D" --duration "$T" --rate "$R" | grep '^throughput'
fi
c1=$(cpu) h1=$(height) s1=$(switches)
python3 -c "
c = ($c1 - $c0) / $tick; b = max(1, $h1 - $h0)
print(f'validator cpu {c:.2f} s, blocks {b}, {1000 * c / b:.2f} ms cpu per block (4 validators), {b / $T:.0f} blocks/s, {($s1 - $s0) / b:.1f} switches per block')"
