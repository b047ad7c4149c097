#!/usr/bin/env bash
# The gateway's memory under a long mixed load: 100 clients at once (bench/gateway-soak-client.py), each
# starting a session or going stateless (2025-11-25 and 2026-07-28 wires), calling tools, opening SSE streams
# (GET streams, listen streams, streamed tools/call with progress) and ending by DELETE or by going away
# without a word, on /mcp and on /servers/conformance/mcp of aios-gatewayd, in front of aios-conformanced on a
# private system bus (over the gateway's direct connection). The gateway's resident set is read:
#   start  after a warm-up of the same load, once the warm-up's sessions have expired (and 11 s more: the
#          gateway gives freed heap back every 10 s)
#   peak   the largest seen during the load (read every half second)
#   end    after the load, once the idle sessions it left have expired (SessionIdleSec= is shortened here
#          so that they do within the run), and 11 s more
# and whether the end is within 10% of the start.
# usage: gateway-soak.sh [BUILD_DIR]   (default: build; runs as root, like the development stack)
#
# Environment: DURATION (600 seconds of load), SESSIONS (100 clients), WARMUP (30 seconds), THINK_MS (100: a
# client waits 0 to twice this between requests), SESSION_IDLE (20 seconds, the gateway's SessionIdleSec=),
# MAX_REQUESTS (5000000, a bound on the requests sent). Figures, not a test.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${1:-$top/build}
[[ -x $build/src/gateway/aios-gatewayd ]] || { echo "gateway-soak.sh: build aios first (meson compile -C $build)" >&2; exit 2; }
if [[ $(id -u) -ne 0 ]]; then
        echo "gateway-soak.sh: run this as root: the private bus and polkitd need a private mount namespace" >&2
        exit 2
fi
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        AIOS_BUILD_DIR=$build exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

# shellcheck source=bench/bench-lib.sh
source "$here/bench-lib.sh"
# shellcheck source=bench/gateway-lib.sh
source "$here/gateway-lib.sh"

duration=${DURATION:-600}
sessions=${SESSIONS:-100}
warmup_seconds=${WARMUP:-30}
think_ms=${THINK_MS:-100}
session_idle=${SESSION_IDLE:-20}
max_requests=${MAX_REQUESTS:-5000000}

echo "gateway soak: $sessions clients for $duration s (after $warmup_seconds s of warm-up), SessionIdleSec=$session_idle"
load_before=$(load_average)
echo "load average $load_before on $(nproc) CPUs"

start_conformanced org.aios.Conformance1
config=$work/gateway
mkdir -p "$config/backends.d"
printf '[Backend]\nType=dbus\nBusName=org.aios.Conformance1\n' >"$config/backends.d/conformance.conf"
# Room for every client and its streams from one address, so that what ends abandoned sessions is their
# idle time, not a full table.
cat >"$config/gateway.conf" <<EOF
[Gateway]
SessionIdleSec=$session_idle
MaxSessionsPerPrincipal=4096
MaxConnectionsPerSource=1024
MaxRequestsPerPrincipal=1024
EOF
start_gateway "$config"
rss_fresh=$(rss_kib "$gateway_pid")

# Waits until the gateway holds no session and no call (the sweep ends idle ones every SESSION_IDLE/4 s), then
# for the gateway's next heap trim, which gives what they freed back (every 10 s, heap-trim.h).
wait_sessions_gone() {
        local i n
        for ((i = 0; i < (session_idle * 3 + 60) * 2; i++)); do
                n=$(gateway_metric aios_gateway_sessions)
                if [[ $n -eq 0 && $(gateway_metric aios_gateway_in_flight) -eq 0 ]]; then
                        sleep 11
                        return 0
                fi
                sleep 0.5
        done
        die "the gateway still holds $n sessions $((session_idle * 3 + 60)) s after the load"
}

soak() { # SECONDS [PID]
        "$here/gateway-soak-client.py" "http://127.0.0.1:$gateway_port" "$1" "$sessions" "$max_requests" "$think_ms" \
                "${@:2}" 2>"$work/client.err" || die "the load client failed: $(cat "$work/client.err")"
}

echo "== warm-up, $warmup_seconds s"
soak "$warmup_seconds" | sed 's/^/   /'
warm_sessions=$(gateway_metric aios_gateway_sessions)
wait_sessions_gone
rss_start=$(rss_kib "$gateway_pid")
conformanced_start=$(rss_kib "$conformanced_pid")
echo "   $warm_sessions sessions open right after it, all expired since; the gateway's RSS ${rss_start} KiB"

echo "== load, $duration s"
line=$(soak "$duration" "$gateway_pid")
echo "   $line"
[[ ! -s $work/client.err ]] || sed 's/^/   /' "$work/client.err"
left_sessions=$(gateway_metric aios_gateway_sessions)
rss_after_load=$(rss_kib "$gateway_pid")
started_wait=$SECONDS
wait_sessions_gone
rss_end=$(rss_kib "$gateway_pid")
conformanced_end=$(rss_kib "$conformanced_pid")
echo "   $left_sessions sessions open when the load stopped (RSS ${rss_after_load} KiB), all expired within $((SECONDS - started_wait - 11)) s"
kill -0 "$gateway_pid" 2>/dev/null || die "the gateway died during the run"

echo
awk -v fresh="$rss_fresh" -v s="$rss_start" -v p="$(field "$line" peak_kib)" -v e="$rss_end" -v cs="$conformanced_start" \
        -v ce="$conformanced_end" -v req="$(field "$line" requests)" -v rps="$(field "$line" rps)" \
        -v err="$(field "$line" errors)" -v busy="$(field "$line" busy)" 'BEGIN {
        printf "gateway RSS: %.1f MiB fresh, %.1f MiB at start (after warm-up), %.1f MiB peak, %.1f MiB at end\n", fresh / 1024, s / 1024, p / 1024, e / 1024
        d = 100 * (e - s) / s
        printf "end vs start: %+.1f%%: %s\n", d, (d <= 10 && d >= -10) ? "returned within 10%" : "NOT within 10%"
        printf "aios-conformanced RSS: %.1f MiB at start, %.1f MiB at end\n", cs / 1024, ce / 1024
        printf "%d requests (%.0f/s), %d errors, %d refused as busy (503 with Retry-After)\n", req, rps, err, busy }'
echo "load average $load_before before, $(load_average) after, on $(nproc) CPUs"
