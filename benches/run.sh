#!/usr/bin/env bash
# Rampart's benchmarks. Builds release binaries, generates the synthetic clusters
# (deterministic: seed 7), then times scans against parse-only baselines, the shared
# corpus, and checkov when it is installed (`pip install checkov`).
#
#   benches/run.sh            # every benchmark, 3 runs each
#   RUNS=5 benches/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
OUT=benches/out
mkdir -p "$OUT"
cargo build --release -q -p rampart -p rampart-benches
BIN=target/release/rampart
GEN=target/release/gen-cluster
GEN_AUDIT=target/release/gen-audit
M="python3 benches/measure.py"

for n in 1000 10000 100000; do
  for fmt in json yaml; do
    f="$OUT/cluster-$((n / 1000))k.$fmt"
    [ -s "$f" ] || "$GEN" --objects "$n" --seed 7 --format "$fmt" > "$f"
  done
done

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%F)"
ls -l "$OUT"/cluster-*.{json,yaml} | awk '{printf "  %-32s %6.1f MB\n", $9, $5 / 1e6}'
echo
echo "== synthetic clusters: full scan vs parse-only (min / median of $RUNS)"
for n in 1k 10k 100k; do
  for fmt in json yaml; do
    f="$OUT/cluster-$n.$fmt"
    $M "scan $n $fmt" "$RUNS" -- "$BIN" scan "$f" -o json --fail-on none
    $M "parse-only $n $fmt" "$RUNS" -- "$BIN" scan "$f" -o json --fail-on none --no-rules
  done
done

echo
echo "== ../shared/corpus (1,371 files)"
$M "rampart scan corpus" "$RUNS" -- "$BIN" scan ../shared/corpus -o json --fail-on none
$M "rampart parse-only corpus" "$RUNS" -- "$BIN" scan ../shared/corpus -o json --fail-on none --no-rules
CHECKOV=${CHECKOV:-$(command -v checkov || true)}
if [ -n "$CHECKOV" ]; then
  $M "checkov corpus" 1 -- "$CHECKOV" -d ../shared/corpus --framework kubernetes --quiet -o json
else
  echo "checkov not installed (pip install checkov, or CHECKOV=/path/to/checkov): skipped"
fi

echo
echo "== RBAC: 10k roles, 10k bindings, 5k ServiceAccounts"
f="$OUT/rbac-10k.json"
[ -s "$f" ] || "$GEN" --rbac-roles 10000 --rbac-accounts 5000 --seed 7 > "$f"
$M "scan --select RBAC (all rules, paths)" "$RUNS" -- "$BIN" scan "$f" -o json --fail-on none --select RBAC
"$BIN" scan "$f" -o json --fail-on none --select RBAC --timings 2>&1 >/dev/null | sed 's/^/  /'
"$BIN" who-can get secrets -n ns-7 -f "$f" --timings 2>&1 >/dev/null | sed 's/^/  who-can: /'

echo
echo "== NetworkPolicy reachability: 10k pods, 1k policies (full workload-level connlist)"
for spec in "5 netpol-10k" "1 netpol-10k-distinct"; do
  set -- $spec
  f="$OUT/$2.json"
  [ -s "$f" ] || "$GEN" --netpol-pods 10000 --netpol-policies 1000 --replicas "$1" --seed 7 > "$f"
  $M "reach --all ($2, replicas $1)" "$RUNS" -- "$BIN" reach --all "$f" -o connlist
  "$BIN" reach --all "$f" -o connlist --timings 2>&1 >/dev/null | sed 's/^/  /'
done

echo
echo "== Admission webhook over loopback TLS: 2,000 requests/s for 60 s"
cargo build --release -q -p rampart-benches --bin webhook-load
target/release/webhook-load --rampart "$BIN" --rate 2000 --seconds 60 --connections 32

echo "== audit-log: streamed analysis of generated JSON-lines audit logs (100 MB and 1 GB)"
for mb in 100 1000; do
  f="$OUT/audit-${mb}mb.log"
  [ -s "$f" ] || "$GEN_AUDIT" --size-mb "$mb" --seed 7 > "$f"
  $M "audit-log ${mb} MB" "$RUNS" -- "$BIN" audit-log "$f" -o json
  python3 - "$f" "$BIN" <<'PY'
import os, subprocess, sys, time
path, binary = sys.argv[1], sys.argv[2]
start = time.perf_counter()
proc = subprocess.Popen([binary, "audit-log", path, "-o", "json"], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
wall = time.perf_counter() - start
size = os.path.getsize(path) / 1e6
print(f"  {size:.0f} MB in {wall:.2f} s: {size / wall:.0f} MB/s, peak RSS {usage.ru_maxrss / 1024:.0f} MiB")
PY
done

