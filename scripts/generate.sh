#!/usr/bin/env bash
# Generates the code the TypeScript sources import but git does not hold: the proto
# types (proto/src/generated), each service's Prisma client (services/*/src/db/
# generated) and the REST client's types (packages/client/src/generated, from its openapi.json), by running the `generate` script of every workspace that has one.
#
#   scripts/generate.sh [--force]
#
# Each output folder keeps a hash of what it was made from (the workspace's package.json
# and its .proto or schema.prisma files, and package-lock.json for the generators'
# versions); a workspace whose inputs did not change is skipped. So a fresh clone
# generates everything once (about 12 s) and every later call costs well under a second,
# which lets `npm run build`, `npm run typecheck` and `scripts/hms bootstrap` all call it
# first and work on a fresh clone by themselves.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"
force=0
[[ "${1:-}" == --force ]] && force=1

# inputs_of WORKSPACE: the files its generated code is made from, one per line
inputs_of() {
  local ws="$1"
  echo "$ws/package.json"
  echo package-lock.json
  if [[ -f "$ws/prisma/schema.prisma" ]]; then
    echo "$ws/prisma/schema.prisma"
  else
    find "$ws" -path "$ws/node_modules" -prune -o \( -name '*.proto' -o -name openapi.json \) -print | LC_ALL=C sort
  fi
}

# output_of WORKSPACE: the folder its generate script writes (and replaces)
output_of() {
  local ws="$1" out
  if [[ -f "$ws/prisma/schema.prisma" ]]; then
    out="$(sed -nE 's/^[[:space:]]*output[[:space:]]*=[[:space:]]*"([^"]+)".*/\1/p' "$ws/prisma/schema.prisma" | head -n 1)"
    [[ -n "$out" ]] || {
      echo "generate: $ws/prisma/schema.prisma names no generator output" >&2
      return 1
    }
    realpath -m "$ws/prisma/$out"
  else
    out="$(cd "$ws" && node -p 'require("./package.json").scripts.generate.match(/--outDir=(\S+)/)?.[1] ?? ""')"
    [[ -n "$out" ]] || {
      echo "generate: $ws's generate script names no --outDir" >&2
      return 1
    }
    realpath -m "$ws/$out"
  fi
}

mapfile -t workspaces < <(node -e '
  const fs = require("fs");
  const path = require("path");
  for (const pattern of require("./package.json").workspaces) {
    const dirs = pattern.endsWith("/*")
      ? fs.readdirSync(pattern.slice(0, -2)).map((d) => path.join(pattern.slice(0, -2), d))
      : [pattern];
    for (const dir of dirs) {
      try {
        if (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).scripts?.generate) console.log(dir);
      } catch {}
    }
  }')

generated=0
for ws in "${workspaces[@]}"; do
  out="$(output_of "$ws")"
  stamp="$out/.generated-from.sha256"
  mapfile -t inputs < <(inputs_of "$ws")
  sum="$(sha256sum "${inputs[@]}" | sha256sum | cut -d' ' -f1)"
  if ((force == 0)) && [[ -f "$stamp" && "$(cat "$stamp")" == "$sum" ]]; then continue; fi
  echo "generate: $ws (${out#"$root"/})" >&2
  rm -f "$stamp"
  npm run --silent generate --workspace="$ws" >/dev/null
  echo "$sum" >"$stamp"
  generated=$((generated + 1))
done
((generated > 0)) || echo "generate: all ${#workspaces[@]} outputs up to date" >&2
