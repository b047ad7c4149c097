#!/usr/bin/env bash
# Builds aios-conformanced and aios-gatewayd with AddressSanitizer and UndefinedBehaviorSanitizer and runs
# the conformance suites against the server directly and, as root, through the gateway over D-Bus. Any
# sanitizer report (or a leak found when a daemon exits) fails the run.
# usage: run-sanitized.sh SOURCE_DIR BUILD_DIR
set -euo pipefail

src=${1:?source directory}
build=${2:?build directory}
here=$(cd "$(dirname "$0")" && pwd)

if [[ ! -f "$build/build.ninja" ]]; then
        meson setup "$build" "$src" -Dsanitizers=true -Dtests=false -Dbuildtype=debug >/dev/null
fi
meson compile -C "$build" aios-conformanced aios-gatewayd >/dev/null

# halt_on_error makes the first report fatal; the server's exit status then tells run-conformance.sh.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=86
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=87
export LSAN_OPTIONS=exitcode=88

status=0
for suite in 0.1.16 2025-11-25 2026-07-28; do
        echo "== conformance $suite under sanitizers"
        "$here/run-conformance.sh" "$build/src/conformance/aios-conformanced" "$suite" || status=1
done
if [[ $(id -u) -eq 0 ]]; then
        export AIOS_CONFORMANCED=$build/src/conformance/aios-conformanced
        export AIOS_GATEWAYD=$build/src/gateway/aios-gatewayd
        for suite in 0.1.16 2025-11-25 2026-07-28; do
                echo "== conformance $suite through the gateway under sanitizers"
                AIOS_CONFORMANCE_PATH=/servers/conformance/mcp \
                        "$here/run-conformance.sh" "$here/../gateway/bridged-conformanced.sh" "$suite" || status=1
        done
        if [[ -n ${AIOS_BUS_SESSIONS:-} ]]; then
                echo "== callers leaving the bus with sessions, under sanitizers"
                "$here/../gateway/peers-leaving.sh" "$build/src/conformance/aios-conformanced" "$AIOS_BUS_SESSIONS" ||
                        status=1
        fi
else
        echo "== the runs through the gateway need root (a private bus and polkitd): not run"
fi
exit $status
