#!/usr/bin/env bash
# Drives an MCP server with the official TypeScript SDK's client, over Streamable HTTP and over stdio.
# usage: run-sdk.sh SERVER_BINARY
#
# For HTTP the server is started as `$AIOS_SERVER_WRAPPER SERVER_BINARY --listen=127.0.0.1:PORT` on a free
# loopback port and stopped with SIGTERM; for stdio sdk-client.mjs starts `SERVER_BINARY --stdio` itself.
# Passes when both runs pass and the HTTP server exits 0 on SIGTERM.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
server_bin=${1:?usage: run-sdk.sh SERVER_BINARY}
[[ -x $server_bin ]] || { echo "run-sdk.sh: $server_bin is not an executable" >&2; exit 2; }

# shellcheck source=tools/npm-env.sh
source "$top/tools/npm-env.sh"
if [[ ! -x $AIOS_NODE || ! -d $AIOS_NODE_PATH_SDK/@modelcontextprotocol/sdk ]]; then
        "$top/tools/npm-deps.sh" >&2
fi
read -ra wrapper <<<"${AIOS_SERVER_WRAPPER:-}"

server_log=$(mktemp "${TMPDIR:-/tmp}/aios-sdk-server.XXXXXX")
server_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
        if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
                kill -KILL "$server_pid" 2>/dev/null || true
        fi
        rm -f "$server_log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts the server on a free port and waits until it accepts connections; another process can take the
# port between the choice and the server's bind, so a server that exits at once gets another port.
start_server() {
        local attempt i
        for attempt in 1 2 3; do
                port=$("$AIOS_NODE" -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
                        console.log(s.address().port); s.close(); })')
                "${wrapper[@]}" "$server_bin" --listen="127.0.0.1:$port" >>"$server_log" 2>&1 &
                server_pid=$!
                for ((i = 0; i < 300; i++)); do
                        kill -0 "$server_pid" 2>/dev/null || break
                        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
                        sleep 0.1
                done
                if kill -0 "$server_pid" 2>/dev/null; then
                        echo "run-sdk.sh: the server did not accept connections on 127.0.0.1:$port within 30 s" >&2
                        return 1
                fi
                wait "$server_pid" || true
                server_pid=
                echo "run-sdk.sh: the server exited at start (attempt $attempt)" >&2
        done
        return 1
}

status=0

if start_server; then
        timeout --kill-after=5 90 "$AIOS_NODE" "$here/sdk-client.mjs" --http "http://127.0.0.1:$port/mcp" || status=1
        kill -TERM "$server_pid" 2>/dev/null || true
        for ((i = 0; i < 200; i++)); do
                kill -0 "$server_pid" 2>/dev/null || break
                sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        server_status=0
        wait "$server_pid" || server_status=$?
        server_pid=
        if [[ $server_status -ne 0 ]]; then
                echo "FAIL http: the server exited with status $server_status on SIGTERM (expected 0)"
                status=1
        fi
else
        echo "FAIL http: the server did not start"
        status=1
fi
if [[ $status -ne 0 ]]; then
        echo "the last lines of the HTTP server's output:"
        tail -n 30 "$server_log" | sed 's/^/    /'
fi

timeout --kill-after=5 90 "$AIOS_NODE" "$here/sdk-client.mjs" --stdio "$server_bin" || status=1

exit $status
