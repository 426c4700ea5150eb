#!/usr/bin/env bash
# bench-after-load.sh — the 10 % phase of bench-node.sh, against a fresh cluster: a fresh
# 4-validator credit-rules cluster takes 10 s at RATE tx/s, then 40 s of a 256-client closed loop,
# then three 10 s windows at RATE tx/s. Prints each window's summary with the validators' CPU per
# block and blocks/s. Set PERF=DIR to record `perf record -a -g` (8 s) in each window.
#
# Usage: scripts/bench-after-load.sh BINARY DIR BASE_PORT [RATE]
#   e.g. scripts/bench-after-load.sh .build/release/creditchain /tmp/after 19400 140
set -euo pipefail
B="$1"
D="$2"
P="$3"
R="${4:-140}"
. "$(dirname "$0")/validator-cpu.sh"
window() {
  local c0 h0 c1 h1 line
  c0=$(cpu) h0=$(height)
  if [ -n "${PERF:-}" ]; then (perf record -F 999 -g -a -o "$PERF/$1.data" -- sleep 8 >/dev/null 2>&1 &); fi
  line=$("$B" bench load --dir "$D" --duration 10 --rate "$R" | grep '^throughput')
  c1=$(cpu) h1=$(height)
  python3 -c "
c = ($c1 - $c0) / $tick; b = max(1, $h1 - $h0)
print(f'$1: $line; cpu per block {1000 * c / b:.2f} ms (4 validators), {b / 10:.0f} blocks/s')"
}
window fresh
"$B" bench load --dir "$D" --duration 40 --clients 256 | grep '^throughput' | sed 's/^/full load: /'
window after-1
window after-2
window after-3
