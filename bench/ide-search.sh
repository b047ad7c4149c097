#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ide_search against ripgrep and grep -r on one large real tree, in one run: a copy of /usr/include,
# /usr/share/perl5 and /usr/share/perl (whatever of them exists) in a temporary workspace, searched for a
# literal, a case-insensitive literal and a regular expression, each tool warmed once and then timed
# RUNS times (the best run counts; the page cache holds the tree for all of them).
#
# usage: bench/ide-search.sh [BUILD_DIR]   (default: build); BENCH_TREE=DIR searches DIR instead; RUNS=N.
# aios-ided runs on a private system bus with polkitd (tools/dev-services.sh; so run it as root), started
# before the clock starts. Its figures are one client's (tests/bus-call) call to the whole answer read, through
# dbus-daemon and over a direct connection the server hands out (what the gateway uses), with the server's own
# elapsed_ms beside them; ide/rg is the direct connection's.
# Needs ripgrep (Debian's ripgrep package). Prints figures; it asserts nothing.
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
command -v rg >/dev/null || { echo "ripgrep is not installed (apt-get install ripgrep)" >&2; exit 1; }

work=$(mktemp -d /tmp/ide-search-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
tree=${BENCH_TREE:-}
if [[ -z $tree ]]; then
        tree=$work/tree
        mkdir -p "$tree"
        for d in /usr/include /usr/share/perl5 /usr/share/perl; do
                [[ -d $d ]] && cp -a "$d" "$tree/$(echo "${d#/}" | tr / _)"
        done
fi
files=$(find "$tree" -type f | wc -l)
size=$(du -sh "$tree" | cut -f1)
cat >"$work/ide.conf" <<CONF
[IDE]
MaxResults=1000000
SearchTimeoutSec=600
[Workspace]
Name=bench
Path=$tree
ReadOnly=yes
CONF

now_ms() { date +%s%3N; }

# The server on a private bus with polkitd (tools/dev-services.sh), started once, before any clock.
AIOS_IDE_CONFIG=$work/ide.conf AIOS_SECCOMP_DIR=$source_dir/seccomp "$ided" --log-level=warning &
ided_pid=$!
trap 'kill "$ided_pid" 2>/dev/null; rm -rf "$work"' EXIT
for ((i = 0; i < 100; i++)); do
        busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status org.aios.IDE1 >/dev/null 2>&1 && break
        kill -0 "$ided_pid" 2>/dev/null || { echo "aios-ided did not start" >&2; exit 1; }
        sleep 0.1
done

# ROUTE ARGUMENTS: ide_search by root (whom polkit allows) through the broker or over a direct connection,
# RUNS times after one to warm up; prints "BEST_WALL_MS SERVER_MS MATCHES" of the best run. Not over stdio or
# the server's HTTP port: its tools read with the server's rights and need polkit, which only the bus can ask.
ide_search() {
        local flag=() out
        [[ $1 == direct ]] && flag=(--direct)
        out=$("$call" "${flag[@]}" --runs=$((runs + 1)) --output="$work/answer" org.aios.IDE1 ide_search "$2" | tail -n +2)
        python3 -c 'import json, sys
best = min((int(r[1]), int(r[3])) for r in (line.split() for line in sys.argv[1].splitlines()))
s = json.load(open(sys.argv[2]))["structuredContent"]
print(f"{best[0] / 1000:.0f}", best[1], len(s["matches"]))' "$out" "$work/answer"
}

timed() { # COMMAND...: prints wall ms and the number of output lines
        local start end n
        start=$(now_ms)
        n=$("$@" | wc -l)
        end=$(now_ms)
        echo "$((end - start)) $n"
}

best() { sort -n | head -1; }

echo "tree: $tree ($files files, $size); $(nproc) CPUs; best of $runs runs"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) before"
printf '%-34s %8s %8s %14s %14s %14s %8s %8s\n' query rg_ms grep_ms ide_broker_ms ide_direct_ms ide_server_ms ide/rg \
        matches
run_query() {
        local label=$1 rg_flags=$2 grep_flags=$3 pattern=$4 ide_args=$5 r g i
        rg $rg_flags --hidden -n -e "$pattern" "$tree" >/dev/null || true
        r=$(for _ in $(seq "$runs"); do timed rg $rg_flags --hidden -n --no-heading -e "$pattern" "$tree"; done | best)
        g=$(for _ in $(seq "$runs"); do timed grep -r -n -I $grep_flags -e "$pattern" "$tree"; done | best)
        read -r bms _ _ <<<"$(ide_search broker "$ide_args")"
        read -r ims isrv in <<<"$(ide_search direct "$ide_args")"
        read -r rms rn <<<"$r"
        read -r gms gn <<<"$g"
        printf '%-34s %8s %8s %14s %14s %14s %8s %8s\n' "$label" "$rms" "$gms" "$bms" "$ims" "$isrv" \
                "$(python3 -c "print(f'{$ims/max($rms,1):.2f}')")" "$rn/$gn/$in"
}
run_query "literal PATH_MAX" "-F" "-F" "PATH_MAX" '{"workspace":"bench","pattern":"PATH_MAX","literal":true}'
run_query "literal -i copyright" "-F -i" "-F -i" "copyright" \
        '{"workspace":"bench","pattern":"copyright","literal":true,"case_insensitive":true}'
run_query "regex struct \\w+_ops \\{" "" "-E" 'struct [a-z_]+_ops \{' \
        '{"workspace":"bench","pattern":"struct [a-z_]+_ops \\{"}'
run_query "regex ^#define [A-Z_]+ 0x[0-9a-f]+" "" "-E" '^#define [A-Z_]+ 0x[0-9a-f]+' \
        '{"workspace":"bench","pattern":"^#define [A-Z_]+ 0x[0-9a-f]+"}'
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) after"
