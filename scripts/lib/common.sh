# shellcheck shell=bash
# Sourced helpers: logging, waiting, and a small background-process manager used for the
# infrastructure (scripts/infra.sh) and for the node services.
#
# Process manager contract:
#   proc_start NAME LOGFILE -- CMD ARGS...   start CMD detached (own session = own process
#                                            group), stdin /dev/null, stdout+stderr appended
#                                            to LOGFILE, no other inherited fds, open-files
#                                            limit raised (65536, or the hard limit if the
#                                            machine caps it); pid in $HMS_RUN/NAME.pid.
#                                            Refuses if already running. The process runs
#                                            with umask 077 and LOGFILE is mode 600: what
#                                            it writes is its owner's alone.
#   proc_stop NAME [GRACE_S] [SIGNAL]        SIGNAL (default TERM) to the process group, wait
#                                            up to GRACE_S (default 20) for the whole group,
#                                            then SIGKILL. No-op when not running.
#   proc_running NAME                        true when the recorded process is alive
#   proc_pid NAME                            prints the pid (fails when not running)
# The pid file holds only the pid; NAME.pid.start holds the process start time, so a
# stale pid file (e.g. after a reboot, pid reused) is never mistaken for our process.
#
# Owner-only state: private_dir DIR... makes DIRs (and missing parents) mode 700, also
# when they already exist with wider modes (an older checkout's .hms).
# Note: on machines whose PID 1 does not reap orphans, exited processes linger as
# zombies; they count as "not running" here.

HMS_LOG_PREFIX="${HMS_LOG_PREFIX:-hms}"

log() { printf '%s [%s] %s\n' "$(date +%H:%M:%S)" "$HMS_LOG_PREFIX" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# now_ms: wall clock in milliseconds (bash 5 EPOCHREALTIME, no fork)
now_ms() {
  local t="${EPOCHREALTIME/[.,]/}"
  echo $((t / 1000))
}

# wait_for "<desc>" TIMEOUT_S [--log FILE] [--proc NAME] CMD ARGS...
# Polls CMD (output discarded) until it succeeds. On timeout, or as soon as the process
# NAME has died, dies with DESC and the tail of FILE (default: $HMS_WAIT_LOG if set).
wait_for() {
  local desc="$1" timeout="$2" logfile="${HMS_WAIT_LOG:-}" proc=""
  shift 2
  while (($#)); do
    case "$1" in
      --log) logfile="$2"; shift 2 ;;
      --proc) proc="$2"; shift 2 ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  (($#)) || die "wait_for: no command given"
  local deadline=$(($(now_ms) + timeout * 1000)) delay=0.05 why
  while true; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [[ -n "$proc" ]] && ! proc_running "$proc"; then
      why="$proc exited"
      break
    fi
    if (($(now_ms) >= deadline)); then
      why="timed out after ${timeout}s"
      break
    fi
    sleep "$delay"
    # back off gently: fast for things that are ready in milliseconds, cheap for slow ones
    case "$delay" in 0.05) delay=0.1 ;; 0.1) delay=0.2 ;; 0.2) delay=0.5 ;; esac
  done
  log "ERROR: waiting for $desc: $why"
  if [[ -n "$logfile" && -f "$logfile" ]]; then
    log "last lines of $logfile:"
    tail -n 40 "$logfile" | sed 's/^/    /' >&2
  fi
  exit 1
}

