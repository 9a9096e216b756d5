#!/usr/bin/env bash
# Proves, without a container engine, that the Dockerfile's runtime stage holds
# everything a service needs to start: it replays the stage's COPY instructions
# (from the build context, and --from=build taken as this checkout after
# `npm run build`) and its `npm ci` into an empty folder, then starts each service
# and the migration runner there with an empty environment. Each must get as far as
# its configuration check (exit 78, "invalid configuration"): every module it
# imports was found. The contracts (.proto files, loaded later) and each service's
# migrations are then loaded and read there as the services would.
#
#   scripts/check-image-layout.sh [SERVICE...]     (default: all five)
# Needs `npm run build` first (npm test runs it).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(dirname "$HERE")"
services=("$@")
((${#services[@]})) || services=(gateway appointments billing queue audit)
image="$(mktemp -d)"
trap 'rm -rf "$image"' EXIT

# The runtime stage's instructions, continuation lines joined.
mapfile -t instructions < <(awk '
  /^FROM .* AS runtime/ { runtime = 1; next }
  !runtime || /^[[:space:]]*#/ || /^[[:space:]]*$/ { next }
  { line = line $0 }
  /\\$/ { sub(/\\$/, "", line); next }
  { print line; line = "" }' "$ROOT/Dockerfile")
((${#instructions[@]} > 5)) || { echo "no runtime stage found in Dockerfile" >&2; exit 1; }

copy() { # SRC DEST (SRC relative to ROOT, DEST relative to the image's /app)
  local src="$ROOT/$1" dest="$image/$2"
  [[ -e "$src" ]] || { echo "Dockerfile copies $1, which does not exist (after a build)" >&2; exit 1; }
  if [[ -d "$src" ]]; then
    mkdir -p "$dest"
    cp -R "$src/." "$dest"
  elif [[ "$dest" == */ ]]; then
    mkdir -p "$dest"
    cp "$src" "$dest"
  else
    mkdir -p "$(dirname "$dest")"
    cp "$src" "$dest"
  fi
}

for service in "${services[@]}"; do
  for ins in "${instructions[@]}"; do
    read -r -a words <<<"${ins//\$\{SERVICE\}/$service}"
    case "${words[0]}" in
      COPY)
        if [[ "${words[1]}" == --from=build ]]; then
          copy "${words[2]#/app/}" "${words[3]}"
        else
          dest="${words[-1]}"
          for src in "${words[@]:1:${#words[@]}-2}"; do copy "$src" "$dest"; done
        fi
        ;;
      RUN)
        if [[ "$ins" == *"npm ci"* && ! -d "$image/node_modules" ]]; then
          (cd "$image" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error)
        fi
        ;;
    esac
  done
done

fails=0
expect_config_error() { # WHAT CMD...: the command must stop at its configuration check
  local what="$1" out rc=0
  shift
  out="$(cd "$image" && env -i PATH="$PATH" HOME="$image" "$@" 2>&1)" || rc=$?
  if ((rc == 78)) && grep -q "invalid configuration" <<<"$out"; then
    echo "ok   $what starts up to its configuration check"
  else
    echo "FAIL $what (exit $rc):"
    head -n 20 <<<"$out" | sed 's/^/    /'
    fails=$((fails + 1))
  fi
}
for service in "${services[@]}"; do
  expect_config_error "$service" node "services/$service/dist/main.js"
done
expect_config_error "migrate-cli" node packages/platform/dist/db/migrate-cli.js --schema=billing --migrations=services/billing/prisma/migrations

# What the services load after their configuration check: the gRPC contracts and the
# event envelope from proto/hms, and the migrations (platform and own).
# shellcheck disable=SC2016 # JavaScript, not shell
check_js='
  const proto = await import("@hms/proto");
  const c = proto.loadContracts();
  if (!c.hms) throw new Error("no hms package in the loaded contracts");
  const platform = await import("@hms/platform");
  for (const dir of [platform.MESSAGING_MIGRATIONS_DIR, ...process.argv.slice(1)]) {
    const m = await platform.readMigrations(dir);
    if (m.length === 0) throw new Error("no migrations in " + dir);
  }'
dirs=()
for service in "${services[@]}"; do dirs+=("$image/services/$service/prisma/migrations"); done
if out="$(cd "$image/services/${services[0]}" && env -i PATH="$PATH" node --input-type=module -e "$check_js" "${dirs[@]}" 2>&1)"; then
  echo "ok   contracts and migrations load from the image"
else
  echo "FAIL contracts or migrations missing from the image:"
  head -n 20 <<<"$out" | sed 's/^/    /'
  fails=$((fails + 1))
fi
((fails == 0))
