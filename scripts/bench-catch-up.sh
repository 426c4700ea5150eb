#!/usr/bin/env bash
# bench-catch-up.sh — a restarted validator catching up: a 4-validator credit-rules cluster
# (release binary); validator-2 is killed, the other three take 15 s of a 64-client closed loop,
# then validator-2 starts again and its height is polled every 0.1 s until it reaches the tip read
# before its start. Prints the load's summary, the catch-up time (process start included) and
# validator-2's RSS then.
#
# Usage: scripts/bench-catch-up.sh BINARY DIR BASE_PORT
#   e.g. scripts/bench-catch-up.sh .build/release/creditchain /tmp/catch-up 28400
# Run it with two binaries in one sitting to compare.
set -euo pipefail
B="$1"
D="$2"
P="$3"
rm -rf "$D"
"$B" cluster up --dir "$D" --validators 4 --base-port "$P" --application credit-rules >/dev/null 2>&1
trap '"$B" cluster down --dir "$D" >/dev/null 2>&1 || true' EXIT
sleep 2
victim=$(python3 -c "import json;print([x['pid'] for x in json.load(open('$D/cluster.json'))['nodes'] if x['name']=='validator-2'][0])")
kill -9 "$victim"
"$B" bench load --dir "$D" --duration 15 --clients 64 | tail -1
height() {
  curl -s "http://127.0.0.1:$1/v1/status" | python3 -c "import json,sys; print(json.load(sys.stdin)['height'])" 2>/dev/null || echo 0
}
tip=$(height $((P + 1)))
start=$(date +%s.%N)
"$B" node --config "$D/nodes/validator-2/node.json" >"$D-validator-2.log" 2>&1 &
node=$!
for _ in $(seq 1 1200); do
  [ "$(height $((P + 11)))" -ge "$tip" ] && break
  sleep 0.1
done
end=$(date +%s.%N)
echo "validator-2 caught up to $tip in $(python3 -c "print(round($end - $start, 2))") s; RSS $(ps -o rss= -p "$node") KiB"
kill -INT "$node" || true
wait "$node" || true
