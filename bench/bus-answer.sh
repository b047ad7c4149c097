#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# What carrying a large answer costs over D-Bus, through dbus-daemon and over a direct connection: ide_search
# queries with answers from a few kB to several MB, each called by the same client (tests/bus-call) both
# ways on one aios-ided, timed to the whole answer read, the best of RUNS; and the time the answer took to
# travel (a call's wall time less the server's own elapsed_ms in its answer), the best of RUNS each way.
#
# An answer past the broker's largest message (32 MiB on the system bus) is not carried through it at all:
# dbus-daemon disconnects the server that sends it.
#
# usage: bench/bus-answer.sh [BUILD_DIR]   (default: build); BENCH_TREE=DIR searches DIR (default: a copy of
# /usr/include); RUNS=N (5). aios-ided runs on a private system bus with polkitd (tools/dev-services.sh; so
# run it as root). Prints figures; it asserts nothing.
set -euo pipefail

build=${1:-build}
ided=$build/src/ide/aios-ided
call=$build/tests/bus-call
runs=${RUNS:-5}
source_dir=$(cd "$(dirname "$0")/.." && pwd)
[[ -x $ided && -x $call ]] || { echo "no $ided or $call: build first (meson compile -C $build)" >&2; exit 1; }
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        [[ $(id -u) -eq 0 ]] || { echo "run as root: the server runs on a private bus with polkitd" >&2; exit 1; }
        AIOS_BUILD_DIR=$build exec "$source_dir/tools/dev-services.sh" -- "$0" "$@"
fi

work=$(mktemp -d /tmp/bus-answer-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
tree=${BENCH_TREE:-}
if [[ -z $tree ]]; then
        tree=$work/tree
        cp -a /usr/include "$tree"
fi
cat >"$work/ide.conf" <<CONF
[IDE]
MaxResults=1000000
SearchTimeoutSec=600
[Workspace]
Name=bench
Path=$tree
ReadOnly=yes
CONF

AIOS_IDE_CONFIG=$work/ide.conf AIOS_SECCOMP_DIR=$source_dir/seccomp "$ided" --log-level=warning &
ided_pid=$!
trap 'kill "$ided_pid" 2>/dev/null; rm -rf "$work"' EXIT
for ((i = 0; i < 100; i++)); do
        busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status org.aios.IDE1 >/dev/null 2>&1 && break
        kill -0 "$ided_pid" 2>/dev/null || { echo "aios-ided did not start" >&2; exit 1; }
        sleep 0.1
done

# ROUTE ARGUMENTS: prints "BEST_MS CARRY_MS MATCHES BYTES" of RUNS calls after one to warm up.
best_of() {
        local flag=() out
        [[ $1 == direct ]] && flag=(--direct)
        out=$("$call" "${flag[@]}" --runs=$((runs + 1)) --output="$work/answer" org.aios.IDE1 ide_search "$2" | tail -n +2)
        python3 -c 'import json, sys
runs = [line.split() for line in sys.argv[1].splitlines()]
best = min(int(r[1]) for r in runs) / 1000
carry = min(int(r[1]) / 1000 - int(r[3]) for r in runs)
s = json.load(open(sys.argv[2]))["structuredContent"]
print(f"{best:.1f} {carry:.1f}", len(s["matches"]), runs[-1][2])' "$out" "$work/answer"
}

echo "tree: $tree ($(find "$tree" -type f | wc -l) files); best of $runs runs; load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
printf '%-28s %8s %7s %10s %10s %14s %14s\n' query matches answer broker_ms direct_ms broker_carry_ms direct_carry_ms
query() {
        local label=$1 args=$2
        read -r bms bcarry _ _ <<<"$(best_of broker "$args")"
        read -r dms dcarry dn dsize <<<"$(best_of direct "$args")"
        printf '%-28s %8s %6.1fM %10s %10s %14s %14s\n' "$label" "$dn" "$(python3 -c "print($dsize / 1048576)")" \
                "$bms" "$dms" "$bcarry" "$dcarry"
}
query "literal PATH_MAX" '{"workspace":"bench","pattern":"PATH_MAX","literal":true}'
query "literal -i copyright" '{"workspace":"bench","pattern":"copyright","literal":true,"case_insensitive":true}'
query "regex ^#define [A-Z_]+ 0x" '{"workspace":"bench","pattern":"^#define [A-Z_]+ 0x[0-9a-f]+"}'
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) after"
