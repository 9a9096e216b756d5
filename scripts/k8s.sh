#!/usr/bin/env bash
# A real Kubernetes control plane as the project's own processes, to prove the Helm
# chart against (no Docker, no kubelet): etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, and kwok, which plays the kubelets of simulated nodes (pods are
# scheduled, become Running and Ready, Job pods complete; no container runs).
#
#   scripts/k8s.sh up|down|restart|status [component...]   (default: all but the adapter)
#   scripts/k8s.sh down --wipe                 stop, then delete the cluster's data
#   scripts/k8s.sh kubectl ARGS...             kubectl against this cluster
#   scripts/k8s.sh env                         prints KUBECONFIG=... for `eval`
#
# Components: etcd apiserver controller-manager scheduler kwok adapter (started in this
# order, stopped in reverse). `adapter` is HMS's custom/external metrics API server
# (scripts/k8s/metrics-adapter), fed by this profile's Prometheus; the HPA lab starts it.
# Binaries are built by scripts/install.sh into $HMS_TOOLS/bin (pinned in
# scripts/k8s/controlplane/go.mod). Everything binds to 127.0.0.1; ports come from
# scripts/profiles/*.env (shifted by HMS_PORT_OFFSET); data, certificates and the admin
# kubeconfig live in .hms/$HMS_PROFILE/k8s (mode 700).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source=scripts/lib/common.sh
source "$HERE/lib/common.sh"
# shellcheck source=scripts/lib/env.sh
source "$HERE/lib/env.sh"
HMS_LOG_PREFIX="k8s:$HMS_PROFILE"

ALL_COMPONENTS=(etcd apiserver controller-manager scheduler kwok adapter)
DEFAULT_COMPONENTS=(etcd apiserver controller-manager scheduler kwok)
K8S_DIR="$HMS_HOME/k8s"
PKI="$K8S_DIR/pki"
KUBECONFIG_FILE="$K8S_DIR/kubeconfig"
# Simulated nodes kwok manages: spread over three zones, so topology spread and
# anti-affinity have somewhere to go.
K8S_NODES="${HMS_K8S_NODES:-6}"

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

bin() { # NAME: the tool from the tools cache, or a clear error
  local b="$HMS_TOOLS/bin/$1"
  [[ -x "$b" ]] || die "$1 is not built ($b missing): run scripts/install.sh"
  echo "$b"
}

kc() { "$(bin kubectl)" --kubeconfig="$KUBECONFIG_FILE" "$@"; }

require_free_port() { # COMPONENT PORT
  if port_open "$2"; then die "$1: port $2 is already in use (another profile, or HMS_PORT_OFFSET?)"; fi
}

# ------------------------------------------------------------------ certificates, keys
# One CA signs the API server's serving certificate and the front proxy's client
# certificate (the aggregation layer's identity towards the metrics adapter). The
# service-account key pair signs tokens. The admin token is a generated secret.
ensure_pki() {
  mkdir -p "$PKI"
  chmod 700 "$K8S_DIR" "$PKI"
  (
    umask 077
    cd "$PKI"
    if [[ ! -f ca.crt ]]; then
      openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
        -subj "/CN=hms-k8s-ca" 2>/dev/null
    fi
    if [[ ! -f apiserver.crt ]]; then
      openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr \
        -subj "/CN=kube-apiserver" 2>/dev/null
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n' >apiserver.ext
      openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
        -out apiserver.crt -days 3650 -extfile apiserver.ext 2>/dev/null
    fi
    if [[ ! -f front-proxy-client.crt ]]; then
      openssl req -newkey rsa:2048 -nodes -keyout front-proxy-client.key -out front-proxy-client.csr \
        -subj "/CN=front-proxy-client" 2>/dev/null
      openssl x509 -req -in front-proxy-client.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
        -out front-proxy-client.crt -days 3650 2>/dev/null
    fi
    if [[ ! -f sa.key ]]; then
      openssl genrsa -out sa.key 2048 2>/dev/null
      openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    fi
    if [[ ! -f tokens.csv ]]; then
      echo "$(openssl rand -hex 32),admin,admin,system:masters" >tokens.csv
    fi
  )
  local token
  token="$(cut -d, -f1 "$PKI/tokens.csv")"
  (
    umask 077
    cat >"$KUBECONFIG_FILE.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: hms-$HMS_PROFILE
    cluster:
      server: https://127.0.0.1:$HMS_K8S_APISERVER_PORT
      certificate-authority: $PKI/ca.crt
users:
  - name: admin
    user:
      token: $token
contexts:
  - name: hms-$HMS_PROFILE
    context: { cluster: hms-$HMS_PROFILE, user: admin, namespace: default }
current-context: hms-$HMS_PROFILE
EOF
    mv -f "$KUBECONFIG_FILE.tmp" "$KUBECONFIG_FILE"
  )
}

