#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# `npm run chaos` (scripts/hms chaos): the fault scenarios under load on a fresh test stack
# (profile "test", so not while `npm test` runs in this checkout), each ending with the
# invariant checker, then the point-in-time restore rehearsal; prints the table of faults.
#
#   scripts/hms chaos [--short] [--only kafka-down,redis-down,postgres-restart,kill-9]
#   (--short: 10 s outages, as in `npm test`; default: the full 60 s ones)
# Leaves the stack down. The table and each scenario's figures also go to
# .hms/test-reports/chaos.json.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# `scripts/hms soak [--minutes N]` comes here too: the same fresh stack, then the soak of the
# benchmark suite (bench/soak.ts) instead of the fault scenarios.
soak=0
if [[ "${1:-}" == soak ]]; then
  soak=1
  shift
fi
export HMS_PROFILE=test
# shellcheck source=lib/env.sh
source "$here/lib/env.sh"
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
export HMS_LOG_PREFIX="chaos"
cd "$HMS_ROOT" || exit 1
report_dir="$HMS_ROOT/.hms/test-reports"
private_dir "$report_dir"

teardown() {
  "$here/hms" services down --profile test >/dev/null 2>&1 || true
  "$here/infra.sh" down >/dev/null 2>&1 || true
}
trap teardown EXIT
trap 'exit 130' INT TERM

"$here/install.sh" || exit 1
npm run --silent build || exit 1
teardown
"$here/infra.sh" down --wipe >/dev/null 2>&1 || true
"$here/infra.sh" up postgres redis kafka jaeger || exit 1
node --import tsx scripts/bootstrap.ts || exit 1
"$here/hms" services up --profile test || exit 1
"$here/infra.sh" up nginx || exit 1

rc=0
if ((soak)); then
  node --import tsx bench/soak.ts "$@" || rc=1
  exit "$rc"
fi
node --import tsx e2e/chaos/run.ts --json "$report_dir/chaos.json" "$@" || rc=1
log "point-in-time restore rehearsal"
npx vitest run --project recovery || rc=1
exit "$rc"
