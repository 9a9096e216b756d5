# shellcheck shell=bash
# Sourced (never executed): the HMS environment for one profile.
#
#   HMS_PROFILE=dev|test|bench (default dev)
#   HMS_ROOT   repo root, found from this file's location (works from any cwd)
#   HMS_HOME   $HMS_ROOT/.hms/$HMS_PROFILE   data of this profile (git-ignored)
#   HMS_RUN    $HMS_HOME/run                 pid files, unix sockets
#   HMS_LOGS   $HMS_HOME/logs
#   HMS_PORT_OFFSET  added to every port of the profile file (default 0): lets two
#              stacks of one profile run side by side (e.g. two checkouts' tests)
#   HMS_TOOLS  tools outside apt (Kafka jars, buf, k6, helm, the Kubernetes control
#              plane, linters); outside the repo so a fresh
#              clone on a provisioned machine does not download them again
#
# Loads scripts/profiles/$HMS_PROFILE.env (ports; each only if not already set in the
# environment) and $HMS_HOME/secrets.env (generated once, mode 600), and exports all.
# .hms and $HMS_HOME are the invoking user's alone (mode 700), as is everything the
# scripts write below them.

HMS_PROFILE="${HMS_PROFILE:-dev}"
case "$HMS_PROFILE" in
  dev | test | bench) ;;
  *)
    echo "hms: unknown HMS_PROFILE '$HMS_PROFILE' (expected dev or test)" >&2
    return 1
    ;;
esac

HMS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
HMS_HOME="$HMS_ROOT/.hms/$HMS_PROFILE"
HMS_RUN="$HMS_HOME/run"
HMS_LOGS="$HMS_HOME/logs"
HMS_TOOLS="${HMS_TOOLS:-$HOME/.local/share/hms-tools}"
export HMS_PROFILE HMS_ROOT HMS_HOME HMS_RUN HMS_LOGS HMS_TOOLS

# Pinned tool versions (scripts/install.sh installs exactly these).
export HMS_KAFKA_VERSION=3.9.1
export HMS_KAFKA_HOME="$HMS_TOOLS/kafka-$HMS_KAFKA_VERSION"
export HMS_BUF_VERSION=v1.75.0
export HMS_K6_VERSION=v1.8.1
export HMS_HELM_VERSION=v3.22.0
export HMS_KWOK_VERSION=v0.7.0
export HMS_TOXIPROXY_VERSION=v2.12.0
# oasdiff: the OpenAPI breaking-change check (services/gateway/src/http/openapi/compatibility.test.ts).
export HMS_OASDIFF_VERSION=v1.36.0
# The control plane's version is pinned in scripts/k8s/controlplane/go.mod (k8s.io/kubernetes).
export HMS_HADOLINT_VERSION=2.15.1
export HMS_CHECK_JSONSCHEMA_VERSION=0.39.0
export HMS_SCHEMATHESIS_VERSION=4.32.5
# Jaeger v2 (the trace backend of the local stack), built from its Go module: see install.sh.
export HMS_JAEGER_VERSION=v1.76.0
export HMS_PG_BIN=/usr/lib/postgresql/15/bin
case ":$PATH:" in
  *":$HMS_TOOLS/bin:"*) ;;
  *) export PATH="$HMS_TOOLS/bin:$PATH" ;;
esac

