#!/usr/bin/env bash
# bench-validator-crash.sh — one validator killed under load: a 4-validator credit-rules cluster
# (release binary) under a 16-client closed loop for 30 s; validator-2 gets SIGKILL after 4 s and
# stays down; validator-1's committed height is polled every 0.5 s. Prints the load's summary and
# how long the three survivors stayed in the slow mode (the first 0.5 s step of 20+ heights).
#
# Usage: scripts/bench-validator-crash.sh BINARY DIR BASE_PORT
#   e.g. scripts/bench-validator-crash.sh .build/release/creditchain /tmp/crash 28200
# Run it with two binaries (say, before and after a consensus change) in one sitting to compare.
set -euo pipefail
B="$1"
D="$2"
P="$3"
rm -rf "$D"
"$B" cluster up --dir "$D" --validators 4 --base-port "$P" >/dev/null 2>&1
trap '"$B" cluster down --dir "$D" >/dev/null 2>&1 || true' EXIT
sleep 2
victim=$(python3 -c "import json;print([x['pid'] for x in json.load(open('$D/cluster.json'))['nodes'] if x['name']=='validator-2'][0])")
"$B" bench load --dir "$D" --duration 30 --clients 16 >"$D-load.log" 2>&1 &
load=$!
sleep 4
kill -9 "$victim"
for _ in $(seq 1 50); do
  curl -s "http://127.0.0.1:$((P + 1))/v1/status" | python3 -c "import json,sys; print(json.load(sys.stdin)['height'])" || echo 0
  sleep 0.5
done >"$D-heights.log"
wait "$load" || true
tail -1 "$D-load.log"
python3 - "$D-heights.log" <<'PY'
import sys
h = [int(x) for x in open(sys.argv[1]).read().split()]
fast = next((i for i in range(1, len(h)) if h[i] - h[i - 1] >= 20), None)
print("validator-1 height", h[0], "->", h[-1], "over", len(h) * 0.5, "s after the kill; slow mode for",
      "the whole run" if fast is None else f"{fast * 0.5} s",
      "; heights at 5/10/15/20 s:", [h[min(int(t / 0.5), len(h) - 1)] for t in (5, 10, 15, 20)])
PY
