#!/usr/bin/env bash
# Measures MCP tools/call over Streamable HTTP with keep-alive: aios-conformanced calling test_simple_text
# against the reference TypeScript server (@modelcontextprotocol/server-everything, Node 22) calling echo.
# usage: tools-call.sh [SERVER_BINARY]   (default: build/src/conformance/aios-conformanced)
#        tools-call.sh --reference-only
#
# For each server: start it on a free 127.0.0.1 port, open a session with curl (initialize, then
# notifications/initialized), check one tools/call by hand, warm up, then run wrk with bench/tools-call.lua
# (one session, a new request id per request) and read the server's peak RSS (VmHWM) from /proc; so
# SERVER_BINARY must be the server itself, not a script that forks it.
#
# The machine this is written for has 2 cores. wrk runs one thread (enough to saturate a server whose MCP
# work runs on one thread, as both do) pinned to CPU 1, so the client never takes more than half the
# machine; the server is left free, so Node's helper threads (GC, libuv) can use spare time anywhere and
# the reference is not handicapped. BENCH_PIN=both also pins the server to CPU 0 (per-core figures; costs
# Node about a third of its rate), BENCH_PIN=none pins nothing.
#
# Environment: BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (32), BENCH_THREADS (1),
# BENCH_PIN (wrk, both or none). These are figures, not a test: the script exits
# non-zero only when a server cannot be started or answers wrongly.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

reference_only=0
server_bin=$top/build/src/conformance/aios-conformanced
case "${1:-}" in
--reference-only) reference_only=1 ;;
-h | --help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
"") ;;
*) server_bin=$1 ;;
esac
if [[ $reference_only -eq 0 && ! -x $server_bin ]]; then
        echo "tools-call.sh: $server_bin is not an executable (build aios first, or pass its path)" >&2
        exit 2
fi

# shellcheck source=bench/bench-lib.sh
source "$here/bench-lib.sh"

echo "tools/call over HTTP keep-alive: $connections connections, $threads wrk thread(s), ${warmup} s warm-up, ${seconds} s measured"
if [[ ${#server_cpu[@]} -gt 0 ]]; then
        echo "CPUs: server pinned to CPU 0, wrk to CPU 1"
elif [[ ${#wrk_cpu[@]} -gt 0 ]]; then
        echo "CPUs: wrk pinned to CPU 1, the server free"
else
        echo "CPUs: no pinning"
fi

result_aios=
if [[ $reference_only -eq 0 ]]; then
        bench aios test_simple_text '{}' 'This is a simple text response for testing.' \
                "$server_bin" --listen=127.0.0.1:@PORT@
fi
# server-everything logs a line to stdout for every request; the preload turns console.log off so that
# it is measured doing MCP rather than logging (its errors still go to stderr).
bench reference echo '{"message":"hello"}' 'Echo: hello' \
        "$AIOS_NODE" --import="$AIOS_NODE_LOOPBACK_ONLY" --import='data:text/javascript,console.log=()=>{}' \
        "$AIOS_EVERYTHING_SERVER" streamableHttp

# The table: requests per second, latency percentiles, peak RSS, and how aios compares (higher is
# better for aios in every column: its rate over the reference's, the reference's latency and memory
# over its own).
echo
printf '%-22s %10s %12s %12s %13s %7s\n' server 'req/s' p50 p99 'peak RSS' errors
[[ -z $result_aios ]] || row aios-conformanced "$result_aios"
# shellcheck disable=SC2154 # set by bench() through printf -v
row server-everything "$result_reference"
if [[ -n $result_aios ]]; then
        awk -v a_rps="$(field "$result_aios" rps)" -v r_rps="$(field "$result_reference" rps)" \
                -v a50="$(field "$result_aios" p50_us)" -v r50="$(field "$result_reference" p50_us)" \
                -v a99="$(field "$result_aios" p99_us)" -v r99="$(field "$result_reference" p99_us)" \
                -v arss="$(field "$result_aios" rss_kib)" -v rrss="$(field "$result_reference" rss_kib)" 'BEGIN {
                        printf "%-22s %9.1fx %11.1fx %11.1fx %12.1fx\n", "aios advantage", a_rps / r_rps,
                                r50 / (a50 ? a50 : 1), r99 / (a99 ? a99 : 1), rrss / arss }'
        echo "(aios advantage: aios req/s over the reference's; the reference's latency and peak RSS over aios's)"
fi
