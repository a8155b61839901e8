#!/usr/bin/env bash
# The seeds' namespace outage ("命名空间回收机制失效", issue 19), live against `kubeloop dev`:
#
#   1. the route controller's RAM policy turns `Effect: Deny` on the VPC route writes;
#   2. the VPC route of the metrics-server's node goes (deleted in the VPC, behind the route
#      controller's back); the route controller cannot put it back and says why: the node's
#      NetworkUnavailable=True/NoRouteCreated with Forbidden.RAM, a Warning Event, its
#      last-full-sync metric and its readiness;
#   3. the API server (host network) cannot reach the metrics-server pod: the APIService
#      v1beta1.metrics.k8s.io is False (FailedDiscoveryCheck), `kubectl top` fails, and a deleted
#      namespace stays Terminating with NamespaceDeletionDiscoveryFailure;
#   4. the policy is `Allow` again: the route returns, the APIService is Available, the namespace
#      is gone.
#
# Each step is observed with kubectl (a fresh --cache-dir per call: kubectl caches discovery),
# the controller's metric and readiness with curl. The cloud side (RAM, the route deletion) goes
# through `kubeloop cloudsim ram` and the emulator's /_sim API. See docs/outage.md.
#
# The route controller notices a route deleted behind its back at its next full resync
# (--route-reconciliation-period, 5 minutes by default), so the `kubeloop dev` this runs against
# must have been started with a short one:
#   npx kubeloop dev --flag route-reconciliation-period=10s
# or let this script start one (and stop it at the end) with --start.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE_DIR=.kubeloop
TIMEOUT=120
HEAL_TIMEOUT=
NS=outage-demo
RESTORE=1
START=0
POLICY=route-controller

usage() {
  cat <<EOF
Usage: $0 [--state-dir DIR] [--start] [--timeout SECONDS] [--heal-timeout SECONDS] [--namespace NAME] [--no-restore]

  --state-dir DIR    the running kubeloop dev's state directory (its dev.json; default .kubeloop)
  --start            start kubeloop dev (with --flag route-reconciliation-period=10s) in a new
                     temporary state directory first, and stop it at the end
  --timeout SECONDS  how long to wait for each step (default $TIMEOUT)
  --heal-timeout SECONDS
                     how long to wait for each step of the recovery (default: --timeout)
  --namespace NAME   the namespace to delete (default $NS; must not exist)
  --no-restore       leave the Deny in place: the recovery never comes and the script fails
                     (shows that the waits do check something)

Needs bash, kubectl, curl and node; kubeloop is run from this repository
(\$KUBELOOP overrides the command, e.g. KUBELOOP="npx kubeloop").
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --state-dir) STATE_DIR=${2:?--state-dir needs a directory}; shift 2 ;;
    --state-dir=*) STATE_DIR=${1#*=}; shift ;;
    --timeout) TIMEOUT=${2:?--timeout needs a number of seconds}; shift 2 ;;
    --timeout=*) TIMEOUT=${1#*=}; shift ;;
    --heal-timeout) HEAL_TIMEOUT=${2:?--heal-timeout needs a number of seconds}; shift 2 ;;
    --heal-timeout=*) HEAL_TIMEOUT=${1#*=}; shift ;;
    --namespace) NS=${2:?--namespace needs a name}; shift 2 ;;
    --namespace=*) NS=${1#*=}; shift ;;
    --no-restore) RESTORE=0; shift ;;
    --start) START=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "namespace-outage: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
HEAL_TIMEOUT=${HEAL_TIMEOUT:-$TIMEOUT}
for t in "--timeout $TIMEOUT" "--heal-timeout $HEAL_TIMEOUT"; do
  case "${t#* }" in ''|*[!0-9]*) echo "namespace-outage: ${t%% *} must be a whole number of seconds, not '${t#* }'" >&2; exit 2 ;; esac
