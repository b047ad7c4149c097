#!/usr/bin/env bash
# Builds aios-conformanced with AddressSanitizer and UndefinedBehaviorSanitizer and runs the conformance
# suites against it. Any sanitizer report (or a leak found when the server exits) fails the run.
# usage: run-sanitized.sh SOURCE_DIR BUILD_DIR
set -euo pipefail

src=${1:?source directory}
build=${2:?build directory}
here=$(cd "$(dirname "$0")" && pwd)

if [[ ! -f "$build/build.ninja" ]]; then
        meson setup "$build" "$src" -Dsanitizers=true -Dtests=false -Dbuildtype=debug >/dev/null
fi
meson compile -C "$build" aios-conformanced >/dev/null

# halt_on_error makes the first report fatal; the server's exit status then tells run-conformance.sh.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=86
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=87
export LSAN_OPTIONS=exitcode=88

status=0
for suite in 0.1.16 2025-11-25 2026-07-28; do
        echo "== conformance $suite under sanitizers"
        "$here/run-conformance.sh" "$build/src/conformance/aios-conformanced" "$suite" || status=1
done
exit $status
