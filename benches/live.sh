#!/usr/bin/env bash
# Live-cluster scan at scale: a 20,000-object synthetic cluster (gen-cluster) served by
# a recorded API server (fake-apiserver: HTTPS on 127.0.0.1, paginated lists), read by
# `rampart snapshot` and `rampart scan --cluster`. Prints wall time, CPU and peak RSS
# (benches/measure.py) and compares the scan's peak RSS with the snapshot's size.
#
#   benches/live.sh                 # 20k objects, 3 runs
#   OBJECTS=100000 RUNS=1 benches/live.sh
#   PROFILE=debug benches/live.sh   # the dev build (peak memory is about the same)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
OBJECTS=${OBJECTS:-20000}
OUT=benches/out
mkdir -p "$OUT"
PROFILE=${PROFILE:-release}
if [ "$PROFILE" = release ]; then
  cargo build --release -q -p rampart -p rampart-benches
else
  cargo build -q -p rampart -p rampart-benches
fi
T=target/$PROFILE
BIN=$T/rampart
M="python3 benches/measure.py"

list="$OUT/cluster-live-$((OBJECTS / 1000))k.json"
[ -s "$list" ] || $T/gen-cluster --objects "$OBJECTS" --seed 7 --format json > "$list"

dir=$(mktemp -d)
coproc SERVER { exec $T/fake-apiserver --recorded crates/rampart/tests/recorded --objects "$list" --dir "$dir"; }
trap 'exec {SERVER[1]}>&-; wait "$SERVER_PID" 2>/dev/null || true; rm -rf "$dir"' EXIT
read -r ready url <&"${SERVER[0]}"
[ "$ready" = ready ] || { echo "fake-apiserver did not start" >&2; exit 1; }
KC="--kubeconfig $dir/kubeconfig"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%F); server $url"
$BIN snapshot $KC -o "$dir/snapshot.json" 2>/dev/null
$BIN snapshot $KC -o "$dir/snapshot.json.gz" 2>/dev/null
snap=$(stat -c %s "$dir/snapshot.json")
printf '  %-36s %8.1f MB (%s objects)\n' "recorded list (gen-cluster)" "$(echo "$(stat -c %s "$list") / 1000000" | bc -l)" "$OBJECTS"
printf '  %-36s %8.1f MB\n' "snapshot.json" "$(echo "$snap / 1000000" | bc -l)"
printf '  %-36s %8.1f MB\n' "snapshot.json.gz" "$(echo "$(stat -c %s "$dir/snapshot.json.gz") / 1000000" | bc -l)"
echo
$M "snapshot (read cluster, write file)" "$RUNS" -- $BIN snapshot $KC -o "$dir/again.json"
$M "scan --cluster -o json" "$RUNS" -- $BIN scan --cluster $KC -o json --fail-on none | tee "$dir/scan.txt"
$M "scan --snapshot -o json" "$RUNS" -- $BIN scan --snapshot "$dir/snapshot.json" -o json --fail-on none
$M "scan FILE (the same objects, not reduced)" "$RUNS" -- $BIN scan "$list" -o json --fail-on none
peak=$(sed -n 's/.*peak *\([0-9]*\) MiB.*/\1/p' "$dir/scan.txt")
echo
echo "scan --cluster peak RSS ${peak} MiB = $(echo "scale=2; $peak * 1048576 / $snap" | bc) x the snapshot's size on disk ($((snap / 1048576)) MiB uncompressed)"
# Same findings live and offline.
diff <($BIN scan --cluster $KC -o json --fail-on none | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["findings"]))') \
     <($BIN scan --snapshot "$dir/snapshot.json.gz" -o json --fail-on none | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["findings"]))') \
  && echo "findings: live = snapshot"
