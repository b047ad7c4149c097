#!/usr/bin/env bash
# A heap profile of the gateway's hot path: aios-gatewayd under valgrind's massif (--xtree-memory=full), in
# front of aios-conformanced on a private system bus (over its direct connection), while wrk sends bridged
# tools/call (test_simple_text) to /mcp and then to /servers/conformance/mcp. Prints
#   - the heap at its peak and the largest allocation sites then, from ms_print's peak snapshot (what the
#     gateway holds);
#   - the blocks and bytes allocated over the whole run and per tools/call, by the innermost frame in aios's
#     own sources of each allocation (bench/xtree-sites.py reading the xtree): what the hot path allocates and
#     frees on every request, whether or not it shows at the peak.
# usage: gateway-massif.sh [BUILD_DIR]   (default: build; runs as root, like the development stack)
#
# Environment: MASSIF_SECONDS (10: wrk's run on each endpoint), MASSIF_CONNECTIONS (8), MASSIF_TOP (15 sites),
# MASSIF_DIR (keep massif.out and xtmemory.kcg there; default: removed with the run's directory). Under
# valgrind the gateway runs some 20-50 times slower: the request counts, not the rates, are the figures.
# Figures, not a test.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${1:-$top/build}
[[ -x $build/src/gateway/aios-gatewayd ]] || { echo "gateway-massif.sh: build aios first (meson compile -C $build)" >&2; exit 2; }
if [[ $(id -u) -ne 0 ]]; then
        echo "gateway-massif.sh: run this as root: the private bus and polkitd need a private mount namespace" >&2
        exit 2
fi
command -v valgrind >/dev/null || { echo "gateway-massif.sh: valgrind is needed: apt-get install valgrind" >&2; exit 2; }
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        AIOS_BUILD_DIR=$build exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

# shellcheck source=bench/bench-lib.sh
source "$here/bench-lib.sh"
# shellcheck source=bench/gateway-lib.sh
source "$here/gateway-lib.sh"

seconds=${MASSIF_SECONDS:-10}
connections=${MASSIF_CONNECTIONS:-8}
top_n=${MASSIF_TOP:-15}
warmup=0 # every call is counted: the per-call figures divide by them
out=${MASSIF_DIR:-$work}
mkdir -p "$out"
echo "massif on aios-gatewayd: wrk, $connections connections, $seconds s on each endpoint"
load_before=$(load_average)
echo "load average $load_before on $(nproc) CPUs"

start_conformanced org.aios.Conformance1
config=$work/gateway
mkdir -p "$config/backends.d"
printf '[Backend]\nType=dbus\nBusName=org.aios.Conformance1\n' >"$config/backends.d/conformance.conf"
# valgrind runs its own code in the process, with system calls of its own that the gateway's allow-list does
# not name: the profiled gateway runs without its seccomp filter.
AIOS_SECCOMP=off start_gateway "$config" valgrind --tool=massif --xtree-memory=full --threshold=0.5 \
        --massif-out-file="$out/massif.out" --xtree-memory-file="$out/xtmemory.kcg" --log-file="$work/valgrind.log"

text='This is a simple text response for testing.'
total=0
for endpoint in /mcp /servers/conformance/mcp; do
        measure "massif${endpoint//\//-}" "http://127.0.0.1:$gateway_port$endpoint" \
                test_simple_text '{}' "$text" "$gateway_pid"
        result=result_massif${endpoint//[\/-]/_} # set by measure()
        line=${!result}
        total=$((total + $(field "$line" requests) + 1)) # and measure()'s own check
done

kill -TERM "$gateway_pid"
for ((i = 0; i < 600; i++)); do
        kill -0 "$gateway_pid" 2>/dev/null || break
        sleep 0.1
done
wait "$gateway_pid" 2>/dev/null || true
[[ -s $out/massif.out && -s $out/xtmemory.kcg ]] || die "valgrind wrote no profile: $(tail -n 20 "$work/valgrind.log")"

echo
ms_print "$out/massif.out" >"$work/ms_print.txt"
peak=$(sed -n 's/.*[ [,]\([0-9]*\) (peak).*/\1/p' "$work/ms_print.txt")
echo "== the heap at its peak (ms_print's snapshot $peak: total, useful and extra heap in bytes), its largest sites"
# The snapshot's row in the table, then its tree: the top-level sites (->) and their first callers (| ->).
awk -v peak="$peak" -v top="$top_n" '/^ *n +time/ { table = 1; next }
        table && NF == 6 && $1 ~ /^[0-9]+$/ { if (in_peak) exit; if ($1 == peak) { print "   total " $3 ", useful " $4 ", extra " $5; in_peak = 1 }; next }
        in_peak && /^->/ { if (++n > top) exit; print "   " $0; next }
        in_peak && /^\| ->/ && n <= top { print "   " $0 }' "$work/ms_print.txt"

echo
echo "== allocations over the run, by the innermost frame in aios's sources (the xtree: blocks and bytes allocated)"
"$here/xtree-sites.py" "$out/xtmemory.kcg" "$top_n" "$total"
echo "load average $load_before before, $(load_average) after, on $(nproc) CPUs"
[[ $out == "$work" ]] || echo "profiles kept: $out/massif.out, $out/xtmemory.kcg"
