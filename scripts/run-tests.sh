#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Every check and every test suite of HMS, against a fresh test stack (profile
# "test": its own ports and data, so a running dev stack is left alone):
#   1. install what is missing, build
#   2. static checks: lint, format, import cycles, type-check, buf lint, shellcheck,
#      alert rules (promtool check and unit tests)
#   3. a fresh copy of the checkout: typecheck and lint there by themselves; the
#      infrastructure started from a copy in a folder closed to other users (mode 700)
#   4. PostgreSQL, Redis, Kafka, nginx, Prometheus from empty data; roles, schemas, topics
#   5. unit and integration suites (services in-process against the real parts)
#   6. the services as processes behind nginx; end-to-end, fault (short forms of
#      `npm run chaos`) and stack-hygiene suites; a bounded schemathesis pass over the
#      OpenAPI document; the k6 smoke stage; the point-in-time restore rehearsal
#   7. the Helm chart on a local Kubernetes control plane (etcd, kube-apiserver,
#      controller-manager, scheduler, kwok) with the metrics adapter over Prometheus
# It always tears the test stack down, and ends with the line "N passed, N failed",
# where a check counts as one and a suite contributes each of its tests.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
export HMS_PROFILE=test
# shellcheck source=lib/env.sh
source "$here/lib/env.sh"
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
export HMS_LOG_PREFIX="test"
cd "$HMS_ROOT" || exit 1

passed=0
failed=0
failures=()
# Each failed test's name and the head of its error, repeated at the very end of
# the run so that the tail of a CI log names the cause.
failed_tests=""
# Outside $HMS_HOME, which the fresh start below wipes.
report_dir="$HMS_ROOT/.hms/test-reports"
started="$(now_ms)"

stage() { log "== $* ($((($(now_ms) - started) / 1000)) s)"; }

# check NAME CMD...: one check, counted once; its output is shown only when it fails.
check() {
  local name="$1" out
  shift
  out="$report_dir/check-$name.log"
  if "$@" >"$out" 2>&1; then
    passed=$((passed + 1))
    log "ok   $name"
  else
    failed=$((failed + 1))
    failures+=("$name")
    log "FAIL $name (output: $out)"
    tail -n 60 "$out" | sed 's/^/    /' >&2
  fi
}

# suite NAME VITEST-ARGS...: a vitest run whose tests are counted one by one.
suite() {
  local name="$1" json counts
  shift
  json="$report_dir/$name.json"
  rm -f "$json"
  npx vitest run "$@" --reporter=default --reporter=json --outputFile.json="$json"
  if [[ -f "$json" ]]; then
    counts="$(node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      // A file that fails to load has no tests but is a failure all the same.
      const broken = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
      console.log(r.numPassedTests, r.numFailedTests + broken, r.numPendingTests + r.numTodoTests);' "$json")"
    read -r p f s <<<"$counts"
  else
    p=0 f=1 s=0
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  if ((f > 0)); then
    failures+=("$name suite ($f)")
    failed_tests+="$(failed_test_lines "$json")"$'\n'
  fi
  ((s > 0)) && log "$name: $s skipped"
  log "$name: $p passed, $f failed"
}

# failed_test_lines JSON: "file > test: first lines of the error" per failed test.
failed_test_lines() {
  [[ -f "$1" ]] || return 0
  # shellcheck disable=SC2016 # JavaScript template literals, not shell
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const root = process.cwd() + "/";
    for (const f of r.testResults) {
      const file = f.name.replace(root, "");
      if (f.status === "failed" && f.assertionResults.length === 0)
        console.log(`  ${file}: ${(f.message || "did not load").split("\n").slice(0, 6).join("\n    ")}`);
      for (const t of f.assertionResults.filter((a) => a.status === "failed")) {
        const msg = (t.failureMessages || []).join("\n").split("\n").slice(0, 8).join("\n    ");
        console.log(`  ${file} > ${t.fullName}:\n    ${msg}`);
      }
    }' "$1" 2>/dev/null || true
}

