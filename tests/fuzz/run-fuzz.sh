#!/usr/bin/env bash
# Builds a libFuzzer target with clang, AddressSanitizer and UndefinedBehaviorSanitizer, and runs it for a
# bounded time. usage: run-fuzz.sh SOURCE_ROOT BUILD_DIR TARGET [SECONDS]
# Exits 77 (skipped) when clang or its libFuzzer runtime is missing.
set -euo pipefail

src=$1 build=$2 target=$3 seconds=${4:-20}
shared=$src/src/shared
# Every layer of the shared code (src/shared/meson.build).
includes=(-I"$shared" -I"$shared/base" -I"$shared/mcp" -I"$shared/security" -I"$shared/transport")
libraries=()
case $target in
jwt) sources=("$shared/base/base64url.c" "$shared/security/jwt.c" "$shared/security/jwt-cache.c" "$shared/security/jwt-key.c"
                "$shared/base/json-util.c" "$shared/base/buffer.c") ;;
apikey) sources=("$shared/base/base64url.c" "$src/src/gateway/apikey.c" "$src/src/gateway/apikey-edit.c" "$shared/base/log.c")
        includes+=(-I"$src/src/gateway")
        libraries=(nettle) ;;
bearer) sources=("$shared/base/base64url.c" "$shared/security/jwt.c" "$shared/security/jwt-cache.c" "$shared/security/jwt-key.c"
                "$shared/base/json-util.c" "$shared/base/buffer.c" "$shared/base/log.c" "$src/src/gateway/apikey.c"
                "$src/src/gateway/apikey-edit.c" "$src/src/gateway/auth-bearer.c")
        includes+=(-I"$src/src/gateway")
        libraries=(nettle) ;;
http) # the whole transport: every source of the shared library but the sandbox's, which runs nothing here
        mapfile -t sources < <(find "$shared" -name '*.c' ! -name 'sandbox*.c' | sort)
        sources+=("$src/src/gateway/apikey.c" "$src/src/gateway/apikey-edit.c" "$src/src/gateway/auth-bearer.c")
        includes+=(-I"$src/src/gateway" -DSECCOMP_DIR='"/nonexistent"' -DAIOS_BUILD_ROOT='"/nonexistent"'
                -DAIOS_SOURCE_ROOT='"/nonexistent"')
        libraries=(libsystemd libmicrohttpd libseccomp libpcre2-8 libcurl inih nettle) ;;
*) echo "run-fuzz.sh: unknown target '$target'" >&2; exit 2 ;;
esac

if ! command -v clang >/dev/null; then
        echo "clang is not installed; skipping the fuzz-$target run." >&2
        exit 77
fi
out=$build/fuzz-$target
mkdir -p "$out/corpus"
flags=(-g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
                clang "${flags[@]}" -x c - -o "$out/probe" 2>/dev/null; then
        echo "clang cannot link libFuzzer (-fsanitize=fuzzer); skipping the fuzz-$target run." >&2
        exit 77
fi

# shellcheck disable=SC2046
clang "${flags[@]}" "${includes[@]}" "$src/tests/fuzz/fuzz-$target.c" "${sources[@]}" \
        $(pkg-config --cflags --libs json-c openssl "${libraries[@]}") -lm -o "$out/fuzz-$target"

# A target may come with seeds: well-formed inputs the fuzzer starts from.
if [[ -d $src/tests/fuzz/$target-seeds ]]; then
        cp -n "$src/tests/fuzz/$target-seeds"/* "$out/corpus/"
fi

# The corpus stays in the build directory, so later runs go on from where this one stopped.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
exec "$out/fuzz-$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
        -dict="$src/tests/fuzz/$target.dict" -artifact_prefix="$out/" "$out/corpus"