# port_open PORT [HOST]: something accepts TCP connections (no client tools needed)
port_open() {
  (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null
}

# port_free PORT: nothing listens on 127.0.0.1:PORT (or 0.0.0.0 / [::])
port_free() { ! port_open "$1"; }

_proc_pidfile() { echo "$HMS_RUN/$1.pid"; }

private_dir() {
  (umask 077 && mkdir -p -- "$@") && chmod 700 -- "$@"
}

# _proc_stat PID: prints "STATE STARTTIME" from /proc/PID/stat, fails if no such process
_proc_stat() {
  local stat rest
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  rest="${stat##*) }" # comm (field 2) may contain spaces and parens
  # shellcheck disable=SC2086 # split the fields on purpose
  set -- $rest
  # fields after comm: 3=state ... 22=starttime -> $1 and ${20}
  echo "$1 ${20}"
}

proc_pid() {
  local pidfile pid
  pidfile="$(_proc_pidfile "$1")"
  [[ -f "$pidfile" ]] || return 1
  read -r pid <"$pidfile" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  echo "$pid"
}

proc_running() {
  local pid st start=""
  pid="$(proc_pid "$1")" || return 1
  st="$(_proc_stat "$pid")" || return 1
  [[ "${st%% *}" != Z ]] || return 1
  if [[ -f "$(_proc_pidfile "$1").start" ]]; then
    read -r start <"$(_proc_pidfile "$1").start" || true
    [[ -z "$start" || "$start" == "${st#* }" ]] || return 1
  fi
  return 0
}

# _nofile_target: the open-files limit a child can get (65536, or the hard limit when
# this machine does not let us raise it; sandboxes often cap it)
nofile_target() {
  if (ulimit -n 65536) 2>/dev/null; then
    echo 65536
  else
    local hard
    hard="$(ulimit -Hn)"
    if [[ "$hard" == unlimited ]] || ((hard > 65536)); then echo 65536; else echo "$hard"; fi
  fi
}

proc_start() {
  local name="$1" logfile="$2"
  shift 2
  [[ "${1:-}" == -- ]] || die "usage: proc_start NAME LOGFILE -- CMD ARGS..."
  shift
  (($#)) || die "proc_start $name: no command"
  : "${HMS_RUN:?HMS_RUN is not set (source scripts/lib/env.sh)}"
  if proc_running "$name"; then
    die "$name is already running (pid $(proc_pid "$name"))"
  fi
  local pidfile nofile pid="" i st
  pidfile="$(_proc_pidfile "$name")"
  private_dir "$HMS_RUN" "$(dirname "$logfile")"
  (umask 077 && : >>"$logfile") && chmod 600 "$logfile"
  rm -f "$pidfile" "$pidfile.start"
  nofile="$(nofile_target)"
  # setsid: own session and process group, so proc_stop can signal the whole tree and a
  # Ctrl-C in the starting terminal does not reach it. The inner bash records its own pid
  # (correct even when setsid has to fork) and then execs the command, keeping that pid.
  # shellcheck disable=SC2016 # expanded by the inner bash, not here
  HMS_PROC_PIDFILE="$pidfile" HMS_PROC_NOFILE="$nofile" setsid bash -c '
    ulimit -n "$HMS_PROC_NOFILE" 2>/dev/null || true
    umask 077
    # close every inherited fd above 2 (callers'"'"' lock files, pipes of a CI runner that
    # would otherwise wait for EOF as long as the server lives)
    for fd in /proc/self/fd/*; do
      fd="${fd##*/}"
      if ((fd > 2)); then eval "exec $fd>&-"; fi
    done
    echo "$$" >"$HMS_PROC_PIDFILE.tmp" && mv -f "$HMS_PROC_PIDFILE.tmp" "$HMS_PROC_PIDFILE"
    unset HMS_PROC_PIDFILE HMS_PROC_NOFILE
    exec "$@"' "hms-$name" "$@" </dev/null >>"$logfile" 2>&1 &
  for ((i = 0; i < 200; i++)); do
    pid="$(proc_pid "$name" 2>/dev/null)" && break
    sleep 0.025
  done
  [[ -n "$pid" ]] || die "$name: did not start (see $logfile)"
  if st="$(_proc_stat "$pid")"; then
    (umask 077 && echo "${st#* }" >"$pidfile.start")
  fi
  return 0
}

# _proc_group_alive SID: any non-zombie process left in the session (= process group)
_proc_group_alive() {
  # shellcheck disable=SC2009 # pgrep cannot leave out zombies
  ps -s "$1" -o stat= 2>/dev/null | grep -qv '^Z'
}

proc_stop() {
  local name="$1" grace="${2:-20}" sig="${3:-TERM}" pid pidfile deadline
  pidfile="$(_proc_pidfile "$name")"
  if ! proc_running "$name"; then
    rm -f "$pidfile" "$pidfile.start"
    return 0
  fi
  pid="$(proc_pid "$name")"
  # the process is a session leader, so its pid is also its process-group id
  kill -s "$sig" -- "-$pid" 2>/dev/null || kill -s "$sig" "$pid" 2>/dev/null || true
  deadline=$(($(now_ms) + grace * 1000))
  while _proc_group_alive "$pid" && (($(now_ms) < deadline)); do sleep 0.1; done
  if _proc_group_alive "$pid"; then
    log "$name: still running after ${grace}s, sending SIGKILL"
    kill -s KILL -- "-$pid" 2>/dev/null || true
    deadline=$(($(now_ms) + 5000))
    while _proc_group_alive "$pid" && (($(now_ms) < deadline)); do sleep 0.1; done
  fi
  rm -f "$pidfile" "$pidfile.start"
}

# kafka_topics ARGS...: Kafka's TopicCommand against this profile's broker, e.g.
#   kafka_topics --list
#   kafka_topics --create --if-not-exists --topic t --partitions 6 --replication-factor 1
# Needs scripts/lib/env.sh sourced. Each call is a short-lived JVM (about 1-2 s).
kafka_topics() {
  : "${HMS_KAFKA_HOME:?source scripts/lib/env.sh first}"
  local admin="$HMS_HOME/kafka/admin.properties"
  if [[ ! -f "$admin" ]]; then
    # bound every admin call so a broker that is not up yet fails fast instead of hanging
    private_dir "$HMS_HOME/kafka"
    (umask 077 && printf '%s\n' request.timeout.ms=5000 default.api.timeout.ms=8000 retry.backoff.ms=200 \
      socket.connection.setup.timeout.ms=1000 socket.connection.setup.timeout.max.ms=2000 \
      >"$admin.$$")
    mv -f "$admin.$$" "$admin"
  fi
  kafka_java org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$HMS_KAFKA_BROKERS" --command-config "$admin" "$@"
}

# kafka_java MAINCLASS ARGS...: a short-lived Kafka tool JVM, tuned for fast start
kafka_java() {
  java -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
    -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$HMS_ROOT/scripts/kafka/tools-log4j.properties" \
    -cp "$HMS_KAFKA_HOME/libs/*" "$@"
}

# copy_working_tree DEST: what a clone of this checkout would hold plus the work not yet
# committed: every tracked and untracked file that git does not ignore (so no
# node_modules, dist, generated code or .hms), into the existing folder DEST.
copy_working_tree() {
  local dest="$1"
  (cd "$HMS_ROOT" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do if [[ -e "$f" ]]; then printf '%s\0' "$f"; fi; done |
    tar --null -T - -cf -) | tar -C "$dest" -xf -
}