done
for tool in kubectl curl node; do
  command -v "$tool" >/dev/null || { echo "namespace-outage: $tool is not on the PATH" >&2; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/namespace-outage.XXXXXX")
DEV_PID=
cleanup() {
  if [ -n "$DEV_PID" ]; then
    kill "$DEV_PID" 2>/dev/null || true
    wait "$DEV_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n==> %s\n' "$*"; }
ok() { printf 'ok (%ss): %s\n' "$SECONDS" "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
indent() { sed 's/^/    /'; }
# The arguments as one would type them: single-quoted where the shell would need it.
quoted() {
  local a out=()
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then out+=("$a"); else out+=("'${a//\'/\'\\\'\'}'"); fi
  done
  printf '%s' "${out[*]}"
}

# `jsget EXPR` prints EXPR evaluated with d = the JSON document on stdin (strings bare, objects as JSON).
jsget() {
  node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8")); const v = eval(process.argv[1]);
    process.stdout.write(v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));' "$1"
}

# kubectl against the dev cluster, with a discovery cache of its own: kubectl keeps discovery for
# hours, and a cache written while the metrics API was unavailable would hide its return.
k() { kubectl --kubeconfig "$KUBECONFIG_PATH" --cache-dir "$(mktemp -d "$WORK/cache.XXXXXX")" "$@"; }
# Prints a kubectl command and what it shows (exit status kept in $SHOWN_RC).
show() {
  printf '$ kubectl %s\n' "$(quoted "$@")"
  SHOWN_RC=0
  k "$@" >"$WORK/out" 2>&1 || SHOWN_RC=$?
  indent <"$WORK/out"
}
kubeloop() {
  # from the repository, so the @kubeloop/ack extension (cloudsim) is loaded
  if [ -n "${KUBELOOP:-}" ]; then (cd "$ROOT" && exec $KUBELOOP "$@"); else (cd "$ROOT" && exec node "$ROOT/dist/bundle/cli/main.js" "$@"); fi
}
# `kubectl describe node`, its conditions only
show_conditions() {
  printf '$ kubectl describe node %s   # its Conditions\n' "$NODE"
  k describe node "$NODE" 2>&1 | sed -n '/^Conditions:/,/^[A-Z]/p' | sed '$d' | indent
}
show_kubeloop() {
  printf '$ kubeloop %s\n' "$(quoted "$@")"
  kubeloop "$@" 2>&1 | indent
}

# `wait_for WHAT CHECK [ARGS...]`: runs the CHECK function every second until it succeeds, for at
# most --timeout seconds; a check leaves what it saw in $WORK/last, printed on a timeout.
wait_for() {
  local what=$1; shift
  local deadline=$((SECONDS + TIMEOUT))
  : >"$WORK/last"
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      printf 'TIMEOUT after %ss waiting for: %s\nlast seen:\n' "$TIMEOUT" "$what" >&2
      indent <"$WORK/last" >&2
      exit 1
    fi
    sleep 1
  done
  ok "$what"
}

# --- the dev cluster ---------------------------------------------------------------------------
if [ "$START" = 1 ]; then
  STATE_DIR="$WORK/dev"
  step "Starting kubeloop dev (state in $STATE_DIR, route controller resync every 10s)"
  # exec: $! is then kubeloop dev itself, which the EXIT trap stops (SIGTERM) and waits for
  if [ -n "${KUBELOOP:-}" ]; then
    (cd "$ROOT" && exec $KUBELOOP dev --state-dir "$STATE_DIR" --flag route-reconciliation-period=10s) >"$WORK/dev.out" 2>&1 &
  else
    (cd "$ROOT" && exec node "$ROOT/dist/bundle/cli/main.js" dev --state-dir "$STATE_DIR" --flag route-reconciliation-period=10s) >"$WORK/dev.out" 2>&1 &
  fi
  DEV_PID=$!
  dev_started() { grep -q 'Ctrl-C stops everything' "$WORK/dev.out" 2>/dev/null || { kill -0 "$DEV_PID" 2>/dev/null || { cat "$WORK/dev.out" >&2; fail "kubeloop dev exited"; }; return 1; }; }
  wait_for "kubeloop dev is running" dev_started
  indent <"$WORK/dev.out"
fi

DEV_JSON="$STATE_DIR/dev.json"
[ -f "$DEV_JSON" ] || fail "no $DEV_JSON: start 'npx kubeloop dev --flag route-reconciliation-period=10s' first (or pass --state-dir, or --start)"
pid=$(jsget 'd.pid' <"$DEV_JSON")
kill -0 "$pid" 2>/dev/null || fail "the kubeloop dev of $DEV_JSON (pid $pid) is not running"
KUBECONFIG_PATH=$(jsget 'd.kubeconfig' <"$DEV_JSON")
CLOUD=$(jsget 'd.cloud && d.cloud.url' <"$DEV_JSON")
[ -n "$CLOUD" ] || fail "$DEV_JSON names no cloud emulator: run kubeloop dev from this repository (the @kubeloop/ack extension)"
METRICS=$(jsget '(d.controllers || []).find((c) => c.name === "ack-controllers")?.metrics' <"$DEV_JSON")
HEALTH=$(jsget '(d.controllers || []).find((c) => c.name === "ack-controllers")?.health' <"$DEV_JSON")
[ -n "$METRICS" ] && [ -n "$HEALTH" ] || fail "$DEV_JSON lists no metrics and probe URLs of the ACK controllers (a kubeloop dev older than this script?)"
PERIOD=$(jsget '(d.controllerFlags || []).find((f) => /^(--)?route-reconciliation-period=/.test(f))?.split("=")[1]' <"$DEV_JSON")
[ -n "$PERIOD" ] || fail "this kubeloop dev runs the route controller with its default --route-reconciliation-period (5m): it would notice the deleted route only minutes later. Restart it with: npx kubeloop dev --flag route-reconciliation-period=10s (or run this script with --start)"
CONSOLE=$(jsget 'd.console' <"$DEV_JSON")

step "0. The cluster before the outage"
echo "kubectl below is: kubectl --kubeconfig $KUBECONFIG_PATH --cache-dir <new each time>"
echo "cloud emulator: $CLOUD; route controller: --route-reconciliation-period=$PERIOD; metrics $METRICS; probes $HEALTH"
[ -z "$CONSOLE" ] || echo "watch it live in the console: $CONSOLE (its RAM panel's switch denies and allows the route writes by click)"
if k get namespace "$NS" >/dev/null 2>&1; then fail "namespace $NS exists already: pass --namespace NAME"; fi

metrics_pod() {
  k get pods -n kube-system -l k8s-app=metrics-server -o jsonpath='{range .items[*]}{.spec.nodeName} {.status.podIP} {.status.phase}{"\n"}{end}' >"$WORK/last" 2>&1 &&
    read -r NODE POD_IP phase <"$WORK/last" && [ -n "$POD_IP" ] && [ "$phase" = Running ]
}
wait_for "the metrics-server pod runs" metrics_pod
CIDR=$(k get node "$NODE" -o jsonpath='{.spec.podCIDR}')

apiservice_is() { # STATUS [REASON]
  k get apiservice v1beta1.metrics.k8s.io -o jsonpath='{.status.conditions[?(@.type=="Available")].status} {.status.conditions[?(@.type=="Available")].reason}{"\n"}' >"$WORK/last" 2>&1 &&
    read -r status reason <"$WORK/last" && [ "$status" = "$1" ] && { [ -z "${2:-}" ] || [ "$reason" = "$2" ]; }
}
top_works() { k top nodes >"$WORK/last" 2>&1; }
network_is() { # STATUS REASON [MESSAGE-PATTERN]
  k get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="NetworkUnavailable")].status} {.status.conditions[?(@.type=="NetworkUnavailable")].reason} {.status.conditions[?(@.type=="NetworkUnavailable")].message}{"\n"}' >"$WORK/last" 2>&1 &&
    read -r status reason message <"$WORK/last" && [ "$status" = "$1" ] && [ "$reason" = "$2" ] && [[ "$message" == *${3:-}* ]]
}
readyz_is() { # HTTP-CODE
  local code
  code=$(curl -s -o "$WORK/last" -w '%{http_code}' "$HEALTH/readyz?verbose") && [ "$code" = "$1" ]
}
show_route_controller() {
  local now line ts
  now=$(date +%s)
  printf '$ curl -s %s | grep route_controller_last_full_sync_timestamp_seconds\n' "$METRICS"
  curl -s "$METRICS" | grep '^route_controller_last_full_sync_timestamp_seconds' | while read -r line; do
    ts=${line##* }; ts=${ts%%.*}
    printf '    %s   (%s)\n' "$line" "$([ "$ts" -gt 0 ] 2>/dev/null && echo "$((now - ts))s ago" || echo never)"
  done
  printf '$ curl -s %s/readyz?verbose\n' "$HEALTH"
  curl -s -w 'HTTP %{http_code}\n' "$HEALTH/readyz?verbose" | indent
}

wait_for "the APIService v1beta1.metrics.k8s.io is Available" apiservice_is True
wait_for "kubectl top nodes works" top_works
wait_for "node $NODE has its route (NetworkUnavailable=False)" network_is False RouteCreated
show get pods -n kube-system -l k8s-app=metrics-server -o wide
show get apiservice v1beta1.metrics.k8s.io
show top nodes
show get node "$NODE" -o custom-columns='NAME:.metadata.name,POD-CIDR:.spec.podCIDR,PROVIDER-ID:.spec.providerID,NETWORK-UNAVAILABLE:.status.conditions[?(@.type=="NetworkUnavailable")].reason'
show_route_controller

# --- the outage --------------------------------------------------------------------------------
ALLOW_ALL='{"Effect": "Allow", "Action": "*", "Resource": "*"}'
DENY_ROUTES='{"Version": "1", "Statement": ['"$ALLOW_ALL"', {"Effect": "Deny", "Action": ["vpc:CreateRouteEntry", "vpc:DeleteRouteEntry"], "Resource": "*"}]}'
ALLOW_ROUTES='{"Version": "1", "Statement": ['"$ALLOW_ALL"', {"Effect": "Allow", "Action": ["vpc:CreateRouteEntry", "vpc:DeleteRouteEntry"], "Resource": "*"}]}'

step "1. The route controller's RAM policy turns Effect: Deny on the VPC route writes (user kubeloop: the controllers' AccessKey)"
show_kubeloop cloudsim ram --url "$CLOUD" attach "$POLICY" --user kubeloop --document "$DENY_ROUTES"
show_kubeloop cloudsim ram --url "$CLOUD" evaluate vpc:CreateRouteEntry --user kubeloop

step "2. The VPC route to $NODE ($CIDR, where the metrics-server pod $POD_IP runs) is deleted behind the route controller's back"
ROUTE_ID=$(curl -fsS "$CLOUD/_sim/state" | jsget "d.routeTables.flatMap((t) => t.entries).find((e) => e.destinationCidrBlock === '$CIDR')?.routeEntryId")
[ -n "$ROUTE_ID" ] || fail "no VPC route entry for $CIDR in $CLOUD/_sim/state"
printf '$ curl -X DELETE %s/_sim/route-entries/%s\n' "$CLOUD" "$ROUTE_ID"
curl -fsS -X DELETE "$CLOUD/_sim/route-entries/$ROUTE_ID" | indent
echo

step "3. The route controller cannot put it back, and says why (within its resync period, $PERIOD)"
wait_for "node $NODE NetworkUnavailable=True (NoRouteCreated, Forbidden.RAM)" network_is True NoRouteCreated Forbidden.RAM
show_conditions
warning_event() { k get events -n default --field-selector "type=Warning,reason=CreateRouteFailed,involvedObject.name=$NODE" -o name >"$WORK/last" 2>&1 && [ -s "$WORK/last" ]; }
wait_for "a Warning Event CreateRouteFailed on node $NODE" warning_event
show get events -n default --field-selector "type=Warning,involvedObject.name=$NODE"

step "4. The API server cannot reach the metrics-server: the APIService turns unavailable (its check runs every 30 s)"
wait_for "APIService v1beta1.metrics.k8s.io False (FailedDiscoveryCheck)" apiservice_is False FailedDiscoveryCheck
show get apiservice v1beta1.metrics.k8s.io
show get apiservice v1beta1.metrics.k8s.io -o jsonpath='{.status.conditions[?(@.type=="Available")].message}{"\n"}'
top_fails() { ! k top nodes >"$WORK/last" 2>&1 && grep -q 'Metrics API not available' "$WORK/last"; }
wait_for "kubectl top nodes fails" top_fails
show top nodes

step "5. A deleted namespace stays Terminating: the namespace controller cannot discover metrics.k8s.io/v1beta1"
show create namespace "$NS"
show delete namespace "$NS" --wait=false
discovery_failure() {
  k get namespace "$NS" -o jsonpath='{.status.phase} {.status.conditions[?(@.type=="NamespaceDeletionDiscoveryFailure")].status}' >"$WORK/last" 2>&1 &&
    [ "$(cat "$WORK/last")" = "Terminating True" ]
}
wait_for "namespace $NS Terminating with NamespaceDeletionDiscoveryFailure" discovery_failure
show get namespace "$NS"
show get namespace "$NS" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}: {.reason}: {.message}{"\n"}{end}'

