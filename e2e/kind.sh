#!/usr/bin/env bash
# End-to-end checks of live-cluster scanning against a real (kind) cluster: the same
# checks crates/rampart/tests/live.rs and deploy.rs make against a recorded API server.
#
#   e2e/kind.sh            # needs docker, kind and kubectl on PATH; takes a few minutes
#   KEEP=1 e2e/kind.sh     # leave the cluster running afterwards
#
# It creates a kind cluster `rampart-e2e` (unless one exists), builds the Rampart image
# and loads it into the cluster, applies examples/insecure and deploy/, then checks:
#   1. `rampart scan --cluster` finds what `rampart scan examples/insecure` finds about
#      the same objects (the privileged API Deployment, the literal secrets, the
#      cluster-admin binding), reads the control plane's mirror pods (AUD findings),
#      and reports the cluster version from /version;
#   2. a snapshot of the cluster scans to the same findings as the live scan;
#   3. as the deploy/ ServiceAccount, a scan works, warns that Secrets are not listed
#      only when asked, and a forbidden kind is a warning, not a failure;
#   4. the CronJob runs to completion and PolicyReports appear;
#   5. `kubectl auth can-i` agrees with `rampart can-i` on the ServiceAccount's rights.
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER=rampart-e2e
IMAGE=ghcr.io/rampart-k8s/rampart:0.2.0
SA=system:serviceaccount:rampart-system:rampart
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; [ -n "${KEEP:-}" ] || kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true' EXIT

for tool in docker kind kubectl jq cargo; do
  command -v "$tool" >/dev/null || { echo "e2e: $tool is required" >&2; exit 2; }
done

if ! kind get clusters | grep -qx "$CLUSTER"; then
  kind create cluster --name "$CLUSTER" --wait 120s
fi
CONTEXT=kind-$CLUSTER
K="kubectl --context $CONTEXT"

cargo build --release -p rampart
RAMPART=target/release/rampart

# The image: the release binary on a distroless base, entrypoint /rampart, non-root.
cat > "$WORK/Dockerfile" <<'DOCKER'
FROM gcr.io/distroless/cc-debian12:nonroot
COPY rampart /rampart
USER 65532:65532
ENTRYPOINT ["/rampart"]
DOCKER
cp "$RAMPART" "$WORK/rampart"
docker build -q -t "$IMAGE" "$WORK"
kind load docker-image "$IMAGE" --name "$CLUSTER"

echo "== apply examples/insecure and deploy/"
$K apply -f examples/insecure/namespace.yaml
$K apply -f examples/insecure/
$K apply -f deploy/crds/
$K wait --for condition=established --timeout 60s crd/policyreports.wgpolicyk8s.io crd/clusterpolicyreports.wgpolicyk8s.io
$K apply -f deploy/
# The image was loaded into the nodes, not pushed: do not pull it.
sed 's/imagePullPolicy: Always/imagePullPolicy: IfNotPresent/' deploy/cronjob.yaml | $K apply -f -

echo "== 1. live scan finds what the file scan finds"
$RAMPART scan --cluster --context "$CONTEXT" -o json --fail-on none > "$WORK/live.json"
$RAMPART scan examples/insecure -o json --fail-on none > "$WORK/files.json"
jq -e '.kubernetesVersion.source == "api-server"' "$WORK/live.json" >/dev/null
for code in POD001 SEC001 RBAC001; do
  # Every (code, kind, namespace, name) the file scan reports for this code is in the live scan.
  jq -r --arg c "$code" '[.findings[] | select(.code == $c) | "\(.object.kind)/\(.object.namespace)/\(.object.name)"] | unique | .[]' "$WORK/files.json" |
    while read -r want; do
      jq -e --arg c "$code" --arg w "$want" 'any(.findings[]; .code == $c and "\(.object.kind)/\(.object.namespace)/\(.object.name)" == $w)' "$WORK/live.json" >/dev/null ||
        { echo "live scan misses $code on $want" >&2; exit 1; }
    done
done
jq -e 'any(.findings[]; (.code | startswith("AUD")) and (.object.name | startswith("kube-apiserver-")))' "$WORK/live.json" >/dev/null

echo "== 2. snapshot scan = live scan"
$RAMPART snapshot --context "$CONTEXT" -o "$WORK/snap.json.gz"
$RAMPART scan --snapshot "$WORK/snap.json.gz" -o json --fail-on none > "$WORK/offline.json"
$RAMPART scan --cluster --context "$CONTEXT" -o json --fail-on none > "$WORK/live2.json"
diff <(jq -S .findings "$WORK/live2.json") <(jq -S .findings "$WORK/offline.json")

echo "== 3. as the deploy/ ServiceAccount"
TOKEN=$($K -n rampart-system create token rampart --duration 10m)
SERVER=$($K config view --minify -o jsonpath='{.clusters[0].cluster.server}')
$K config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d > "$WORK/ca.crt"
cat > "$WORK/sa.kubeconfig" <<KCFG
apiVersion: v1
kind: Config
clusters: [{name: e2e, cluster: {server: "$SERVER", certificate-authority: "$WORK/ca.crt"}}]
users: [{name: sa, user: {token: "$TOKEN"}}]
contexts: [{name: sa, context: {cluster: e2e, user: sa}}]
current-context: sa
KCFG
$RAMPART scan --cluster --kubeconfig "$WORK/sa.kubeconfig" -o json --fail-on none > "$WORK/sa.json"
jq -e '.diagnostics | length == 0' "$WORK/sa.json" >/dev/null
# Secrets are not in its rights: asking for their metadata is a 403 warning.
$RAMPART scan --cluster --kubeconfig "$WORK/sa.kubeconfig" --secret-metadata -o json --fail-on none > "$WORK/sa-secrets.json"
jq -e 'any(.diagnostics[]; .level == "warning" and (.message | contains("list secrets")))' "$WORK/sa-secrets.json" >/dev/null

echo "== 4. the CronJob writes PolicyReports"
$K -n rampart-system create job --from=cronjob/rampart-scan rampart-e2e
$K -n rampart-system wait --for=condition=complete --timeout=300s job/rampart-e2e
$K get clusterpolicyreports.wgpolicyk8s.io rampart >/dev/null
$K -n shop get policyreports.wgpolicyk8s.io rampart-shop -o json | jq -e '.summary.fail > 0' >/dev/null

echo "== 5. kubectl auth can-i agrees with rampart can-i"
for check in "list secrets" "get secrets" "watch secrets" "create pods" "delete policyreports.wgpolicyk8s.io" \
             "list pods" "list clusterroles.rbac.authorization.k8s.io" "patch policyreports.wgpolicyk8s.io" "create deployments.apps"; do
  set -- $check
  want=$($K auth can-i "$1" "$2" --as "$SA" -n shop || true)
  got=$($RAMPART can-i "$1" "$2" --as "$SA" -n shop -f deploy/ | head -1 | cut -d' ' -f1 || true)
  [ "$want" = "$got" ] || { echo "can-i $check: kubectl says $want, rampart says $got" >&2; exit 1; }
done

echo "e2e: all checks passed"
