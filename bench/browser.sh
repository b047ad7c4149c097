#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Measures aios-browserd beside Microsoft's Playwright MCP (@playwright/mcp, tools/npm-deps.sh) in the same run,
# both driving the same Chromium (/usr/bin/chromium, or AIOS_BROWSER_EXECUTABLE) headless over the same pages of
# the fixture site (tests/browser/fixture.py, on the loopback), one MCP session each over Streamable HTTP
# (bench/browser-client.py):
#   navigate+snapshot  browser_navigate to a page, then browser_snapshot: /article (a documentation page),
#                      /form, /frames (a same- and a cross-origin iframe), /dialogs; p50 and p99 of the pair
#   click+snapshot     browser_click on /counter's button, then browser_snapshot
#   /big               navigate+snapshot once on a page of 100,000 nodes
# and the snapshot's size in characters (with its [ref=...] handles) side by side, and memory once the rows
# are done: the server's RSS (its peak too) and the browser's, all its processes (RSS adds up what they
# share, PSS shares it out).
# aios-browserd runs as aios-browser on a private system bus with polkitd (tools/dev-services.sh) behind
# aios-gatewayd, reached at /servers/browser/mcp with an API key, as deployed; Playwright MCP on its own port,
# run as the same user, --isolated (its profile in memory, as aios-browserd's is one of its own per session).
# Each server runs alone: aios-browserd is stopped before Playwright MCP starts.
# usage: browser.sh [BUILD_DIR]   (default: build; runs as root, like the development stack)
#
# Environment: BENCH_ROUNDS (20): calls per row at most; BENCH_SECONDS (30): each row's time at most.
# BENCH_SNAPSHOT_DIR=DIR keeps each row's last snapshot there (SERVER-ROW-PAGE.txt), to read them side by side.
# Figures, not a test.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${1:-$top/build}
build=$(cd "$build" && pwd)
for b in src/browser/aios-browserd src/gateway/aios-gatewayd src/aiosctl/aiosctl; do
        [[ -x $build/$b ]] || { echo "browser.sh: build aios first (meson compile -C $build): no $b" >&2; exit 2; }
done
if [[ $(id -u) -ne 0 ]]; then
        echo "browser.sh: run this as root: the private bus and polkitd need a private mount namespace" >&2
        exit 2
fi
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        AIOS_BUILD_DIR=$build exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi
export AIOS_SECCOMP_DIR=${AIOS_SECCOMP_DIR:-$top/seccomp}
export AIOS_BROWSERD=$build/src/browser/aios-browserd AIOS_GATEWAYD=$build/src/gateway/aios-gatewayd \
        AIOS_AIOSCTL=$build/src/aiosctl/aiosctl
rounds=${BENCH_ROUNDS:-20}
seconds=${BENCH_SECONDS:-30}

# shellcheck source=tests/gateway/stack-lib.sh
source "$top/tests/gateway/stack-lib.sh"
# shellcheck source=tests/browser/browser-lib.sh
source "$top/tests/browser/browser-lib.sh"
# shellcheck source=tools/npm-env.sh
source "$top/tools/npm-env.sh"

die() {
        echo "browser.sh: $*" >&2
        exit 1
}
chromium=$(browser_find_chromium) || die "no Chromium (apt-get install chromium)"
if [[ ! -x $AIOS_NODE || ! -f $AIOS_PLAYWRIGHT_MCP ]]; then
        "$top/tools/npm-deps.sh" >&2 || die "@playwright/mcp could not be installed"
fi

pw_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
        browser_stop
        [[ -z $pw_pid ]] || kill -TERM "$pw_pid" 2>/dev/null || true
        kill -TERM "${gateway_pid:-}" "${fixture_pid:-}" 2>/dev/null || true
        wait 2>/dev/null || true
}
trap cleanup EXIT