step "6. The route controller's metric and readiness: no full sync of the route table since the Deny"
route_unready() { readyz_is 500 && grep -q '^\[-\]route-sync failed' "$WORK/last"; }
wait_for "the route controller's /readyz fails (route-sync: no full sync within --route-sync-max-age)" route_unready
show_route_controller

# --- the repair --------------------------------------------------------------------------------
if [ "$RESTORE" = 1 ]; then
  step "7. The policy is Allow again"
  show_kubeloop cloudsim ram --url "$CLOUD" put-policy "$POLICY" "$ALLOW_ROUTES"
  show_kubeloop cloudsim ram --url "$CLOUD" evaluate vpc:CreateRouteEntry --user kubeloop
else
  step "7. (--no-restore) The Deny stays: nothing heals, the waits below time out"
fi

TIMEOUT=$HEAL_TIMEOUT
step "8. The route returns, the APIService is Available, kubectl top works and the namespace is gone"
wait_for "node $NODE NetworkUnavailable=False (RouteCreated)" network_is False RouteCreated
show_conditions
show get events -n default --field-selector "reason=CreatedRoute,involvedObject.name=$NODE"
wait_for "APIService v1beta1.metrics.k8s.io Available" apiservice_is True
show get apiservice v1beta1.metrics.k8s.io
wait_for "kubectl top nodes works again" top_works
show top nodes
ns_gone() { ! k get namespace "$NS" >"$WORK/last" 2>&1 && grep -q NotFound "$WORK/last"; }
wait_for "namespace $NS is gone" ns_gone
show get namespace "$NS"
wait_for "the route controller is ready again" readyz_is 200
show_route_controller

printf '\nThe outage is over: the route is back, metrics.k8s.io is served and no namespace is left Terminating.\n'