# Ports. An environment value wins, except when it was exported by an earlier load of a
# *different* profile (e.g. `HMS_PROFILE=test scripts/x` run from a shell that sourced
# the dev env): then the profile file wins, or test would silently get dev's ports.
# SC2094: the file is only read; the check mistakes `printf -v` into a variable for a write to it.
# shellcheck disable=SC2094
_hms_load_kv_file() { # FILE FORCE(0|1)
  local file="$1" force="$2" line key val shift_ports=0
  # HMS_PORT_OFFSET shifts every port a profile file gives, so that several stacks of
  # one profile (e.g. test stacks of two checkouts) can run at once.
  [[ "$file" == */profiles/* && "${HMS_PORT_OFFSET:-0}" != 0 ]] && shift_ports=1
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line%$'\r'}"
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    [[ "$line" =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || {
      echo "hms: $file: cannot parse line: $line" >&2
      return 1
    }
    key="${BASH_REMATCH[1]}"
    val="${BASH_REMATCH[2]}"
    # strip one pair of surrounding quotes
    if [[ "$val" =~ ^\"(.*)\"$ || "$val" =~ ^\'(.*)\'$ ]]; then val="${BASH_REMATCH[1]}"; fi
    if [[ "$force" == 1 || -z "${!key+set}" ]]; then
      if ((shift_ports)) && [[ "$key" =~ _PORTS?$ ]]; then
        local p shifted=()
        # A port pushed past 65535 wraps around to just above 1024 (the test profile's gRPC
        # ports, 60051+, with offsets of 5500 and more), rather than being invalid.
        for p in $val; do
          p=$((p + HMS_PORT_OFFSET))
          ((p <= 65535)) || p=$((p - 65535 + 1024))
          shifted+=("$p")
        done
        val="${shifted[*]}"
      fi
      printf -v "$key" '%s' "$val"
    fi
    export "${key?}"
  done <"$file"
}
_hms_force=0
if [[ -n "${HMS_LOADED_PROFILE:-}" && "$HMS_LOADED_PROFILE" != "$HMS_PROFILE" ]]; then _hms_force=1; fi
_hms_load_kv_file "$HMS_ROOT/scripts/profiles/$HMS_PROFILE.env" "$_hms_force" || return 1
unset _hms_force
export HMS_LOADED_PROFILE="$HMS_PROFILE"

# Secrets: generated on first use, then always read from the file (the file wins over
# the environment, so two profiles never mix credentials).
_hms_secret_keys=(HMS_PG_SUPERUSER_PASSWORD HMS_REDIS_PASSWORD HMS_JWT_SECRET
  HMS_DB_PASSWORD_APPOINTMENTS HMS_DB_PASSWORD_BILLING HMS_DB_PASSWORD_QUEUE
  HMS_DB_PASSWORD_AUDIT HMS_DB_PASSWORD_GATEWAY
  HMS_DB_PASSWORD_APPOINTMENTS_OWNER HMS_DB_PASSWORD_BILLING_OWNER HMS_DB_PASSWORD_QUEUE_OWNER
  HMS_DB_PASSWORD_AUDIT_OWNER HMS_DB_PASSWORD_GATEWAY_OWNER
  HMS_DB_PASSWORD_AUDIT_ANCHOR HMS_AUDIT_CHAIN_KEY HMS_AUDIT_ANCHOR_KEY
  HMS_INTERNAL_TOKEN_PRIVATE_KEY HMS_INTERNAL_TOKEN_PUBLIC_KEY HMS_DB_PASSWORD_MONITOR
  HMS_ACCESS_TOKEN_PRIVATE_KEY HMS_ACCESS_TOKEN_PUBLIC_KEY HMS_API_KEY_SECRET)
_hms_ensure_secrets() {
  local f="$HMS_HOME/secrets.env" tmp k missing=()
  if [[ -f "$f" ]]; then
    for k in "${_hms_secret_keys[@]}"; do
      grep -q "^$k=" "$f" || missing+=("$k")
    done
    ((${#missing[@]} == 0)) && return 0
  else
    missing=("${_hms_secret_keys[@]}")
  fi
  # hex only: safe inside URLs, shell and config files without quoting
  tmp="$(umask 077 && mktemp "$HMS_HOME/.secrets.XXXXXX")"
  {
    [[ -f "$f" ]] && cat "$f"
    [[ -f "$f" ]] || echo "# Generated by scripts/lib/env.sh for profile $HMS_PROFILE. Do not commit."
    for k in "${missing[@]}"; do
      case "$k" in
        # 256-bit keys: the token secret, the audit trail's chain and anchor keys, API keys' HMAC.
        HMS_JWT_SECRET | HMS_AUDIT_*_KEY | HMS_API_KEY_SECRET) echo "$k=$(openssl rand -hex 32)" ;;
        HMS_INTERNAL_TOKEN_* | HMS_ACCESS_TOKEN_*) ;; # the keypairs, below
        *) echo "$k=$(openssl rand -hex 16)" ;;
      esac
    done
    _hms_keypair INTERNAL_TOKEN "$f" "${missing[@]}"
    _hms_keypair ACCESS_TOKEN "$f" "${missing[@]}"
  } >"$tmp"
  chmod 600 "$tmp"
  if [[ -f "$f" ]]; then
    mv -f "$tmp" "$f"
  else
    # two first-time loads racing: the first one to link wins, the other reads its file
    ln "$tmp" "$f" 2>/dev/null || true
    rm -f "$tmp"
  fi
}
# The gateway's Ed25519 keypairs (docs/security.md), each key one line of base64 DER:
# INTERNAL_TOKEN signs what the gateway tells the backends, ACCESS_TOKEN the access
# tokens of signed-in users. Made through pipes, so no key is ever an argument of a command.
_hms_keypair() { # NAME SECRETS_FILE MISSING_KEY...
  local name="$1" f="$2" private=""
  shift 2
  [[ " $* " == *" HMS_${name}_"* ]] || return 0
  if [[ " $* " == *" HMS_${name}_PRIVATE_KEY "* ]]; then
    private="$(openssl genpkey -algorithm ed25519 -outform DER | base64 -w0)"
    echo "HMS_${name}_PRIVATE_KEY=$private"
  else
    private="$(sed -n "s/^HMS_${name}_PRIVATE_KEY=//p" "$f")"
  fi
  # The public key always follows the private key (a rotation replaces both lines).
  echo "HMS_${name}_PUBLIC_KEY=$(base64 -d <<<"$private" | openssl pkey -inform DER -pubout -outform DER | base64 -w0)"
}
# Owner-only, also when an older checkout made them wider.
(umask 077 && mkdir -p "$HMS_HOME") && chmod 700 "$HMS_ROOT/.hms" "$HMS_HOME" || return 1
_hms_ensure_secrets || return 1
chmod 600 "$HMS_HOME/secrets.env" || return 1
_hms_load_kv_file "$HMS_HOME/secrets.env" 1 || return 1
unset -f _hms_ensure_secrets _hms_keypair
unset _hms_secret_keys

export HMS_PG_ADMIN_URL="postgres://postgres:${HMS_PG_SUPERUSER_PASSWORD}@127.0.0.1:${HMS_PG_PORT}/hms"
# "default" is Redis' built-in user that requirepass protects. An empty user
# (redis://:pw@...) works with node clients but redis-cli 7.0 then sends AUTH "" pw and fails.
export HMS_REDIS_URL="redis://default:${HMS_REDIS_PASSWORD}@127.0.0.1:${HMS_REDIS_PORT}"
export HMS_KAFKA_BROKERS="127.0.0.1:${HMS_KAFKA_PORT}"