# ------------------------------------------------------------------------------ etcd
etcd_ports() { echo "$HMS_K8S_ETCD_PORT"; }
etcd_ready() { curl -fsS --max-time 2 "http://127.0.0.1:$HMS_K8S_ETCD_PORT/health" | grep -q '"health":"true"'; }
etcd_up() {
  require_free_port etcd "$HMS_K8S_ETCD_PORT"
  require_free_port etcd "$HMS_K8S_ETCD_PEER_PORT"
  mkdir -p "$K8S_DIR/etcd"
  chmod 700 "$K8S_DIR/etcd"
  proc_start k8s-etcd "$HMS_LOGS/k8s-etcd.log" -- "$(bin etcd)" --name hms \
    --data-dir "$K8S_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$HMS_K8S_ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$HMS_K8S_ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$HMS_K8S_ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$HMS_K8S_ETCD_PEER_PORT" \
    --initial-cluster "hms=http://127.0.0.1:$HMS_K8S_ETCD_PEER_PORT" \
    --listen-metrics-urls "" --log-level warn --quota-backend-bytes 1073741824
  wait_for "etcd /health" 60 --proc k8s-etcd --log "$HMS_LOGS/k8s-etcd.log" etcd_ready
}

# ------------------------------------------------------------------------- apiserver
apiserver_ports() { echo "$HMS_K8S_APISERVER_PORT"; }
apiserver_ready() {
  curl -fsS --max-time 3 --cacert "$PKI/ca.crt" \
    -H "Authorization: Bearer $(cut -d, -f1 "$PKI/tokens.csv")" \
    "https://127.0.0.1:$HMS_K8S_APISERVER_PORT/readyz" | grep -qx ok
}
apiserver_up() {
  require_free_port apiserver "$HMS_K8S_APISERVER_PORT"
  ensure_pki
  proc_start k8s-apiserver "$HMS_LOGS/k8s-apiserver.log" -- "$(bin kube-apiserver)" \
    --etcd-servers="http://127.0.0.1:$HMS_K8S_ETCD_PORT" \
    --bind-address=127.0.0.1 --secure-port="$HMS_K8S_APISERVER_PORT" \
    --advertise-address=127.0.0.1 \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --token-auth-file="$PKI/tokens.csv" \
    --authorization-mode=Node,RBAC \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$PKI/sa.pub" \
    --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 \
    --requestheader-client-ca-file="$PKI/ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User \
    --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$PKI/front-proxy-client.crt" \
    --proxy-client-key-file="$PKI/front-proxy-client.key" \
    --enable-aggregator-routing=false \
    --cert-dir="$PKI/generated" \
    --profiling=false --v=1
  wait_for "kube-apiserver /readyz" 120 --proc k8s-apiserver --log "$HMS_LOGS/k8s-apiserver.log" apiserver_ready
}

# ---------------------------------------------------------------- controller-manager
controller-manager_ports() { echo "$HMS_K8S_CONTROLLER_MANAGER_PORT"; }
controller-manager_ready() { curl -fsSk --max-time 2 "https://127.0.0.1:$HMS_K8S_CONTROLLER_MANAGER_PORT/healthz" | grep -qx ok; }
controller-manager_up() {
  require_free_port controller-manager "$HMS_K8S_CONTROLLER_MANAGER_PORT"
  # The HPA controller syncs every 5 s (default 15 s) so tests and the lab see it act
  # sooner; every other setting is the default.
  proc_start k8s-controller-manager "$HMS_LOGS/k8s-controller-manager.log" -- \
    "$(bin kube-controller-manager)" \
    --kubeconfig="$KUBECONFIG_FILE" \
    --authentication-kubeconfig="$KUBECONFIG_FILE" --authorization-kubeconfig="$KUBECONFIG_FILE" \
    --bind-address=127.0.0.1 --secure-port="$HMS_K8S_CONTROLLER_MANAGER_PORT" \
    --cert-dir="$K8S_DIR/controller-manager" \
    --leader-elect=false \
    --service-account-private-key-file="$PKI/sa.key" \
    --root-ca-file="$PKI/ca.crt" \
    --service-cluster-ip-range=10.96.0.0/16 \
    --horizontal-pod-autoscaler-sync-period=5s \
    --profiling=false --v=1
  wait_for "kube-controller-manager /healthz" 90 --proc k8s-controller-manager \
    --log "$HMS_LOGS/k8s-controller-manager.log" controller-manager_ready
}

