#!/usr/bin/env bash
# aios-browserd's second layer of the origin policy, end to end with a real Chromium: the browser's connections go
# through the server's SOCKS5 proxy, which checks each one, so a WebSocket (which the request interception does not
# pause) to a loopback port no Allow= names reaches nothing, whether it is named by address, by "localhost" or by
# this machine's name, while a WebSocket to the allowed origin still works (tests/browser/websocket-fixture.py).
# usage: websocket-check.sh   (AIOS_BROWSERD, AIOS_GATEWAYD and AIOS_AIOSCTL name the binaries; runs as root;
# exit 77 with the reason when Chromium or root are missing)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
name=websocket-check.sh
skip() {
        echo "$name: SKIP: $*"
        exit 77
}
[[ $(id -u) -eq 0 ]] || skip "needs root (a private mount namespace, polkitd and the servers' users)"
[[ -x ${AIOS_BROWSER_EXECUTABLE:-/usr/bin/chromium} || -x /usr/bin/chromium-headless-shell ]] ||
        skip "no Chromium (apt-get install chromium, or set AIOS_BROWSER_EXECUTABLE)"
for tool in jq curl /usr/bin/python3; do
        command -v "$tool" >/dev/null || skip "$tool is not installed"
done
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

# shellcheck source=tests/gateway/stack-lib.sh
source "$top/tests/gateway/stack-lib.sh"
# shellcheck source=tests/browser/browser-lib.sh
source "$top/tests/browser/browser-lib.sh"
work=$browser_work

# shellcheck disable=SC2317 # called by the trap
cleanup() {
        browser_stop
        kill -TERM "${gateway_pid:-}" "${ws_fixture_pid:-}" 2>/dev/null || true
        wait 2>/dev/null || true
}
trap cleanup EXIT

dir=$work/websocket
mkdir -p "$dir"
/usr/bin/python3 "$top/tests/browser/websocket-fixture.py" "$dir" >>"$work/websocket-fixture.log" 2>&1 &
ws_fixture_pid=$!
for ((i = 0; i < 100; i++)); do
        [[ -f $dir/ports ]] && break
        kill -0 "$ws_fixture_pid" 2>/dev/null || break
        sleep 0.1
done
[[ -f $dir/ports ]] || { echo "the WebSocket fixture did not start: $(cat "$work/websocket-fixture.log")" >&2; exit 1; }
site=http://127.0.0.1:$(awk '$1 == "site" { print $2 }' "$dir/ports")
trap_port=$(awk '$1 == "trap" { print $2 }' "$dir/ports")

# The site's origin allowed (http: the WebSocket to it is allowed as the same host and port), by address and by
# "localhost" (which the proxy resolves, in a thread under the server's seccomp filter), loopback too, so that
# only Allow= stands between the page and the trap.
browser_config '[Origins]' 'AllowLoopback=yes' "Allow=$site" "Allow=${site/127.0.0.1/localhost}"
browser_start
browser_gateway_start agent
echo "# WebSocket fixture on $site, trap on 127.0.0.1:$trap_port; gateway on $base"

# shellcheck disable=SC2154 # key_agent: set by browser_gateway_start
S=$(mcp_open "$key_agent")
call() { mcp_request "$key_agent" "$S" tools/call "$(jq -cn --arg t "$1" --argjson a "$2" '{name: $t, arguments: $a}')" 90; }
text() { jq -r '[.result.content[]? | select(.type == "text") | .text] | join("\n")' <<<"$1" 2>/dev/null || echo "$1"; }

out=$(call browser_navigate "{\"url\":\"$site/\"}")
expect "the page on the allowed origin loads through the proxy" '"title":"WebSockets"' "$out"
out=$(call browser_wait_for '{"text":"done","time":40}')
s=$(text "$(call browser_snapshot '{}')")
expect "a WebSocket to the allowed origin opens and echoes" "allowed: echo hello" "$s"
expect "and by a name the proxy resolves" "allowed by name: echo hello" "$s"
for what in "trap address" "trap localhost" "trap hostname"; do
        if [[ $s == *"$what: failed"* ]]; then
                pass "a WebSocket to the loopback port no Allow= names fails ($what)"
        else
                fail "a WebSocket to the loopback port no Allow= names fails ($what)" "$s"
        fi
done
if [[ $(wc -l <"$dir/trap.log") -eq 0 ]]; then
        pass "and not one connection reached that port"
else
        fail "and not one connection reached that port" "$(cat "$dir/trap.log")"
fi

echo "1..$checks"
if ((failures > 0)); then
        echo "--- browserd.log"
        tail -n 60 "$work/browserd.log"
fi
[[ $failures -eq 0 ]]
