#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Proves that the stack starts from a checkout no other user can reach: a copy of this
# working tree in a folder of mode 700 inside another one (as a clone in root's home
# folder, or in a `mktemp -d` folder, is), with its own profile data and ports. It brings
# every infrastructure component up from there, proves each one answers (PostgreSQL
# writes and reads a row over TCP with its password, Redis likewise, Kafka has created
# its readiness topic, nginx's workers, which run as nobody, answer, Prometheus is
# ready), then tears it down with `down --wipe`, checks that nothing of it is left
# (PostgreSQL's cluster folder included) and removes the folder.
#
#   scripts/check-private-clone.sh      (a check of scripts/run-tests.sh; about a minute)
#
# Ports: the test profile's, shifted by HMS_PORT_OFFSET plus the first of 300, 400, ...
# 900 at which every one of them is free (or HMS_PRIVATE_CLONE_SHIFT), so it meets
# neither this checkout's stacks nor those of other checkouts on the machine. Tools come
# from the shared cache ($HMS_TOOLS); no npm install, as no node process is started from
# the copy.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
export HMS_PROFILE=test
# shellcheck source=lib/env.sh
source "$here/lib/env.sh"
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
HMS_LOG_PREFIX="private-clone"

# all_free SHIFT: every port of the test profile, moved by SHIFT, is free
all_free() {
  local line port
  while IFS= read -r line; do
    [[ "$line" =~ ^HMS_[A-Z_]+_PORTS?=\"?([0-9 ]+)\"?$ ]] || continue
    for port in ${BASH_REMATCH[1]}; do
      port_free "$((port + ${HMS_PORT_OFFSET:-0} + $1))" || return 1
    done
  done <"$HMS_ROOT/scripts/profiles/test.env"
}
offset=""
for shift in ${HMS_PRIVATE_CLONE_SHIFT:-300 400 500 600 700 800 900}; do
  if all_free "$shift"; then
    offset=$((${HMS_PORT_OFFSET:-0} + shift))
    break
  fi
done
[[ -n "$offset" ]] || die "no free set of ports for the copy's stack (HMS_PRIVATE_CLONE_SHIFT)"
parent="$(mktemp -d)" # mode 700, like a home folder
clone="$parent/home/hms"
cluster=""

# in_clone CMD...: CMD with nothing of this checkout's environment (its ports, secrets
# and paths), only what a user's fresh shell in the copy would have
in_clone() {
  (cd "$clone" && env -i "PATH=$PATH" "HOME=$HOME" "HMS_TOOLS=$HMS_TOOLS" \
    "HMS_PORT_OFFSET=$offset" HMS_PROFILE=test "$@")
}

cleanup() {
  local rc=$?
  if [[ -x "$clone/scripts/infra.sh" ]]; then
    in_clone scripts/infra.sh down --wipe >/dev/null 2>&1 || true
  fi
  rm -rf "$parent"
  exit "$rc"
}
trap cleanup EXIT

mkdir -m 700 "$parent/home" "$clone"
log "copying the working tree to $clone (modes: $(stat -c %a "$parent") $(stat -c %a "$parent/home"))"
copy_working_tree "$clone"

if ((EUID == 0)); then
  # the premise: the server's user really cannot reach the copy
  if runuser -u postgres -- test -x "$clone" 2>/dev/null; then
    die "user postgres can reach $clone: this check would prove nothing"
  fi
  log "user postgres cannot reach $clone, as intended"
fi

log "bringing the infrastructure up from the copy (ports shifted by $offset)"
in_clone scripts/infra.sh up
in_clone scripts/infra.sh status

# shellcheck disable=SC2016 # expanded in the copy's environment, not here
in_clone scripts/with-test-env bash -c '
  set -euo pipefail
  export PGPASSWORD="$HMS_PG_SUPERUSER_PASSWORD" REDISCLI_AUTH="$HMS_REDIS_PASSWORD"
  sql() { "$HMS_PG_BIN/psql" -X -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$HMS_PG_PORT" -U postgres -d hms -c "$1"; }
  sql "CREATE TABLE private_clone_check (note text); INSERT INTO private_clone_check VALUES ('"'"'written'"'"')" >/dev/null
  [[ "$(sql "SELECT note FROM private_clone_check")" == written ]]
  echo "postgres: a row written and read back over TCP; data in $(sql "SHOW data_directory")"
  [[ "$(redis-cli -h 127.0.0.1 -p "$HMS_REDIS_PORT" SET private-clone-check ok)" == OK ]]
  [[ "$(redis-cli -h 127.0.0.1 -p "$HMS_REDIS_PORT" GET private-clone-check)" == ok ]]
  echo "redis: a key written and read back"
  grep -q "hms.__readiness" < <(scripts/infra.sh kafka-topics --list)
  echo "kafka: topics listed"
  curl -fsS -o /dev/null "http://127.0.0.1:$HMS_NGINX_PORT/nginx-health"
  echo "nginx: a worker answered"
  curl -fsS "http://127.0.0.1:$HMS_PROMETHEUS_PORT/api/v1/query?query=up" | grep -q "\"status\":\"success\""
  echo "prometheus: a query answered"
  curl -fsS "http://127.0.0.1:$HMS_JAEGER_PORT/api/services" | grep -q "\"data\""
  echo "jaeger: its query API answered"
  curl -fsS -o /dev/null "http://127.0.0.1:$HMS_ALERTMANAGER_PORT/-/ready"
  curl -fsS -o /dev/null "http://127.0.0.1:$HMS_ALERT_RECEIVER_PORT/notifications"
  echo "alertmanager and its receiver: ready"
  for p in "$HMS_NODE_EXPORTER_PORT" "$HMS_POSTGRES_EXPORTER_PORT" "$HMS_REDIS_EXPORTER_PORT" "$HMS_NGINX_EXPORTER_PORT"; do
    curl -fsS -o /dev/null "http://127.0.0.1:$p/metrics"
  done
  echo "exporters: each served its metrics"'

if [[ -L "$clone/.hms/test/postgres" ]]; then cluster="$(readlink "$clone/.hms/test/postgres")"; fi
in_clone scripts/infra.sh down --wipe
if [[ -n "$cluster" && -e "$cluster" ]]; then die "down --wipe left $cluster behind"; fi
leftover="$(find "$clone/.hms/test" -mindepth 1 ! -name secrets.env -print -quit)"
[[ -z "$leftover" ]] || die "down --wipe left $leftover behind"
log "down --wipe removed everything${cluster:+ (cluster folder $cluster included)}"