# ------------------------------------------------------------------------- scheduler
scheduler_ports() { echo "$HMS_K8S_SCHEDULER_PORT"; }
scheduler_ready() { curl -fsSk --max-time 2 "https://127.0.0.1:$HMS_K8S_SCHEDULER_PORT/healthz" | grep -qx ok; }
scheduler_up() {
  require_free_port scheduler "$HMS_K8S_SCHEDULER_PORT"
  proc_start k8s-scheduler "$HMS_LOGS/k8s-scheduler.log" -- "$(bin kube-scheduler)" \
    --kubeconfig="$KUBECONFIG_FILE" \
    --authentication-kubeconfig="$KUBECONFIG_FILE" --authorization-kubeconfig="$KUBECONFIG_FILE" \
    --bind-address=127.0.0.1 --secure-port="$HMS_K8S_SCHEDULER_PORT" \
    --cert-dir="$K8S_DIR/scheduler" \
    --leader-elect=false --profiling=false --v=1
  wait_for "kube-scheduler /healthz" 90 --proc k8s-scheduler --log "$HMS_LOGS/k8s-scheduler.log" scheduler_ready
}

# ------------------------------------------------------------------------------ kwok
kwok_ports() { echo "-"; }
kwok_ready() { [[ "$(kc get nodes -l type=kwok --no-headers 2>/dev/null | grep -c ' Ready ')" == "$K8S_NODES" ]]; }
kwok_up() {
  # kwok's defaults: nodes with the annotation below are kept Ready (leases renewed),
  # their pods go Running and Ready, pods of Jobs complete, deleted pods go away.
  proc_start k8s-kwok "$HMS_LOGS/k8s-kwok.log" -- "$(bin kwok)" \
    --kubeconfig="$KUBECONFIG_FILE" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --manage-nodes-with-label-selector= \
    --disregard-status-with-annotation-selector=kwok.x-k8s.io/status=custom \
    --disregard-status-with-label-selector= \
    --cidr=10.244.0.1/16 --node-ip=10.0.0.1 --node-lease-duration-seconds=40 \
    --server-address=""
  local i zones=(a b c) nodes=""
  for ((i = 1; i <= K8S_NODES; i++)); do
    nodes+="---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: { kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: '0' }
  labels:
    type: kwok
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    node-role.kubernetes.io/agent: ''
    topology.kubernetes.io/zone: zone-${zones[$(((i - 1) % 3))]}
status:
  allocatable: { cpu: '16', memory: 64Gi, pods: '110' }
  capacity: { cpu: '16', memory: 64Gi, pods: '110' }
  nodeInfo: { architecture: amd64, operatingSystem: linux, kubeletVersion: fake }
"
  done
  kc apply -f - <<<"$nodes" >/dev/null
  wait_for "kwok to report $K8S_NODES simulated nodes Ready" 60 --proc k8s-kwok --log "$HMS_LOGS/k8s-kwok.log" kwok_ready
}

# --------------------------------------------------------------------------- adapter
# HMS's metrics adapter (scripts/k8s/metrics-adapter): serves custom.metrics.k8s.io,
# external.metrics.k8s.io and metrics.k8s.io from this profile's Prometheus, with the
# rules of k8s/prometheus-adapter/rules.yaml. HMS_K8S_ADAPTER_ARGS adds flags (the lab
# passes --spread-over-pods).
adapter_ports() { echo "$HMS_K8S_ADAPTER_PORT"; }
adapter_ready() {
  [[ "$(kc get apiservice v1beta1.custom.metrics.k8s.io -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null)" == True ]] &&
    [[ "$(kc get apiservice v1beta1.external.metrics.k8s.io -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null)" == True ]] &&
    [[ "$(kc get apiservice v1beta1.metrics.k8s.io -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null)" == True ]]
}
adapter_up() {
  require_free_port adapter "$HMS_K8S_ADAPTER_PORT"
  mkdir -p "$K8S_DIR/adapter"
  # shellcheck disable=SC2086 # extra flags, split on purpose
  proc_start k8s-adapter "$HMS_LOGS/k8s-adapter.log" -- "$(bin hms-metrics-adapter)" \
    --lister-kubeconfig="$KUBECONFIG_FILE" \
    --authentication-kubeconfig="$KUBECONFIG_FILE" --authorization-kubeconfig="$KUBECONFIG_FILE" \
    --bind-address=127.0.0.1 --secure-port="$HMS_K8S_ADAPTER_PORT" \
    --cert-dir="$K8S_DIR/adapter" \
    --prometheus-url="http://127.0.0.1:$HMS_PROMETHEUS_PORT" \
    --config="$HMS_ROOT/k8s/prometheus-adapter/rules.yaml" \
    ${HMS_K8S_ADAPTER_ARGS:-}
  wait_for "metrics adapter to listen" 60 --proc k8s-adapter --log "$HMS_LOGS/k8s-adapter.log" \
    port_open "$HMS_K8S_ADAPTER_PORT"
  # The aggregation layer reaches it through an ExternalName Service (localhost): on
  # this machine the adapter is a process, not a pod. A cluster runs the adapter as a
  # Deployment instead (docs/deploying.md); these objects are the lab's only.
  local group apis=""
  for group in custom.metrics.k8s.io external.metrics.k8s.io metrics.k8s.io; do
    apis+="---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: { name: v1beta1.$group }
spec:
  group: $group
  version: v1beta1
  service: { namespace: kube-system, name: hms-metrics-adapter, port: $HMS_K8S_ADAPTER_PORT }
  insecureSkipTLSVerify: true
  groupPriorityMinimum: 100
  versionPriority: 100
"
  done
  kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: { name: hms-metrics-adapter, namespace: kube-system }
spec:
  type: ExternalName
  externalName: localhost
  ports: [{ name: https, port: $HMS_K8S_ADAPTER_PORT }]
$apis
EOF
  wait_for "the metrics APIs to be Available" 90 --proc k8s-adapter --log "$HMS_LOGS/k8s-adapter.log" adapter_ready
}

