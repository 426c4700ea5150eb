# validator-cpu.sh — sourced by bench-cpu-per-block.sh and bench-after-load.sh, with B (the
# binary), D (the cluster directory) and P (the base port) set: starts a fresh 4-validator
# credit-rules cluster (stopped on exit) and defines `cpu` (the validators' CPU time in clock
# ticks, user + system, from /proc/PID/stat; `tick` per second) and `height` (validator-1's).
rm -rf "$D"
"$B" cluster up --dir "$D" --validators 4 --base-port "$P" --application credit-rules >/dev/null 2>&1
trap '"$B" cluster down --dir "$D" >/dev/null 2>&1 || true' EXIT
sleep 3
pids=$(python3 -c "import json;print(' '.join(str(x['pid']) for x in json.load(open('$D/cluster.json'))['nodes']))")
tick=$(getconf CLK_TCK)
cpu() {
  local s=0
  for p in $pids; do
    set -- $(cut -d' ' -f14,15 "/proc/$p/stat")
    s=$((s + $1 + $2))
  done
  echo "$s"
}
height() { curl -s "http://127.0.0.1:$((P + 1))/v1/status" | python3 -c "import json,sys; print(json.load(sys.stdin)['height'])"; }
