#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Proves that `npm run typecheck` and `npm run lint` work on a fresh clone by
# themselves: in a copy of this working tree without anything generated or built (no
# proto types, no Prisma clients, no dist), with the dependencies scripts/install.sh
# installs (npm ci of the same package-lock.json; hard-linked from this checkout instead
# of installed again, which takes seconds, not a minute).
#
#   scripts/check-fresh-clone.sh      (a check of scripts/run-tests.sh; about a minute)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source=lib/env.sh
source "$here/lib/env.sh"
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
HMS_LOG_PREFIX="fresh-clone"

[[ -f "$HMS_ROOT/node_modules/.hms-installed" ]] || die "no dependencies in $HMS_ROOT (run scripts/install.sh)"
parent="$(mktemp -d)"
trap 'rm -rf "$parent"' EXIT
clone="$parent/hms"
mkdir "$clone"
copy_working_tree "$clone"

# The dependency folders npm ci makes: the root's, and a workspace's own when npm had to
# put a different version there. Caches are left out: a tool writing its cache into a
# hard-linked file would write into this checkout's.
while IFS= read -r -d '' dir; do
  rel="${dir#"$HMS_ROOT"/}"
  mkdir -p "$clone/$rel"
  (cd "$dir" && find . -mindepth 1 -maxdepth 1 ! -name .cache ! -name .vite -print0 |
    xargs -0 -r cp -al -t "$clone/$rel")
done < <(find "$HMS_ROOT" -maxdepth 3 -name node_modules -prune -type d \
  ! -path "$HMS_ROOT/node_modules/*" -print0)

# Installed packages (also nested ones, e.g. e2e/node_modules) may ship a dist of their own: not ours.
generated="$(cd "$clone" && find . -name node_modules -prune -o \
  \( -name generated -o -name dist -o -name '*.tsbuildinfo' \) -print -quit)"
[[ -z "$generated" ]] || die "the copy is not fresh: $generated"
log "a fresh copy in $clone; running npm run typecheck and npm run lint there"

cd "$clone"
npm run --silent typecheck
npm run --silent lint
log "typecheck and lint passed on a fresh clone"
