#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ide_search against ripgrep and grep -r on one large real tree, in one run: a copy of /usr/include,
# /usr/share/perl5 and /usr/share/perl (whatever of them exists) in a temporary workspace, searched for a
# literal, a case-insensitive literal and a regular expression, each tool warmed once and then timed
# RUNS times (the best run counts; the page cache holds the tree for all of them).
#
# usage: bench/ide-search.sh [BUILD_DIR]   (default: build); BENCH_TREE=DIR searches DIR instead; RUNS=N.
# aios-ided runs as a process over --stdio, started and initialized before the clock starts: its figure is
# from the request written to the whole answer read (the server's own elapsed_ms beside it).
# Needs ripgrep (Debian's ripgrep package). Prints figures; it asserts nothing.
set -euo pipefail

build=${1:-build}
ided=$build/src/ide/aios-ided
runs=${RUNS:-5}
source_dir=$(cd "$(dirname "$0")/.." && pwd)
[[ -x $ided ]] || { echo "no $ided: build first (meson compile -C $build)" >&2; exit 1; }
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

# One ide_search call to aios-ided over --stdio (started and initialized first, not timed); prints
# "WALL_MS SERVER_MS MATCHES": from the request written to its answer read, and the server's elapsed_ms.
ide_search() {
        AIOS_IDE_CONFIG=$work/ide.conf AIOS_SECCOMP_DIR=$source_dir/seccomp python3 - "$ided" "$1" <<'PY'
import json, subprocess, sys, time
p = subprocess.Popen([sys.argv[1], "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
def send(m):
    p.stdin.write((json.dumps(m) + "\n").encode()); p.stdin.flush()
def answer(i):
    for line in p.stdout:
        m = json.loads(line)
        if m.get("id") == i:
            return m
send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-11-25",
      "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
answer(0)
start = time.monotonic()
send({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "ide_search", "arguments": json.loads(sys.argv[2])}})
# Timed to the answer's last byte, as the other tools are to their output's: parsing it is the client's work.
line = p.stdout.readline()
wall = (time.monotonic() - start) * 1000
s = json.loads(line)["result"]["structuredContent"]
p.stdin.close(); p.wait()
print(round(wall), s["elapsed_ms"], len(s["matches"]))
PY
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
printf '%-34s %10s %10s %10s %14s %8s %8s\n' query rg_ms grep_ms ide_ms ide_server_ms ide/rg matches
run_query() {
        local label=$1 rg_flags=$2 grep_flags=$3 pattern=$4 ide_args=$5 r g i
        rg $rg_flags --hidden -n -e "$pattern" "$tree" >/dev/null || true
        r=$(for _ in $(seq "$runs"); do timed rg $rg_flags --hidden -n --no-heading -e "$pattern" "$tree"; done | best)
        g=$(for _ in $(seq "$runs"); do timed grep -r -n -I $grep_flags -e "$pattern" "$tree"; done | best)
        ide_search "$ide_args" >/dev/null
        i=$(for _ in $(seq "$runs"); do ide_search "$ide_args"; done | best)
        read -r rms rn <<<"$r"
        read -r gms gn <<<"$g"
        read -r ims isrv in <<<"$i"
        printf '%-34s %10s %10s %10s %14s %8s %8s\n' "$label" "$rms" "$gms" "$ims" "$isrv" \
                "$(python3 -c "print(f'{$ims/max($rms,1):.2f}')")" "$rn/$gn/$in"
}
run_query "literal PATH_MAX" "-F" "-F" "PATH_MAX" '{"workspace":"bench","pattern":"PATH_MAX","literal":true}'
run_query "literal -i copyright" "-F -i" "-F -i" "copyright" \
        '{"workspace":"bench","pattern":"copyright","literal":true,"case_insensitive":true}'
run_query "regex struct \\w+_ops \\{" "" "-E" 'struct [a-z_]+_ops \{' \
        '{"workspace":"bench","pattern":"struct [a-z_]+_ops \\{"}'
run_query "regex ^#define [A-Z_]+ 0x[0-9a-f]+" "" "-E" '^#define [A-Z_]+ 0x[0-9a-f]+' \
        '{"workspace":"bench","pattern":"^#define [A-Z_]+ 0x[0-9a-f]+"}'
