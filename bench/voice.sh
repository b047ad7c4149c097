#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Measures aios-voiced: the real-time factor of speaking and of transcribing (seconds of work per second of
# audio: below 1 is faster than real time), the p50 latency of a short phrase both ways, and memory, through
# aios-voiced --stdio (bench/voice-client.py), one server per row.
# usage: voice.sh [BUILD_DIR]   (default: build)
#
# Rows:
#   speak                voice_speak of a 3-sentence passage (rtf) and of "turn on the lights" (p50, WAV and
#                        Ogg Opus), time as the client sees it, base64 and JSON included
#   transcribe-free      voice_transcribe of that passage and phrase free-form (the language model loaded by
#                        each call's child)
#   transcribe-keywords  the phrase with ten commands as keywords (no language model to load)
# idle RSS is the server's after start; peak RSS the largest of the server and its jobs' children. first ms
# (transcribe-keywords) is the server's first recognition, whose child loads the acoustic model itself: the
# server loads it when that first recognition starts, for the children of the later ones.
#
# Environment: BENCH_ROUNDS (5): passages per row; phrases are five times as many. Figures, not a test.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${1:-$top/build}
binary=$build/src/voice/aios-voiced
[[ -x $binary ]] || { echo "voice.sh: build aios first (meson compile -C $build)" >&2; exit 2; }
export AIOS_SECCOMP_DIR=${AIOS_SECCOMP_DIR:-$top/seccomp}
rounds=${BENCH_ROUNDS:-5}

echo "aios-voiced on stdio, $rounds passages and $((rounds * 5)) phrases per row, $(nproc) CPUs"
printf '%-20s %8s %10s %10s %12s %12s %9s\n' row rtf "p50 ms" "ogg p50" "idle RSS MB" "peak RSS MB" "first ms"
for row in speak transcribe-free transcribe-keywords; do
        line=$(python3 "$here/voice-client.py" "$binary" "$row" "$rounds")
        declare -A f=()
        for kv in $line; do f[${kv%%=*}]=${kv#*=}; done
        printf "%-20s %8.3f %10.1f %10.1f %12.1f %12.1f %9.1f\n" "$row" "${f[rtf]}" "${f[p50_ms]}" "${f[p50_ogg_ms]:-nan}" \
                "$(awk "BEGIN { print ${f[idle_rss_kb]} / 1024 }")" "$(awk "BEGIN { print ${f[peak_rss_kb]} / 1024 }")" \
                "${f[first_ms]:-nan}"
        unset f
done
