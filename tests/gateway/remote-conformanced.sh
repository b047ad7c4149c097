#!/usr/bin/env bash
# aios-conformanced behind aios-gatewayd over HTTP, as one "server" for run-conformance.sh: aios-conformanced
# on a free loopback port of its own (no bus), and the gateway listening where --listen= says with the
# backend "remote" (Type=http) pointing at it. No D-Bus is involved. SIGTERM stops both; the exit status is 0
# when both stopped cleanly.
# usage: remote-conformanced.sh --listen=ADDR:PORT   (AIOS_CONFORMANCED and AIOS_GATEWAYD name the binaries)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
listen=${1#--listen=}
conformanced=${AIOS_CONFORMANCED:?}
gatewayd=${AIOS_GATEWAYD:?}
read -ra wrapper <<<"${AIOS_SERVER_WRAPPER:-}"
# The daemons' seccomp allow-lists, from the source tree when not installed (meson's test setup sets this).
export AIOS_SECCOMP_DIR=${AIOS_SECCOMP_DIR:-$top/seccomp}

config=$(mktemp -d "${TMPDIR:-/tmp}/aios-remote-conformanced.XXXXXX")
server='' gateway=''
# shellcheck disable=SC2317 # called by the trap
cleanup() {
        rm -rf "$config"
}
trap cleanup EXIT

# shellcheck source=tools/npm-env.sh
source "$top/tools/npm-env.sh" # the Node.js that run-conformance.sh set up
free_port() {
        "$AIOS_NODE" -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
                console.log(s.address().port); s.close(); })'
}

# The remote server: another process can take the port between free_port and the bind; then try another.
for attempt in 1 2 3; do
        port=$(free_port)
        "${wrapper[@]}" "$conformanced" --no-bus --listen="127.0.0.1:$port" &
        server=$!
        for ((i = 0; i < 300; i++)); do
                (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break 2
                kill -0 "$server" 2>/dev/null || break
                sleep 0.1
        done
        kill -0 "$server" 2>/dev/null && { echo "remote-conformanced.sh: aios-conformanced did not listen within 30 s" >&2; exit 1; }
        wait "$server" || true
        echo "remote-conformanced.sh: aios-conformanced exited at start (attempt $attempt)" >&2
        server=
done
[[ -n $server ]] || exit 1

mkdir -p "$config/backends.d"
printf '[Backend]\nType=http\nURL=http://127.0.0.1:%s/mcp\n' "$port" >"$config/backends.d/remote.conf"

"${wrapper[@]}" "$gatewayd" --config-dir="$config" --listen="$listen" &
gateway=$!

# shellcheck disable=SC2317 # called by the trap
stop() {
        local status=0
        kill -TERM "$gateway" "$server" 2>/dev/null || true
        wait "$gateway" || status=$?
        wait "$server" || status=$?
        exit "$status"
}
trap stop TERM INT
# Either one ending on its own is a failure of the whole.
wait -n "$gateway" "$server" || true
echo "remote-conformanced.sh: a daemon exited on its own" >&2
kill -TERM "$gateway" "$server" 2>/dev/null || true
exit 1