# memory NAME SERVER_PID: the server's RSS and peak RSS, and the RSS and PSS of every Chromium process below it
# (KiB); sets mem_NAME to "server=... server_peak=... browser_rss=... browser_pss=... processes=N".
memory() {
        local p rss=0 pss=0 n=0 v
        for p in $(browser_descendants "$2"); do
                [[ $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) == *chrom* ]] || continue
                v=$(awk '/^Rss:/ { r = $2 } /^Pss:/ { s = $2 } END { print r + 0, s + 0 }' "/proc/$p/smaps_rollup" 2>/dev/null) || continue
                rss=$((rss + ${v% *})) pss=$((pss + ${v#* })) n=$((n + 1))
        done
        printf -v "mem_$1" 'server=%s server_peak=%s browser_rss=%s browser_pss=%s processes=%s' \
                "$(awk '/^VmRSS:/ { print $2 }' "/proc/$2/status")" "$(awk '/^VmHWM:/ { print $2 }' "/proc/$2/status")" \
                "$rss" "$pss" "$n"
}

browser_fixture_start
echo "fixture site on $site (and $cross); Chromium: $chromium ($("$chromium" --version 2>/dev/null | head -n 1))"
echo "at most $rounds calls and $seconds s per row, $(nproc) CPUs"

# --- aios-browserd through the gateway ---------------------------------------------------------------------
browser_config '[Origins]' 'AllowLoopback=yes' "Allow=$site" "Allow=$cross"
browser_start
browser_gateway_start bench
echo "== aios-browserd $("$AIOS_BROWSERD" --version 2>/dev/null | head -n 1) through aios-gatewayd"
/usr/bin/python3 "$here/browser-client.py" aios-browserd "$base/servers/browser/mcp" "$site" "$rounds" "$seconds" \
        "Authorization: Bearer ${key_bench:?}" | tee "$browser_work/aios.out" || die "the aios-browserd run failed"
memory aios "$browserd_pid"
browser_stop

# --- Playwright MCP ---------------------------------------------------------------------------------------
pw_home=$browser_work/playwright
mkdir -p "$pw_home/tmp"
chown -R aios-browser: "$pw_home"
pw_port=$(stack_free_port)
(cd "$pw_home" && exec setpriv --reuid=aios-browser --regid=aios-browser --init-groups -- env HOME="$pw_home" TMPDIR="$pw_home/tmp" \
        "$AIOS_NODE" "$AIOS_PLAYWRIGHT_MCP" --headless --isolated --executable-path="$chromium" --host=127.0.0.1 \
        --port="$pw_port" --allowed-hosts='*' --output-dir="$pw_home/out") >>"$browser_work/playwright.log" 2>&1 &
pw_pid=$!
for ((i = 0; i < 300; i++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$pw_port") 2>/dev/null && break
        kill -0 "$pw_pid" 2>/dev/null || die "Playwright MCP did not start: $(tail -n 20 "$browser_work/playwright.log")"
        sleep 0.1
done
echo "== Playwright MCP $("$AIOS_NODE" "$AIOS_PLAYWRIGHT_MCP" --version 2>/dev/null)"
/usr/bin/python3 "$here/browser-client.py" playwright-mcp "http://127.0.0.1:$pw_port/mcp" "$site" "$rounds" "$seconds" |
        tee "$browser_work/playwright.out" || die "the Playwright MCP run failed"
memory pw "$pw_pid"

# --- side by side ----------------------------------------------------------------------------------------
echo
printf '%-18s %-9s %22s %22s %20s %10s\n' row page "aios p50/p99 ms" "playwright p50/p99 ms" "snapshot chars" "refs"
# shellcheck disable=SC2154 # set by memory() through printf -v
while read -r line; do
        declare -A a=() p=()
        for kv in $line; do a[${kv%%=*}]=${kv#*=}; done
        other=$(grep -F "row=${a[row]} page=${a[page]} " "$browser_work/playwright.out" || true)
        for kv in $other; do p[${kv%%=*}]=${kv#*=}; done
        printf '%-18s %-9s %10s/%-11s %10s/%-11s %9s/%-10s %4s/%-5s  (n=%s/%s)%s\n' "${a[row]}" "${a[page]}" \
                "${a[p50_ms]:--}" "${a[p99_ms]:--}" "${p[p50_ms]:--}" "${p[p99_ms]:--}" "${a[chars]:--}" "${p[chars]:--}" \
                "${a[refs]:--}" "${p[refs]:--}" "${a[n]}" "${p[n]:--}" \
                "${a[failed]:+  aios-browserd failed: ${a[failed]//_/ }}${p[failed]:+  Playwright MCP failed: ${p[failed]//_/ }}"
        unset a p
done < <(grep '^BENCH ' "$browser_work/aios.out")
awk '/^BENCH / { for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        if (f["page"] != "/big") { if (FILENAME ~ /aios\.out$/) a += f["chars"]; else p += f["chars"] } }
        END { if (p > 0) printf "\nsnapshot characters over the small pages: aios %d, Playwright MCP %d (%.0f%%)\n", a, p, 100 * a / p }' \
        "$browser_work/aios.out" "$browser_work/playwright.out"
echo
printf '%-16s %14s %14s %16s %16s %10s\n' server "RSS MiB" "peak RSS MiB" "browser RSS MiB" "browser PSS MiB" processes
for s in aios pw; do
        line=mem_$s
        declare -A m=()
        for kv in ${!line}; do m[${kv%%=*}]=${kv#*=}; done
        awk -v n="$([[ $s == aios ]] && echo aios-browserd || echo playwright-mcp)" -v r="${m[server]}" -v h="${m[server_peak]}" \
                -v br="${m[browser_rss]}" -v bp="${m[browser_pss]}" -v c="${m[processes]}" \
                'BEGIN { printf "%-16s %14.1f %14.1f %16.1f %16.1f %10d\n", n, r / 1024, h / 1024, br / 1024, bp / 1024, c }'
        unset m
done
