#!/usr/bin/env bash
# The e2e suites in external mode (e2e/support/target.ts) against a cluster where the chart is
# installed with the emulator (`make e2e-kind-install`): forwards the emulator's Service to a
# local port, reads its AccessKey from the chart's Secret, and runs the suites that run in
# external mode (EXTERNAL_SUITES of e2e/external/main.ts) with E2E_TARGET=external.
# Environment: KUBECONFIG (required), HELM_RELEASE (kubeloop), HELM_NAMESPACE (kubeloop-system),
# E2E_CLOUD_PORT (local port of the forward, 18090), E2E_CLUSTER_CIDR (10.244.0.0/16).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${KUBECONFIG:?set KUBECONFIG to the kubeconfig of the cluster (make e2e-kind-test sets .kind-kubeconfig)}"
release="${HELM_RELEASE:-kubeloop}"
ns="${HELM_NAMESPACE:-kubeloop-system}"
port="${E2E_CLOUD_PORT:-18090}"
[ -f dist/e2e/external/main.js ] || { echo "dist/ is missing: run npm run build first" >&2; exit 2; }

kubectl -n "$ns" rollout status "deployment/$release-cloudsim" --timeout=180s
secret() { kubectl -n "$ns" get secret "$release-cloudsim-credentials" -o "jsonpath={.data.$1}" | base64 -d; }
E2E_CLOUD_ACCESS_KEY_ID="$(secret access-key-id)"
E2E_CLOUD_ACCESS_KEY_SECRET="$(secret access-key-secret)"
export E2E_CLOUD_ACCESS_KEY_ID E2E_CLOUD_ACCESS_KEY_SECRET

log="${TMPDIR:-/tmp}/kubeloop-e2e-port-forward.log"
kubectl -n "$ns" port-forward "service/$release-cloudsim" "$port:8090" >"$log" 2>&1 &
forward=$!
trap 'kill "$forward" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/_sim/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
if ! curl -fsS "http://127.0.0.1:$port/_sim/healthz" >/dev/null; then
  echo "the emulator is not reachable through the port-forward:" >&2
  cat "$log" >&2
  exit 1
fi

suites="$(node dist/e2e/external/main.js --list-suites)"
# shellcheck disable=SC2086 # one argument per suite folder
E2E_TARGET=external E2E_CLOUD_URL="http://127.0.0.1:$port" E2E_CONTROLLERS_NAMESPACE="$ns" \
  E2E_CLUSTER_CIDR="${E2E_CLUSTER_CIDR:-10.244.0.0/16}" TEST_CONCURRENCY=1 \
  node scripts/run-tests.mjs $suites