teardown() {
  stage "tearing the test stack down"
  "$here/k8s.sh" down --wipe >/dev/null 2>&1 || true
  "$here/hms" services down --profile test >/dev/null 2>&1 || true
  "$here/infra.sh" down >/dev/null 2>&1 || true
}

summary() {
  teardown
  log "finished in $((($(now_ms) - started) / 1000)) s"
  if ((${#failures[@]})); then log "failed: ${failures[*]}"; fi
  if [[ -n "${failed_tests//[[:space:]]/}" ]]; then printf 'failed tests:\n%s' "$failed_tests"; fi
  echo "$passed passed, $failed failed"
  ((failed == 0))
}
trap 'summary; exit $?' EXIT
trap 'exit 130' INT TERM

private_dir "$report_dir"

stage "install and build"
"$here/install.sh" || { failed=$((failed + 1)); failures+=(install); exit 1; }
check build npm run --silent build

stage "static checks"
check lint npx eslint . --max-warnings 0
check format npx prettier --check .
check import-cycles npm run --silent cycles
check typecheck npm run --silent typecheck
check buf-lint bash -c 'cd proto && buf lint'
check shellcheck bash -c 'shellcheck -x scripts/*.sh scripts/lib/*.sh scripts/hms scripts/with-test-env .ci/run nginx/*.sh'
# The alert rules parse, and each alert fires on the series it should and only on those.
check alert-rules bash -c 'promtool check rules monitoring/rules/*.yml && promtool test rules monitoring/tests/*.yml'
# The images, without a Docker engine: Dockerfile lint, the Compose schema, and the image's runtime layout.
check hadolint hadolint --failure-threshold info Dockerfile nginx/Dockerfile
check compose-schema check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
check image-layout "$here/check-image-layout.sh"
# shellcheck disable=SC2016 # expanded by the inner bash
check gofmt bash -c 'out="$(gofmt -l scripts/k8s)"; [[ -z "$out" ]] || { echo "not gofmt-ed: $out"; exit 1; }'

stage "fresh and private copies of the checkout"
check fresh-clone "$here/check-fresh-clone.sh"
check private-clone "$here/check-private-clone.sh"

stage "test stack from empty data"
"$here/k8s.sh" down --wipe >/dev/null 2>&1 || true
"$here/hms" services down --profile test >/dev/null 2>&1 || true
"$here/infra.sh" down --wipe >/dev/null 2>&1 || true
check infra-up "$here/infra.sh" up postgres redis kafka jaeger
check bootstrap node --import tsx scripts/bootstrap.ts

stage "unit and integration suites"
suite unit --project unit
suite integration --project integration

stage "services behind nginx; end-to-end and fault suites"
check services-up "$here/hms" services up --profile test
check edge-up "$here/infra.sh" up nginx monitoring
suite e2e --project e2e
# schemathesis against the stack through nginx, authenticated (scripts/fuzz.ts): a bounded pass of
# about 4,000 cases (the coverage phase's boundary cases of every operation are most of them, then
# 5 generated cases per operation and 5 stateful scenarios along the links), at most 5 minutes;
# zero 5xx and zero replies that break the document.
check fuzz-bounded node --import tsx scripts/fuzz.ts --profile test --max-examples 5 --min-cases 2000 --max-time 300

stage "release load test, smoke stage (k6 thresholds: p95 < 200 ms, errors < 1%, checks > 99%)"
check k6-smoke node --import tsx scripts/k6.ts smoke --profile test

# Destructive (the database is restored to an earlier instant), so after everything else that
# uses the stack: backup, more activity, DROP TABLE, restore --to, the invariant checker.
stage "point-in-time restore rehearsal"
suite recovery --project recovery

stage "the Helm chart on a Kubernetes control plane"
check k8s-up "$here/k8s.sh" up
suite k8s --project k8s