# ---------------------------------------------------------------------------- driver
component_up() {
  local c="$1" t0
  t0="$(now_ms)"
  if proc_running "k8s-$c"; then
    log "$c: already running (pid $(proc_pid "k8s-$c"))"
    return 0
  fi
  "${c}_up"
  log "$c: ready (port $("${c}_ports"), pid $(proc_pid "k8s-$c"), $(($(now_ms) - t0)) ms)"
}

component_down() {
  local c="$1"
  if [[ "$c" == adapter ]] && proc_running k8s-apiserver; then
    kc delete apiservice v1beta1.custom.metrics.k8s.io v1beta1.external.metrics.k8s.io \
      v1beta1.metrics.k8s.io --ignore-not-found >/dev/null 2>&1 || true
  fi
  proc_running "k8s-$c" || {
    proc_stop "k8s-$c"
    return 0
  }
  proc_stop "k8s-$c" 30
  log "$c: stopped"
}

status() {
  local c rc=0
  for c in "$@"; do
    if proc_running "k8s-$c"; then
      printf '%-19s running  pid %-8s port %s\n' "$c" "$(proc_pid "k8s-$c")" "$("${c}_ports")"
    else
      printf '%-19s stopped\n' "$c"
      rc=3
    fi
  done
  return "$rc"
}

main() {
  (($#)) || usage
  local cmd="$1" wipe=0 c comps=()
  shift
  case "$cmd" in
    kubectl)
      kc "$@"
      return
      ;;
    env)
      echo "export KUBECONFIG=$KUBECONFIG_FILE"
      return
      ;;
  esac
  for c in "$@"; do
    case "$c" in
      --wipe) wipe=1 ;;
      -h | --help) usage ;;
      etcd | apiserver | controller-manager | scheduler | kwok | adapter) comps+=("$c") ;;
      *) die "unknown component or option: $c" ;;
    esac
  done
  local ordered=() reversed=()
  if ((${#comps[@]} == 0)); then
    if [[ "$cmd" == down || "$cmd" == status ]]; then comps=("${ALL_COMPONENTS[@]}"); else comps=("${DEFAULT_COMPONENTS[@]}"); fi
  fi
  for c in "${ALL_COMPONENTS[@]}"; do
    if [[ " ${comps[*]} " == *" $c "* ]]; then ordered+=("$c"); fi
  done
  for ((c = ${#ordered[@]} - 1; c >= 0; c--)); do reversed+=("${ordered[c]}"); done

  case "$cmd" in
    status)
      status "${ordered[@]}"
      return
      ;;
    up | down | restart) ;;
    *) usage ;;
  esac
  private_dir "$HMS_RUN" "$HMS_LOGS"
  (umask 077 && : >>"$HMS_RUN/.k8s.lock")
  exec 9>"$HMS_RUN/.k8s.lock"
  flock -w 600 9 || die "another scripts/k8s.sh holds $HMS_RUN/.k8s.lock"
  case "$cmd" in
    up) for c in "${ordered[@]}"; do component_up "$c"; done ;;
    down)
      for c in "${reversed[@]}"; do component_down "$c"; done
      if ((wipe)); then
        for c in "${ALL_COMPONENTS[@]}"; do proc_running "k8s-$c" && die "wipe: $c still runs"; done
        rm -rf "$K8S_DIR"
        log "wiped $K8S_DIR"
      fi
      ;;
    restart)
      for c in "${reversed[@]}"; do component_down "$c"; done
      for c in "${ordered[@]}"; do component_up "$c"; done
      ;;
  esac
}

main "$@"
