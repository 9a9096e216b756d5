#!/usr/bin/env bash
# HMS infrastructure as the project's own processes (never the system services):
# PostgreSQL 15, Redis 7, Apache Kafka (KRaft), Jaeger, nginx, and the monitoring:
# Prometheus, Alertmanager (with a local webhook receiver) and the exporters of
# PostgreSQL, Redis, nginx and the machine.
#
#   scripts/infra.sh up|down|restart|status [component...]   (default: all)
#   scripts/infra.sh down --wipe [component...]    stop, then delete their data
#   scripts/infra.sh wipe [component...]           delete data (components must be stopped)
#   scripts/infra.sh kafka-topics ARGS...          Kafka TopicCommand against this profile
#   scripts/infra.sh pg-backup | pg-backups        a base backup of PostgreSQL (WAL archiving on) | the list
#   scripts/infra.sh pg-restore TIME               PostgreSQL as it was at TIME (ISO-8601, UTC):
#                                                  the newest base backup before it + archived WAL
#
# Components: postgres redis kafka jaeger nginx node-exporter postgres-exporter
# redis-exporter nginx-exporter blackbox-exporter alert-receiver alertmanager prometheus
# (started in this order, stopped in reverse); `monitoring` names the last eight together.
# Profile: HMS_PROFILE=dev (default) or test; ports in scripts/profiles/*.env.
# Data and logs: .hms/$HMS_PROFILE/ in the repo (git-ignored), owner-only (folders 700,
# files 600); PostgreSQL's cluster, when started by root, is reached through the link
# .hms/$HMS_PROFILE/postgres (see the postgres section). `up` returns only when each
# component really serves requests, and is a no-op for components already up.
# `status` exits 0 when all listed components run, 3 otherwise.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source=scripts/lib/common.sh
source "$HERE/lib/common.sh"
# shellcheck source=scripts/lib/env.sh
source "$HERE/lib/env.sh"
HMS_LOG_PREFIX="infra:$HMS_PROFILE"
# Whatever this script writes (configs, data, logs) is its owner's alone.
umask 077

ALL_COMPONENTS=(postgres redis kafka jaeger nginx node-exporter postgres-exporter redis-exporter
  nginx-exporter blackbox-exporter alert-receiver alertmanager prometheus)
MONITORING_COMPONENTS=(node-exporter postgres-exporter redis-exporter nginx-exporter blackbox-exporter
  alert-receiver alertmanager prometheus)

usage() {
  # the header comment of this file
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

# render TEMPLATE OUT VAR... : envsubst with an explicit list, so that nginx's and
# Prometheus' own $variables / {{ }} survive untouched
render() {
  local tpl="$1" out="$2" list="" v
  shift 2
  for v in "$@"; do list+="\${$v} "; done
  private_dir "$(dirname "$out")"
  envsubst "$list" <"$tpl" >"$out.tmp"
  mv -f "$out.tmp" "$out"
}

# Fail early and clearly when a port is taken by something that is not ours.
# A component of ours that was just killed may still hold its ports for a moment: a
# multi-threaded process (the broker's JVM) shows as a zombie as soon as its main thread
# dies, yet its sockets close only when the last thread is gone. Its pid file is still
# there, so wait for that (up to 15 s) rather than call the port someone else's.
require_free_port() { # COMPONENT PORT
  local deadline
  if port_open "$2" && [[ -f "$(_proc_pidfile "$1")" ]]; then
    deadline=$(($(now_ms) + 15000))
    while port_open "$2" && (($(now_ms) < deadline)); do sleep 0.1; done
  fi
  if port_open "$2"; then
    die "$1: port $2 is already in use by another process (a system service, or another profile?). Change it in scripts/profiles/$HMS_PROFILE.env or the environment."
  fi
}

# =========================================================================== postgres
# PostgreSQL refuses to run as root. Started by root, it runs as the `postgres` OS user,
# who cannot traverse a checkout below a folder closed to others: a root user's home
# folder is mode 700, and so is every `mktemp -d` folder. So, as root, the cluster (data
# and unix socket) lives in a folder of its own under $HMS_PG_STATE_ROOT (default
# /var/lib/hms/postgres, reachable by the postgres user, listable by root only), and
# $HMS_HOME/postgres is a symbolic link to it. The link is this checkout's and profile's
# record of its cluster: `wipe`, `down --wipe` and `status` follow it. The folder's name
# is random and the folder names its checkout (file `checkout`), so two checkouts never
# share a cluster: a copied .hms gets a cluster of its own, a moved checkout keeps its
# own, and a deleted .hms means a fresh cluster next time, as for every other component.
# Started by any other user, PostgreSQL runs as that user, who can reach the checkout by
# definition, and the cluster is a plain folder $HMS_HOME/postgres.
PG_DIR="$HMS_HOME/postgres"
PG_STATE_ROOT="${HMS_PG_STATE_ROOT:-/var/lib/hms/postgres}"
PG_LOG="$HMS_LOGS/postgres.log"
# pg_locate: where the cluster of this checkout and profile really is (never through the
# checkout's path when the postgres user runs it); PG_HOME is empty when there is none.
pg_locate() {
  PG_HOME=""
  if [[ -L "$PG_DIR" ]]; then
    PG_HOME="$(readlink "$PG_DIR")"
  elif [[ -d "$PG_DIR" ]]; then
    PG_HOME="$PG_DIR"
  fi
  PG_DATA="$PG_HOME/data"
  PG_SOCKDIR="$PG_HOME/run"
}
pg_locate

# Every server-side binary runs as the server's user. `cd /` avoids "could not change
# directory to /root" warnings.
as_postgres() {
  if ((EUID == 0)); then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
pg_local_psql() { # over the unix socket, trust auth as the postgres superuser
  as_postgres "$HMS_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKDIR" -p "$HMS_PG_PORT" -U postgres "$@"
}
postgres_ready() { # what clients do: TCP + password, against the hms database
  [[ "$(PGPASSWORD="$HMS_PG_SUPERUSER_PASSWORD" PGCONNECT_TIMEOUT=3 "$HMS_PG_BIN/psql" -X -At \
    -h 127.0.0.1 -p "$HMS_PG_PORT" -U postgres -d hms -c 'select 1' 2>/dev/null)" == 1 ]]
}
postgres_ports() { echo "$HMS_PG_PORT"; }

# pg_claim_as_root: makes $PG_DIR a link to a cluster folder that belongs to this checkout.
pg_claim_as_root() {
  local target="" owner="" name
  if [[ -L "$PG_DIR" ]]; then
    target="$(readlink "$PG_DIR")"
    if [[ -f "$target/checkout" ]]; then
      read -r owner <"$target/checkout" || true
      if [[ "$owner" != "$HMS_HOME" ]]; then
        if [[ "$(readlink "$owner/postgres" 2>/dev/null)" == "$target" ]]; then
          log "postgres: $target is the cluster of $owner; this copy gets its own"
          target=""
        else
          log "postgres: $target was the cluster of $owner (moved?); it is this checkout's now"
          echo "$HMS_HOME" >"$target/checkout"
        fi
      fi
    else
      log "postgres: $PG_DIR pointed to $target, which is gone; starting a new cluster"
      target=""
    fi
  fi
  if [[ -z "$target" ]]; then
    # its parents traversable (as /var/lib is); itself traversable but not listable
    (umask 022 && mkdir -p "$PG_STATE_ROOT")
    chmod 711 "$PG_STATE_ROOT"
    name="${HMS_ROOT##*/}"
    name="${name//[^A-Za-z0-9._-]/_}"
    name="${name:0:24}-$HMS_PROFILE-$(openssl rand -hex 4)"
    target="$PG_STATE_ROOT/$name"
    install -d -o root -g postgres -m 710 "$target"
    echo "$HMS_HOME" >"$target/checkout"
    if [[ -d "$PG_DIR" && ! -L "$PG_DIR" ]]; then
      # a cluster of the earlier layout (data in the checkout itself): move it over
      if [[ -f "$PG_DIR/PG_VERSION" ]]; then
        log "postgres: moving the cluster in $PG_DIR to $target/data"
        mv "$PG_DIR" "$target/data"
        rm -rf "$HMS_RUN/postgres" # its socket folder
      else
        rm -rf "$PG_DIR"
      fi
    fi
    rm -f "$PG_DIR"
    ln -s "$target" "$PG_DIR"
  fi
  install -d -o postgres -g postgres -m 700 "$target/data" "$target/run"
}

postgres_up() {
  [[ -x "$HMS_PG_BIN/postgres" ]] || die "postgres: $HMS_PG_BIN/postgres missing (run scripts/install.sh)"
  require_free_port postgres "$HMS_PG_PORT"
  if ((EUID == 0)); then
    id postgres >/dev/null 2>&1 || die "postgres: no 'postgres' OS user (run scripts/install.sh)"
    pg_claim_as_root
  else
    [[ ! -L "$PG_DIR" ]] || die "postgres: $PG_DIR links to a cluster set up by root ($(readlink "$PG_DIR")); run as root, or remove the link for a new cluster"
    [[ ! -f "$PG_DIR/PG_VERSION" ]] || die "postgres: $PG_DIR holds a cluster of an earlier layout; run once as root to move it, or delete it"
    private_dir "$PG_DIR/data" "$PG_DIR/run"
  fi
  pg_locate
  pg_backup_dirs
  as_postgres test -x "$PG_DATA" ||
    die "postgres: the server's user cannot reach $PG_DATA (HMS_PG_STATE_ROOT=$PG_STATE_ROOT must lie where it can)"
  local sock="$PG_SOCKDIR/.s.PGSQL.$HMS_PG_PORT"
  ((${#sock} < 100)) || die "postgres: socket path too long for unix sockets: $sock"

  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    log "postgres: initdb $PG_DATA"
    local pwfile="$PG_SOCKDIR/.initdb-pw"
    (umask 077 && printf '%s\n' "$HMS_PG_SUPERUSER_PASSWORD" >"$pwfile")
    ((EUID != 0)) || chown postgres:postgres "$pwfile"
    # --no-sync: a throwaway dev/test cluster, initdb's fsync of every file only costs time
    as_postgres "$HMS_PG_BIN/initdb" -D "$PG_DATA" -U postgres --pwfile="$pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
      --no-sync >>"$PG_LOG" 2>&1 || {
      rm -f "$pwfile"
      tail -n 20 "$PG_LOG" >&2
      die "postgres: initdb failed (see $PG_LOG)"
    }
    rm -f "$pwfile"
    echo "include_if_exists = 'hms.conf'   # written by scripts/infra.sh on every start" \
      >>"$PG_DATA/postgresql.conf"
  fi
  # Settings that depend on the profile, rewritten at every start (the include above is
  # last in postgresql.conf, so these win).
  cat >"$PG_DATA/hms.conf" <<EOF
# Generated by scripts/infra.sh on every start; edits are lost.
listen_addresses = '127.0.0.1'
port = $HMS_PG_PORT
unix_socket_directories = '$PG_SOCKDIR'
unix_socket_permissions = 0700
max_connections = 300
password_encryption = 'scram-sha-256'
timezone = 'UTC'
log_timezone = 'UTC'
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
# Statement statistics for the exporter (monitoring/postgres-exporter/queries.yaml), every
# statement slower than 100 ms in the log with its duration, and one slower than a second
# with the plan it ran (a plan chosen on stale statistics shows only while it is slow).
shared_preload_libraries = 'pg_stat_statements,auto_explain'
pg_stat_statements.max = 5000
pg_stat_statements.track = top
track_io_timing = on
log_min_duration_statement = 100
auto_explain.log_min_duration = '1s'
auto_explain.log_nested_statements = on
EOF
  # Point-in-time recovery (docs/operations.md): every completed WAL segment is copied to the
  # archive beside the cluster, and a segment is closed at least once a minute while there is
  # activity, so a lost server loses at most the last minute.
  if [[ "${HMS_PG_WAL_ARCHIVE:-off}" == on ]]; then
    cat >>"$PG_DATA/hms.conf" <<EOF
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $PG_ARCHIVE/%f && cp %p $PG_ARCHIVE/%f'
archive_timeout = 60
EOF
  fi
  # A restore in progress (pg_restore_to): its recovery settings, until recovery has ended.
  if [[ -f "$PG_DATA/hms-recovery.conf" ]]; then cat "$PG_DATA/hms-recovery.conf" >>"$PG_DATA/hms.conf"; fi
  ((EUID != 0)) || chown postgres:postgres "$PG_DATA/hms.conf"
  # A postmaster killed with SIGKILL on a machine whose init does not reap orphans stays a
  # zombie, and its pid in the lock files then looks alive to a new postmaster. We only
  # get here when our postmaster is not running, so lock files of dead pids are stale.
  local lock old st
  for lock in "$PG_DATA/postmaster.pid" "$sock.lock"; do
    [[ -f "$lock" ]] || continue
    read -r old <"$lock" || true
    if [[ "$old" =~ ^[0-9]+$ ]] && { ! st="$(_proc_stat "$old")" || [[ "${st%% *}" == Z ]]; }; then
      log "postgres: removing stale $(basename "$lock") (pid $old is gone)"
      rm -f "$lock"
    fi
  done

  # setpriv execs postgres in place (no intermediate process), so the recorded pid is the
  # postmaster itself.
  local as_server=()
  ((EUID != 0)) || as_server=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  proc_start postgres "$PG_LOG" -- "${as_server[@]}" "$HMS_PG_BIN/postgres" -D "$PG_DATA"
  wait_for "postgres to accept connections" 60 --proc postgres --log "$PG_LOG" \
    as_postgres "$HMS_PG_BIN/pg_isready" -q -h "$PG_SOCKDIR" -p "$HMS_PG_PORT"
  if [[ -f "$PG_DATA/hms-recovery.conf" ]]; then
    # Replaying archived WAL up to the target, then promoted: only then writable.
    wait_for "postgres to finish point-in-time recovery" 900 --proc postgres --log "$PG_LOG" pg_recovered
    rm -f "$PG_DATA/hms-recovery.conf"
  fi
  # Keep the superuser password in line with secrets.env (also after secrets.env was
  # regenerated), then make sure the application database exists.
  printf "ALTER ROLE postgres PASSWORD '%s';\n" "$HMS_PG_SUPERUSER_PASSWORD" | pg_local_psql -d postgres
  if [[ "$(pg_local_psql -d postgres -At -c "select 1 from pg_database where datname = 'hms'")" != 1 ]]; then
    log "postgres: creating database hms"
    pg_local_psql -d postgres -c 'CREATE DATABASE hms'
  fi
  pg_local_psql -d hms -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements'
  wait_for "postgres to answer over TCP with the password" 30 --proc postgres --log "$PG_LOG" postgres_ready
}

pg_recovered() { [[ "$(pg_local_psql -d postgres -At -c 'select pg_is_in_recovery()')" == f ]]; }

# Where WAL segments are archived and base backups kept: beside the cluster, owned by its
# server's user (a production deployment keeps both on other storage; docs/operations.md).
pg_backup_dirs() {
  PG_ARCHIVE="$PG_HOME/archive"
  PG_BACKUPS="$PG_HOME/backups"
  if ((EUID == 0)); then
    install -d -o postgres -g postgres -m 700 "$PG_ARCHIVE" "$PG_BACKUPS"
  else
    private_dir "$PG_ARCHIVE" "$PG_BACKUPS"
  fi
}

# pg_backup: a base backup (pg_basebackup: tar, compressed, with the WAL it needs) in
# $PG_BACKUPS/<UTC time>; `finished_at` says from when on it can serve a restore.
pg_backup() {
  proc_running postgres || die "pg-backup: postgres is not running"
  [[ "${HMS_PG_WAL_ARCHIVE:-off}" == on ]] || die "pg-backup: WAL archiving is off in profile $HMS_PROFILE"
  pg_locate
  pg_backup_dirs
  local stamp dir t0
  stamp="$(date -u +%Y%m%dT%H%M%S.%3NZ)"
  dir="$PG_BACKUPS/$stamp"
  t0="$(now_ms)"
  as_postgres "$HMS_PG_BIN/pg_basebackup" -h "$PG_SOCKDIR" -p "$HMS_PG_PORT" -U postgres -w \
    -D "$dir" -Ft -z -X stream -c fast -l "hms $stamp" >>"$PG_LOG" 2>&1 ||
    die "pg-backup: pg_basebackup failed (see $PG_LOG)"
  date -u +%Y-%m-%dT%H:%M:%S.%3NZ | as_postgres tee "$dir/finished_at" >/dev/null
  log "postgres: base backup $stamp in $dir ($(du -sh "$dir" | cut -f1), $(($(now_ms) - t0)) ms)"
  echo "$stamp"
}

pg_backup_list() {
  pg_locate
  pg_backup_dirs
  local d
  for d in "$PG_BACKUPS"/*/; do
    [[ -f "$d/finished_at" ]] || continue
    printf '%s  finished %s  %s\n' "$(basename "$d")" "$(cat "$d/finished_at")" "$(du -sh "$d" | cut -f1)"
  done
}

# pg_restore_to TIME: the cluster as it was at TIME. The current WAL is archived first (so
# everything up to now can be replayed), the server stopped, its data set aside (kept as
# data.before-restore until the next restore), the newest base backup finished before TIME
# unpacked, and archived WAL replayed up to TIME; then the server is promoted and writable.
pg_restore_to() {
  local target="$1" target_s seg chosen="" d finished t0
  target_s="$(date -u -d "$target" +%s.%N 2>/dev/null)" || die "pg-restore: not a time: $target"
  t0="$(now_ms)"
  pg_locate
  pg_backup_dirs
  if proc_running postgres; then
    seg="$(pg_local_psql -d postgres -At -c 'select pg_walfile_name(pg_switch_wal())')"
    wait_for "WAL segment $seg in the archive" 60 as_postgres test -f "$PG_ARCHIVE/$seg" ||
      log "postgres: WAL segment $seg did not reach the archive; restoring with what is there"
    postgres_down
  fi
  for d in $(as_postgres find "$PG_BACKUPS" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -r); do
    as_postgres test -f "$PG_BACKUPS/$d/finished_at" || continue
    finished="$(date -u -d "$(as_postgres cat "$PG_BACKUPS/$d/finished_at")" +%s.%N)"
    if awk -v a="$finished" -v b="$target_s" 'BEGIN { exit !(a < b) }'; then
      chosen="$d"
      break
    fi
  done
  [[ -n "$chosen" ]] || die "pg-restore: no base backup finished before $target (scripts/hms backup takes one)"
  log "postgres: restoring to $target from base backup $chosen"
  # The cluster folder belongs to whoever runs this script (root: the server's user may only
  # enter it), the data folder to the server's user.
  rm -rf "$PG_HOME/data.before-restore"
  mv "$PG_DATA" "$PG_HOME/data.before-restore"
  if ((EUID == 0)); then install -d -o postgres -g postgres -m 700 "$PG_DATA"; else private_dir "$PG_DATA"; fi
  as_postgres tar -xzf "$PG_BACKUPS/$chosen/base.tar.gz" -C "$PG_DATA"
  as_postgres tar -xzf "$PG_BACKUPS/$chosen/pg_wal.tar.gz" -C "$PG_DATA/pg_wal"
  as_postgres tee "$PG_DATA/hms-recovery.conf" >/dev/null <<EOF
restore_command = 'cp $PG_ARCHIVE/%f %p'
recovery_target_time = '$(date -u -d "$target" '+%Y-%m-%d %H:%M:%S.%6N+00')'
recovery_target_inclusive = off
recovery_target_action = 'promote'
EOF
  as_postgres touch "$PG_DATA/recovery.signal"
  postgres_up
  log "postgres: restored to $target in $(($(now_ms) - t0)) ms"
}

postgres_down() {
  if proc_running postgres; then
    # SIGINT = "fast" shutdown: roll back open transactions, disconnect clients (SIGTERM
    # would wait for every client pool to disconnect by itself).
    kill -s INT "$(proc_pid postgres)" 2>/dev/null || true
  fi
  proc_stop postgres 60
}

# ============================================================================== redis
REDIS_DIR="$HMS_HOME/redis"
REDIS_LOG="$HMS_LOGS/redis.log"
redis_ready() {
  [[ "$(REDISCLI_AUTH="$HMS_REDIS_PASSWORD" redis-cli -h 127.0.0.1 -p "$HMS_REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}
redis_ports() { echo "$HMS_REDIS_PORT"; }

redis_up() {
  command -v redis-server >/dev/null || die "redis: redis-server missing (run scripts/install.sh)"
  require_free_port redis "$HMS_REDIS_PORT"
  private_dir "$REDIS_DIR"
  # a config file (mode 600) rather than arguments, so the password is not in `ps`
  (cat >"$REDIS_DIR/redis.conf" <<EOF
# Generated by scripts/infra.sh on every start; edits are lost.
port $HMS_REDIS_PORT
bind 127.0.0.1
protected-mode yes
requirepass $HMS_REDIS_PASSWORD
dir $REDIS_DIR
daemonize no
logfile ""
appendonly yes
appendfsync everysec
# AOF is the persistence; no periodic RDB snapshots (each one forks the server)
save ""
maxclients 10000
tcp-keepalive 60
EOF
  )
  proc_start redis "$REDIS_LOG" -- redis-server "$REDIS_DIR/redis.conf"
  wait_for "redis to answer PING" 30 --proc redis --log "$REDIS_LOG" redis_ready
}

redis_down() { proc_stop redis 30; }

# ============================================================================== kafka
KAFKA_DIR="$HMS_HOME/kafka"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_PROPS="$KAFKA_DIR/server.properties"
KAFKA_LOG="$HMS_LOGS/kafka.log"
kafka_ready() {
  kafka_topics --create --if-not-exists --topic hms.__readiness --partitions 1 --replication-factor 1
}
kafka_ports() { echo "$HMS_KAFKA_PORT,$HMS_KAFKA_CONTROLLER_PORT"; }

kafka_up() {
  [[ -f "$HMS_KAFKA_HOME/.installed" ]] || die "kafka: jars missing in $HMS_KAFKA_HOME (run scripts/install.sh)"
  require_free_port kafka "$HMS_KAFKA_PORT"
  require_free_port kafka "$HMS_KAFKA_CONTROLLER_PORT"
  require_free_port kafka "$HMS_KAFKA_PROXIED_PORT"
  private_dir "$KAFKA_DIR" "$KAFKA_DATA"
  HMS_KAFKA_DATA_DIR="$KAFKA_DATA" render "$HMS_ROOT/scripts/kafka/server.properties.template" \
    "$KAFKA_PROPS" HMS_KAFKA_PORT HMS_KAFKA_CONTROLLER_PORT HMS_KAFKA_PROXIED_PORT HMS_TOXI_KAFKA_PORT \
    HMS_KAFKA_DATA_DIR

  # Format the storage once; the cluster id is generated once and kept next to the data.
  if [[ ! -f "$KAFKA_DATA/meta.properties" ]]; then
    if [[ ! -s "$KAFKA_DIR/cluster.id" ]]; then
      # a Kafka Uuid: 16 random bytes, base64url without padding; like Kafka's own
      # Uuid.randomUuid(), never one starting with '-' (the tools would take it for a flag)
      local id="-"
      while [[ "$id" == -* ]]; do id="$(openssl rand 16 | base64 | tr '+/' '-_' | tr -d '=\n')"; done
      echo "$id" >"$KAFKA_DIR/cluster.id"
    fi
    log "kafka: formatting storage (cluster id $(cat "$KAFKA_DIR/cluster.id"))"
    kafka_java kafka.tools.StorageTool format -t "$(cat "$KAFKA_DIR/cluster.id")" \
      -c "$KAFKA_PROPS" >>"$KAFKA_LOG" 2>&1 || {
      tail -n 20 "$KAFKA_LOG" >&2
      die "kafka: storage format failed (see $KAFKA_LOG)"
    }
  fi

  # Flags as in Kafka's kafka-server-start.sh / kafka-run-class.sh (G1, short pauses),
  # plus a fixed heap that fits next to everything else on a small machine.
  proc_start kafka "$KAFKA_LOG" -- java -Xms256m -Xmx768m \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dkafka.logs.dir="$HMS_LOGS" \
    -Dlog4j.configuration="file:$HMS_ROOT/scripts/kafka/log4j.properties" \
    -cp "$HMS_KAFKA_HOME/libs/*" kafka.Kafka "$KAFKA_PROPS"
  # Cheap port poll first; then the real check (a TopicCommand JVM per try).
  wait_for "kafka to listen on $HMS_KAFKA_PORT" 90 --proc kafka --log "$KAFKA_LOG" port_open "$HMS_KAFKA_PORT"
  wait_for "kafka to create topic hms.__readiness" 90 --proc kafka --log "$KAFKA_LOG" kafka_ready
}

# SIGTERM = controlled shutdown; logs are flushed and the next start skips log recovery.
kafka_down() { proc_stop kafka 60; }

# ============================================================================== nginx
NGINX_DIR="$HMS_HOME/nginx"
NGINX_CONF="$NGINX_DIR/nginx.conf"
NGINX_LOG="$HMS_LOGS/nginx.log"
nginx_ready() {
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$HMS_NGINX_PORT/nginx-health" &&
    curl -fsS -o /dev/null --max-time 2 --cacert "$TLS_DIR/ca.pem" "https://localhost:$HMS_NGINX_TLS_PORT/nginx-health"
}
nginx_ports() { echo "$HMS_NGINX_PORT,$HMS_NGINX_TLS_PORT"; }

# HTTPS at the edge: a local certificate authority of this checkout and profile (made
# once, ten years) signs nginx's server certificate for localhost and 127.0.0.1,
# valid HMS_TLS_CERT_DAYS (default 90) and made again at start when less than a third
# of that is left, as an ACME client would. Nothing of it is in the repository: it is
# under $HMS_HOME/tls, keys 0600. Clients trust $HMS_HOME/tls/ca.pem; the blackbox
# exporter probes the certificate nginx serves, and Prometheus alerts before it
# expires (monitoring/rules/tls.yml).
TLS_DIR="$HMS_HOME/tls"
tls_ensure() {
  private_dir "$TLS_DIR"
  local days="${HMS_TLS_CERT_DAYS:-90}"
  if [[ ! -s "$TLS_DIR/ca.pem" || ! -s "$TLS_DIR/ca.key" ]]; then
    (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
      -subj "/CN=HMS local CA ($HMS_PROFILE)" -keyout "$TLS_DIR/ca.key" -out "$TLS_DIR/ca.pem" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null) ||
      die "tls: could not make the local certificate authority"
    rm -f "$TLS_DIR/server.pem"
  fi
  if ! openssl x509 -checkend "$((days * 86400 / 3))" -noout -in "$TLS_DIR/server.pem" >/dev/null 2>&1; then
    (umask 077 && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
      -keyout "$TLS_DIR/server.key" -out "$TLS_DIR/server.csr" 2>/dev/null &&
      openssl x509 -req -in "$TLS_DIR/server.csr" -CA "$TLS_DIR/ca.pem" -CAkey "$TLS_DIR/ca.key" \
        -set_serial "0x$(openssl rand -hex 16)" -days "$days" -out "$TLS_DIR/server.pem" \
        -extfile <(printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "extendedKeyUsage=serverAuth" \
          "basicConstraints=critical,CA:FALSE") 2>/dev/null) ||
      die "tls: could not make nginx's certificate"
    rm -f "$TLS_DIR/server.csr"
    log "tls: nginx's certificate made, valid $days days (CA $TLS_DIR/ca.pem)"
  fi
}

nginx_render() {
  private_dir "$NGINX_DIR" "$NGINX_DIR/tmp" "$HMS_LOGS"
  local servers="" p
  for p in $HMS_GATEWAY_PORTS; do
    servers+="        server 127.0.0.1:$p max_fails=2 fail_timeout=5s;"$'\n'
  done
  # Workers: when started as root, the master (root) opens the logs and binds the port,
  # and the workers drop to nobody:nogroup. They need no file access (bodies are kept in
  # memory, responses never spill to disk; see the template), so this works wherever
  # the repo lives, even under a 0700 home directory, without running workers as root.
  # As a normal user nginx cannot switch users and the directive must be absent.
  local user_directive=""
  if ((EUID == 0)); then user_directive="user nobody nogroup;"; fi
  local tls="        listen 127.0.0.1:$HMS_NGINX_TLS_PORT ssl;
        ssl_certificate $TLS_DIR/server.pem;
        ssl_certificate_key $TLS_DIR/server.key;"
  HMS_NGINX_USER_DIRECTIVE="$user_directive" HMS_NGINX_UPSTREAM_SERVERS="${servers%$'\n'}" \
    HMS_NGINX_RLIMIT_NOFILE="$(nofile_target)" HMS_NGINX_HOME="$NGINX_DIR" HMS_NGINX_LOGS="$HMS_LOGS" \
    HMS_NGINX_LISTEN="127.0.0.1:$HMS_NGINX_PORT" HMS_NGINX_TLS="$tls" \
    render "$HMS_ROOT/nginx/nginx.conf.template" "$NGINX_CONF" \
    HMS_NGINX_USER_DIRECTIVE HMS_NGINX_UPSTREAM_SERVERS HMS_NGINX_RLIMIT_NOFILE \
    HMS_NGINX_HOME HMS_NGINX_LOGS HMS_NGINX_LISTEN HMS_NGINX_TLS
}

nginx_up() {
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || die "nginx: missing (run scripts/install.sh)"
  local nginx_bin
  nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
  require_free_port nginx "$HMS_NGINX_PORT"
  require_free_port nginx "$HMS_NGINX_TLS_PORT"
  tls_ensure
  nginx_render
  # -e: without it nginx first opens its compiled-in /var/log/nginx/error.log
  local out
  out="$("$nginx_bin" -t -q -p "$NGINX_DIR/" -c "$NGINX_CONF" -e "$HMS_LOGS/nginx-error.log" 2>&1)" ||
    die "nginx: configuration test failed: $out"
  proc_start nginx "$NGINX_LOG" -- "$nginx_bin" -p "$NGINX_DIR/" -c "$NGINX_CONF" -e "$HMS_LOGS/nginx-error.log"
  wait_for "nginx /nginx-health" 30 --proc nginx --log "$HMS_LOGS/nginx-error.log" nginx_ready
}

# SIGTERM = fast shutdown (worker_shutdown_timeout bounds open streams anyway)
nginx_down() { proc_stop nginx 15; }

# ============================================================================== jaeger
# Jaeger v2 (built by scripts/install.sh from its Go module): OTLP/HTTP in from the
# services, traces in memory, the query API out (docs/operations.md, "Traces").
JAEGER_DIR="$HMS_HOME/jaeger"
JAEGER_LOG="$HMS_LOGS/jaeger.log"
jaeger_ready() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$HMS_JAEGER_PORT/api/services"; }
jaeger_ports() { echo "$HMS_JAEGER_PORT,$HMS_JAEGER_OTLP_PORT"; }

jaeger_up() {
  [[ -x "$HMS_TOOLS/bin/jaeger" ]] || die "jaeger: $HMS_TOOLS/bin/jaeger missing (run scripts/install.sh)"
  local p
  for p in "$HMS_JAEGER_PORT" "$HMS_JAEGER_OTLP_PORT" "$HMS_JAEGER_QUERY_GRPC_PORT" "$HMS_JAEGER_METRICS_PORT"; do
    require_free_port jaeger "$p"
  done
  HMS_JAEGER_MAX_TRACES="${HMS_JAEGER_MAX_TRACES:-50000}" render "$HMS_ROOT/monitoring/jaeger/config.yaml.template" \
    "$JAEGER_DIR/config.yaml" HMS_JAEGER_PORT HMS_JAEGER_OTLP_PORT HMS_JAEGER_QUERY_GRPC_PORT \
    HMS_JAEGER_METRICS_PORT HMS_JAEGER_MAX_TRACES
  proc_start jaeger "$JAEGER_LOG" -- "$HMS_TOOLS/bin/jaeger" --config "file:$JAEGER_DIR/config.yaml"
  wait_for "jaeger's query API" 60 --proc jaeger --log "$JAEGER_LOG" jaeger_ready
}

jaeger_down() { proc_stop jaeger 15; }

# =========================================================================== exporters
# Debian's exporters, each on loopback, each scraped by Prometheus (monitoring/).
node_exporter_ready() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$HMS_NODE_EXPORTER_PORT/metrics"; }
node_exporter_ports() { echo "$HMS_NODE_EXPORTER_PORT"; }
node_exporter_up() {
  command -v prometheus-node-exporter >/dev/null || die "node-exporter: missing (run scripts/install.sh)"
  require_free_port node-exporter "$HMS_NODE_EXPORTER_PORT"
  # The textfile collector reads a system folder by default; nothing of ours writes there.
  proc_start node-exporter "$HMS_LOGS/node-exporter.log" -- prometheus-node-exporter \
    --web.listen-address="127.0.0.1:$HMS_NODE_EXPORTER_PORT" --no-collector.textfile
  wait_for "node-exporter /metrics" 30 --proc node-exporter --log "$HMS_LOGS/node-exporter.log" node_exporter_ready
}
node_exporter_down() { proc_stop node-exporter 10; }

# postgres-exporter logs in as hms_monitor (pg_monitor: statistics, no data), made here
# with its password from secrets.env; the password reaches the exporter in a file.
PGEXP_DIR="$HMS_HOME/postgres-exporter"
postgres_exporter_ready() {
  curl -fsS --max-time 3 "http://127.0.0.1:$HMS_POSTGRES_EXPORTER_PORT/metrics" 2>/dev/null | grep -q '^pg_up 1'
}
postgres_exporter_ports() { echo "$HMS_POSTGRES_EXPORTER_PORT"; }
postgres_exporter_up() {
  command -v prometheus-postgres-exporter >/dev/null || die "postgres-exporter: missing (run scripts/install.sh)"
  proc_running postgres || die "postgres-exporter: postgres is not running (scripts/infra.sh up postgres)"
  require_free_port postgres-exporter "$HMS_POSTGRES_EXPORTER_PORT"
  # Standard input, not -c: the password never appears on a command line.
  pg_local_psql -d hms <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hms_monitor') THEN
    CREATE ROLE hms_monitor LOGIN;
  END IF;
END \$\$;
ALTER ROLE hms_monitor LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE CONNECTION LIMIT 5 PASSWORD '$HMS_DB_PASSWORD_MONITOR';
GRANT pg_monitor TO hms_monitor;
-- scripts/bootstrap.ts takes CONNECT and the public schema away from PUBLIC; the
-- monitoring role keeps its own (pg_stat_statements' views live in public).
GRANT CONNECT ON DATABASE hms TO hms_monitor;
GRANT USAGE ON SCHEMA public TO hms_monitor;
SQL
  private_dir "$PGEXP_DIR"
  printf '%s' "$HMS_DB_PASSWORD_MONITOR" >"$PGEXP_DIR/password"
  DATA_SOURCE_URI="127.0.0.1:$HMS_PG_PORT/hms?sslmode=disable" DATA_SOURCE_USER=hms_monitor \
    DATA_SOURCE_PASS_FILE="$PGEXP_DIR/password" \
    proc_start postgres-exporter "$HMS_LOGS/postgres-exporter.log" -- prometheus-postgres-exporter \
    --web.listen-address="127.0.0.1:$HMS_POSTGRES_EXPORTER_PORT" \
    --extend.query-path="$HMS_ROOT/monitoring/postgres-exporter/queries.yaml"
  wait_for "postgres-exporter to reach PostgreSQL" 30 --proc postgres-exporter \
    --log "$HMS_LOGS/postgres-exporter.log" postgres_exporter_ready
}
postgres_exporter_down() { proc_stop postgres-exporter 10; }

redis_exporter_ready() {
  curl -fsS --max-time 3 "http://127.0.0.1:$HMS_REDIS_EXPORTER_PORT/metrics" 2>/dev/null | grep -q '^redis_up 1'
}
redis_exporter_ports() { echo "$HMS_REDIS_EXPORTER_PORT"; }
redis_exporter_up() {
  command -v prometheus-redis-exporter >/dev/null || die "redis-exporter: missing (run scripts/install.sh)"
  require_free_port redis-exporter "$HMS_REDIS_EXPORTER_PORT"
  # The password from the environment (REDIS_PASSWORD), never from a flag.
  REDIS_PASSWORD="$HMS_REDIS_PASSWORD" proc_start redis-exporter "$HMS_LOGS/redis-exporter.log" -- \
    prometheus-redis-exporter -redis.addr="redis://127.0.0.1:$HMS_REDIS_PORT" -redis.user=default \
    -web.listen-address="127.0.0.1:$HMS_REDIS_EXPORTER_PORT"
  wait_for "redis-exporter to reach Redis" 30 --proc redis-exporter --log "$HMS_LOGS/redis-exporter.log" \
    redis_exporter_ready
}
redis_exporter_down() { proc_stop redis-exporter 10; }

# nginx's counters from its stub_status (location /nginx-status, loopback only).
nginx_exporter_ready() {
  curl -fsS --max-time 3 "http://127.0.0.1:$HMS_NGINX_EXPORTER_PORT/metrics" 2>/dev/null | grep -q '^nginx_up 1'
}
nginx_exporter_ports() { echo "$HMS_NGINX_EXPORTER_PORT"; }
nginx_exporter_up() {
  command -v prometheus-nginx-exporter >/dev/null || die "nginx-exporter: missing (run scripts/install.sh)"
  require_free_port nginx-exporter "$HMS_NGINX_EXPORTER_PORT"
  proc_start nginx-exporter "$HMS_LOGS/nginx-exporter.log" -- prometheus-nginx-exporter \
    -nginx.scrape-uri="http://127.0.0.1:$HMS_NGINX_PORT/nginx-status" \
    -web.listen-address="127.0.0.1:$HMS_NGINX_EXPORTER_PORT"
  # up even while nginx is not (nginx_up 0 then): Prometheus shows that, no need to wait for it
  wait_for "nginx-exporter /metrics" 30 --proc nginx-exporter --log "$HMS_LOGS/nginx-exporter.log" \
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$HMS_NGINX_EXPORTER_PORT/metrics"
}
nginx_exporter_down() { proc_stop nginx-exporter 10; }

# The edge as a client sees it: HTTPS to nginx, trusting only the local CA
# (monitoring/blackbox/blackbox.yml.template). Prometheus asks it to probe
# (job "tls"); probe_ssl_earliest_cert_expiry feeds the certificate alerts.
BLACKBOX_DIR="$HMS_HOME/blackbox-exporter"
blackbox_exporter_ready() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$HMS_BLACKBOX_EXPORTER_PORT/metrics"; }
blackbox_exporter_ports() { echo "$HMS_BLACKBOX_EXPORTER_PORT"; }
blackbox_exporter_up() {
  command -v prometheus-blackbox-exporter >/dev/null || die "blackbox-exporter: missing (run scripts/install.sh)"
  require_free_port blackbox-exporter "$HMS_BLACKBOX_EXPORTER_PORT"
  HMS_BLACKBOX_CA_FILE="$TLS_DIR/ca.pem" render "$HMS_ROOT/monitoring/blackbox/blackbox.yml.template" \
    "$BLACKBOX_DIR/blackbox.yml" HMS_BLACKBOX_CA_FILE
  proc_start blackbox-exporter "$HMS_LOGS/blackbox-exporter.log" -- prometheus-blackbox-exporter \
    --config.file="$BLACKBOX_DIR/blackbox.yml" --web.listen-address="127.0.0.1:$HMS_BLACKBOX_EXPORTER_PORT"
  wait_for "blackbox-exporter /metrics" 30 --proc blackbox-exporter --log "$HMS_LOGS/blackbox-exporter.log" \
    blackbox_exporter_ready
}
blackbox_exporter_down() { proc_stop blackbox-exporter 10; }

# ====================================================================== alerting
alert_receiver_ready() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$HMS_ALERT_RECEIVER_PORT/notifications"; }
alert_receiver_ports() { echo "$HMS_ALERT_RECEIVER_PORT"; }
alert_receiver_up() {
  require_free_port alert-receiver "$HMS_ALERT_RECEIVER_PORT"
  proc_start alert-receiver "$HMS_LOGS/alert-receiver.log" -- node "$HMS_ROOT/scripts/alert-receiver.mjs"
  wait_for "alert-receiver" 30 --proc alert-receiver --log "$HMS_LOGS/alert-receiver.log" alert_receiver_ready
}
alert_receiver_down() { proc_stop alert-receiver 10; }

AM_DIR="$HMS_HOME/alertmanager"
alertmanager_ready() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$HMS_ALERTMANAGER_PORT/-/ready"; }
alertmanager_ports() { echo "$HMS_ALERTMANAGER_PORT"; }
alertmanager_up() {
  command -v prometheus-alertmanager >/dev/null || die "alertmanager: missing (run scripts/install.sh)"
  require_free_port alertmanager "$HMS_ALERTMANAGER_PORT"
  private_dir "$AM_DIR" "$AM_DIR/data"
  render "$HMS_ROOT/monitoring/alertmanager/alertmanager.yml.template" "$AM_DIR/alertmanager.yml" \
    HMS_ALERT_RECEIVER_PORT
  local out
  out="$(amtool check-config "$AM_DIR/alertmanager.yml" 2>&1)" || die "alertmanager: amtool check-config failed:"$'\n'"$out"
  # --cluster.listen-address= : a single instance; no gossip port on every interface.
  proc_start alertmanager "$HMS_LOGS/alertmanager.log" -- prometheus-alertmanager \
    --config.file="$AM_DIR/alertmanager.yml" --storage.path="$AM_DIR/data" \
    --web.listen-address="127.0.0.1:$HMS_ALERTMANAGER_PORT" --cluster.listen-address= \
    --web.external-url="http://127.0.0.1:$HMS_ALERTMANAGER_PORT"
  wait_for "alertmanager /-/ready" 30 --proc alertmanager --log "$HMS_LOGS/alertmanager.log" alertmanager_ready
}
alertmanager_down() { proc_stop alertmanager 15; }

# ========================================================================= prometheus
PROM_DIR="$HMS_HOME/prometheus"
PROM_CONF="$PROM_DIR/prometheus.yml"
PROM_LOG="$HMS_LOGS/prometheus.log"
prometheus_ready() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$HMS_PROMETHEUS_PORT/-/ready"; }
prometheus_ports() { echo "$HMS_PROMETHEUS_PORT"; }

prometheus_render() {
  local targets="" p
  for p in $HMS_GATEWAY_OPS_PORTS; do targets+="'127.0.0.1:$p', "; done
  HMS_PROM_GATEWAY_TARGETS="${targets%, }" HMS_PROM_RULES_GLOB="$HMS_ROOT/monitoring/rules/*.yml" \
    render "$HMS_ROOT/monitoring/prometheus.yml.template" "$PROM_CONF" \
    HMS_PROFILE HMS_PROM_RULES_GLOB HMS_PROM_GATEWAY_TARGETS \
    HMS_APPOINTMENTS_OPS_PORT HMS_BILLING_OPS_PORT HMS_QUEUE_OPS_PORT HMS_AUDIT_OPS_PORT \
    HMS_PROMETHEUS_PORT HMS_ALERTMANAGER_PORT HMS_NODE_EXPORTER_PORT HMS_POSTGRES_EXPORTER_PORT \
    HMS_REDIS_EXPORTER_PORT HMS_NGINX_EXPORTER_PORT HMS_JAEGER_METRICS_PORT HMS_BLACKBOX_EXPORTER_PORT \
    HMS_NGINX_TLS_PORT
}

prometheus_up() {
  command -v prometheus >/dev/null || die "prometheus: missing (run scripts/install.sh)"
  command -v promtool >/dev/null || die "prometheus: promtool missing (run scripts/install.sh)"
  require_free_port prometheus "$HMS_PROMETHEUS_PORT"
  private_dir "$PROM_DIR" "$PROM_DIR/data"
  prometheus_render
  local out
  out="$(promtool check config "$PROM_CONF" 2>&1)" || die "prometheus: promtool check config failed:"$'\n'"$out"
  out="$(promtool check rules "$HMS_ROOT"/monitoring/rules/*.yml 2>&1)" || die "prometheus: promtool check rules failed:"$'\n'"$out"
  proc_start prometheus "$PROM_LOG" -- prometheus --config.file="$PROM_CONF" \
    --storage.tsdb.path="$PROM_DIR/data" --storage.tsdb.retention.time=7d \
    --web.listen-address="127.0.0.1:$HMS_PROMETHEUS_PORT" --web.enable-lifecycle \
    --enable-feature=exemplar-storage
  wait_for "prometheus /-/ready" 60 --proc prometheus --log "$PROM_LOG" prometheus_ready
}

prometheus_down() { proc_stop prometheus 30; }

# ============================================================================== driver
# fn COMPONENT: the prefix of its functions (node-exporter -> node_exporter_up, ...)
fn() { echo "${1//-/_}"; }

component_up() {
  local c="$1" f t0
  f="$(fn "$c")"
  t0="$(now_ms)"
  if proc_running "$c"; then
    if "${f}_ready" >/dev/null 2>&1; then
      log "$c: already running (pid $(proc_pid "$c"))"
      return 0
    fi
    log "$c: running (pid $(proc_pid "$c")) but not ready yet; waiting"
    wait_for "$c to become ready" 90 --proc "$c" "${f}_ready"
  else
    "${f}_up"
  fi
  log "$c: ready on port $("${f}_ports") (pid $(proc_pid "$c"), $(($(now_ms) - t0)) ms)"
}

component_down() {
  local c="$1" t0
  if ! proc_running "$c"; then
    proc_stop "$c" # clears a stale pid file
    return 0
  fi
  t0="$(now_ms)"
  "$(fn "$c")_down"
  log "$c: stopped ($(($(now_ms) - t0)) ms)"
}

component_dir() {
  case "$1" in
    postgres) echo "${PG_HOME:-$PG_DIR}" ;;
    redis) echo "$REDIS_DIR" ;;
    kafka) echo "$KAFKA_DIR" ;;
    nginx) echo "$NGINX_DIR" ;;
    prometheus) echo "$PROM_DIR" ;;
    jaeger) echo "$JAEGER_DIR" ;;
    alertmanager) echo "$AM_DIR" ;;
    postgres-exporter) echo "$PGEXP_DIR" ;;
    *) ;; # keeps no data
  esac
}

# wipe COMPONENT...: delete data. With every component: all of $HMS_HOME except
# secrets.env (credentials stay stable), and only when nothing of this profile runs,
# node services included.
wipe() {
  local c d f running=()
  [[ "$HMS_HOME" == "$HMS_ROOT/.hms/"?* ]] || die "refusing to wipe unexpected HMS_HOME=$HMS_HOME"
  if (($# == ${#ALL_COMPONENTS[@]})); then
    for f in "$HMS_RUN"/*.pid; do
      [[ -e "$f" ]] || continue
      c="$(basename "$f" .pid)"
      if proc_running "$c"; then running+=("$c"); fi
    done
    ((${#running[@]} == 0)) || die "wipe: still running in profile $HMS_PROFILE: ${running[*]}"
    postgres_wipe
    find "$HMS_HOME" -mindepth 1 -maxdepth 1 ! -name secrets.env -exec rm -rf {} +
    log "wiped $HMS_HOME (kept secrets.env)"
  else
    for c in "$@"; do
      if proc_running "$c"; then die "wipe: $c is running"; fi
      log "wiping $c data ($(component_dir "$c"))"
      if [[ "$c" == postgres ]]; then
        postgres_wipe
      else
        d="$(component_dir "$c")"
        if [[ -n "$d" ]]; then rm -rf "$d"; fi
      fi
    done
  fi
}

# postgres_wipe: the cluster folder the link leads to, when it is this checkout's (never
# another checkout's, whose .hms this one was copied from), then the link itself.
postgres_wipe() {
  local owner=""
  if [[ -L "$PG_DIR" ]]; then
    if [[ -f "$PG_HOME/checkout" ]]; then read -r owner <"$PG_HOME/checkout" || true; fi
    if [[ "$owner" == "$HMS_HOME" ]]; then rm -rf "$PG_HOME"; fi
  fi
  rm -rf "$PG_DIR"
  pg_locate
}

status() {
  local c state pid rc=0
  for c in "$@"; do
    if proc_running "$c"; then
      pid="$(proc_pid "$c")"
      state=running
      port_open "$("$(fn "$c")_ports" | cut -d, -f1)" || state="running (not listening)"
    else
      pid=-
      state=stopped
      rc=3
    fi
    printf '%-17s %-24s pid %-8s port %-12s data %s\n' "$c" "$state" "$pid" "$("$(fn "$c")_ports")" \
      "$(component_dir "$c" | grep . || echo -)"
  done
  return "$rc"
}

main() {
  (($#)) || usage
  local cmd="$1" wipe_after=0 c
  shift
  if [[ "$cmd" == kafka-topics ]]; then
    kafka_topics "$@"
    return
  fi
  case "$cmd" in
    pg-backup | pg-backups | pg-restore)
      private_dir "$HMS_RUN" "$HMS_LOGS"
      exec 9>"$HMS_RUN/.infra.lock"
      flock -w 600 9 || die "another scripts/infra.sh holds $HMS_RUN/.infra.lock"
      case "$cmd" in
        pg-backup) pg_backup ;;
        pg-backups) pg_backup_list ;;
        pg-restore)
          (($# == 1)) || die "usage: scripts/infra.sh pg-restore TIME"
          pg_restore_to "$1"
          ;;
      esac
      return
      ;;
  esac
  local comps=()
  for c in "$@"; do
    case "$c" in
      --wipe) wipe_after=1 ;;
      -h | --help) usage ;;
      monitoring) comps+=("${MONITORING_COMPONENTS[@]}") ;;
      postgres | redis | kafka | jaeger | nginx | node-exporter | postgres-exporter | redis-exporter | \
        nginx-exporter | blackbox-exporter | alert-receiver | alertmanager | prometheus) comps+=("$c") ;;
      *) die "unknown component or option: $c" ;;
    esac
  done
  # keep the canonical order whatever order they were given in
  local ordered=() reversed=()
  for c in "${ALL_COMPONENTS[@]}"; do
    if ((${#comps[@]} == 0)) || [[ " ${comps[*]} " == *" $c "* ]]; then ordered+=("$c"); fi
  done
  for ((c = ${#ordered[@]} - 1; c >= 0; c--)); do reversed+=("${ordered[c]}"); done
  ((wipe_after == 0)) || [[ "$cmd" == down ]] || die "--wipe only goes with down"

  case "$cmd" in
    status)
      status "${ordered[@]}"
      return
      ;;
    up | down | restart | wipe) ;;
    *) usage ;;
  esac

  # One infra.sh at a time per profile (the lock fd is not inherited by the servers:
  # proc_start closes every fd above 2).
  private_dir "$HMS_RUN" "$HMS_LOGS"
  exec 9>"$HMS_RUN/.infra.lock"
  flock -w 600 9 || die "another scripts/infra.sh holds $HMS_RUN/.infra.lock"

  local t0
  t0="$(now_ms)"
  case "$cmd" in
    up)
      for c in "${ordered[@]}"; do component_up "$c"; done
      ;;
    down)
      for c in "${reversed[@]}"; do component_down "$c"; done
      if ((wipe_after)); then wipe "${ordered[@]}"; fi
      ;;
    restart)
      for c in "${reversed[@]}"; do component_down "$c"; done
      for c in "${ordered[@]}"; do component_up "$c"; done
      ;;
    wipe)
      wipe "${ordered[@]}"
      ;;
  esac
  log "$cmd ${ordered[*]}: done in $(($(now_ms) - t0)) ms"
}

main "$@"
