#!/usr/bin/env bash
# The gateway's quotas and response filtering on the development stack: a burst of tool calls beyond the
# principal's bucket is refused with the limit and the wait, shared by all of the principal's sessions, and
# the next call after the wait goes through; secrets in what a server answers are redacted before the
# answer leaves the gateway, and counted in /metrics; a result over its size limit arrives cut, as JSON;
# every tool call leaves one audit record on the journal's socket (a listener of the test's own, in the
# private mount namespace), with a digest of the arguments and nothing of them.
# usage: filter-check.sh   (AIOS_CONFORMANCED and AIOS_GATEWAYD name the binaries; runs as root)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
if [[ $(id -u) -ne 0 ]]; then
        echo "filter-check.sh: SKIP: needs root (a private mount namespace and polkitd)"
        exit 77
fi
if ! command -v jq >/dev/null; then
        echo "filter-check.sh: SKIP: needs jq"
        exit 77
fi
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

# shellcheck source=tests/gateway/stack-lib.sh
source "$top/tests/gateway/stack-lib.sh"

# Anonymous may call the tools of two backends of three. Read-only tools: 1 a second, 2 saved up. Results of test_input_required_result_elicitation: at most 1K.
mkdir -p "$runtime/gateway"
cat >"$runtime/gateway/gateway.conf" <<'CONF'
[Authentication]
AnonymousScopes=tools:conformance tools:second prompts:* resources:*

[RateLimit]
Read=1/s
ReadBurst=2

[Filter]
RedactPattern=\bACME-[0-9]{6}\b
ToolMaxResultSize=test_input_required_result_elicitation 1K
CONF
# The journal's socket, in this mount namespace only: the audit records the gateway sends, one datagram
# each, are appended to $records, an empty line after each.
records=$runtime/journal-records
mount -t tmpfs -o mode=0755 tmpfs /run/systemd
mkdir /run/systemd/journal
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/run/systemd/journal/socket")
print("ready", flush=True)
with open(sys.argv[1], "ab") as f:
    while True:
        f.write(s.recv(1 << 20) + b"\n")
        f.flush()
' "$records" >"$runtime/journal.ready" &
journal=$!
for ((i = 0; i < 50; i++)); do
        grep -q ready "$runtime/journal.ready" 2>/dev/null && break
        sleep 0.1
done

stack_start
trap 'stack_stop; kill $journal 2>/dev/null || true' EXIT

accept=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"filter-check","version":"1"}}}'
new_session() {
        curl -s -D - -o /dev/null "$base/mcp" "${accept[@]}" -d "$init" | tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p'
}
mcp() { # mcp SESSION BODY
        curl -s --max-time 20 "$base/mcp" "${accept[@]}" -H "Mcp-Session-Id: $1" -H 'MCP-Protocol-Version: 2025-11-25' -d "$2"
}
mcp_full() { # mcp_full SESSION BODY: with the status line and headers
        curl -s -i --max-time 20 "$base/mcp" "${accept[@]}" -H "Mcp-Session-Id: $1" -H 'MCP-Protocol-Version: 2025-11-25' -d "$2"
}
one=$(new_session)
two=$(new_session)
[[ -n $one && -n $two ]] && pass "two sessions on /mcp" || fail "two sessions on /mcp"
for ((i = 0; i < 50; i++)); do
        out=$(mcp "$one" '{"jsonrpc":"2.0","id":2,"method":"tools/list"}')
        [[ $out == *'"test_simple_text"'* ]] && break
        sleep 0.1
done

# --- rate limits --------------------------------------------------------------------------------------

call='{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}'
# A burst of 5, alternating sessions: the bucket may refill by a token meanwhile, and still runs dry.
outs=()
started=$(date +%s%N)
for s in "$one" "$two" "$one" "$two" "$one"; do
        outs+=("$(mcp_full "$s" "$call")")
done
echo "# the burst took $((($(date +%s%N) - started) / 1000000)) ms"
expect "the first call of the burst goes through" "simple text response" "${outs[0]}"
expect "the second goes through, on another session" "simple text response" "${outs[1]}"
refused=${outs[4]}
expect "a burst beyond the bucket is refused with 429" "HTTP/1.1 429" "$refused"
expect "Retry-After says when to retry, in whole seconds rounded up" "Retry-After: 1"$'\r' "$refused"
expect "the JSON-RPC error is the rate limit's" '"code":-32029' "$refused"
expect "it answers the request's id" '"id":3' "$refused"
expect "it says which limit, for whom and when to retry" "Rate limit reached: anonymous may call read tools 1 times per second (bursts of 2); retry in 1 s." "$refused"
# The other session shares the principal's bucket: refused as well, right away.
out=$(mcp_full "$one" "$call")
expect "the principal's other session is refused too" "HTTP/1.1 429" "$out"
# After the wait the next call succeeds.
retry=$(tr -d '\r' <<<"$out" | sed -n 's/^Retry-After: //p')
[[ $retry =~ ^[0-9]+$ ]] || retry=1
sleep "$retry"
out=$(mcp "$two" "$call")
expect "the call after the wait goes through" "simple text response" "$out"
# Stateless requests of the same principal take from the same bucket.
stateless=""
for i in 1 2 3; do
        stateless+=$(curl -s -i --max-time 20 "$base/mcp" "${accept[@]}" -H 'MCP-Protocol-Version: 2026-07-28' \
                -H 'Mcp-Method: tools/call' -H 'Mcp-Name: test_simple_text' \
                -d '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"test_simple_text","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}}}')
done
expect "the stateless wire is limited as well" "HTTP/1.1 429" "$stateless"
# Write-class tools have no limit here.
out=$(mcp "$one" '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"test_image_content","arguments":{}}}')
expect "another class is not limited by the read bucket" '"type":"image"' "$out"

metrics=$(curl -s "$base/metrics")
expect "refusals are counted in /metrics" 'aios_gateway_rate_limited_total{class="read"}' "$metrics"

# --- redaction ----------------------------------------------------------------------------------------

akia=AKIA$(printf 'IOSFODNN7EXAMPLE')
out=$(mcp "$one" '{"jsonrpc":"2.0","id":5,"method":"prompts/get","params":{"name":"test_prompt_with_arguments","arguments":{"arg1":"key '"$akia"'","arg2":"ticket ACME-123456 at https://bob:hunter2@example.com/"}}}')
expect "the answer arrives" '"messages"' "$out"
reject "an AWS access key id does not leave the gateway" "$akia" "$out"
expect "it is replaced by a mark" "[REDACTED:aws-access-key]" "$out"
reject "a password in a URL does not leave the gateway" "hunter2" "$out"
expect "the URL keeps its user and host" "https://bob:[REDACTED:url-password]@example.com/" "$out"
expect "a configured pattern is redacted" "ticket [REDACTED:pattern]" "$out"
metrics=$(curl -s "$base/metrics")
expect "redactions are counted in /metrics" 'aios_gateway_redactions_total{pattern="aws-access-key"} 1' "$metrics"
expect "each pattern has its own count" 'aios_gateway_redactions_total{pattern="url-password"} 1' "$metrics"

# --- size caps, and a tool's own result ----------------------------------------------------------------

# test_input_required_result_elicitation greets the name the client gives: on the stateless wire the answer
# travels with the call, so the tool's result holds what this test chose, a secret and 3000 bytes.
name="ghp_16C7e42F292c6912E7710c838347Ae178B4a $(head -c 3000 /dev/zero | tr '\0' x)"
meta='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}'
greet() { # greet TOOL-NAME-AS-CALLED
        curl -s --max-time 20 "$base/mcp" "${accept[@]}" -H 'MCP-Protocol-Version: 2026-07-28' \
                -H 'Mcp-Method: tools/call' -H "Mcp-Name: $1" \
                -d "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"$1\",\"arguments\":{},\"inputResponses\":{\"user_name\":{\"action\":\"accept\",\"content\":{\"name\":\"$name\"}}},$meta}}"
}
out=$(greet test_input_required_result_elicitation)
if jq -e '.result.content[0].text' <<<"$out" >/dev/null 2>&1; then
        pass "a capped result is valid JSON with its content"
else
        fail "a capped result is valid JSON with its content" "$out"
fi
size=$(jq -c '.result' <<<"$out" | wc -c)
[[ $size -le 1024 ]] && pass "the result fits its tool's limit ($size bytes)" || fail "the result fits its tool's limit" "$size bytes"
expect "the text starts as the tool wrote it" "Hello, [REDACTED:github-token] xxx" "$out"
expect "and ends with a notice of what was cut" "[The gateway cut this text: " "$out"
reject "a token in a tool's result does not leave the gateway" "ghp_16C7e42F" "$out"
# Another tool's limit is the global one (1M by default): the same answer arrives whole.
out=$(greet second_test_input_required_result_elicitation)
expect "a tool without a limit of its own is not cut" "Hello, [REDACTED:github-token] $(head -c 3000 /dev/zero | tr '\0' x)!" "$out"
metrics=$(curl -s "$base/metrics")
expect "cut results are counted in /metrics" 'aios_gateway_results_cut_total{tool="test_input_required_result_elicitation"} 1' "$metrics"

# A call the principal's scopes do not allow is refused before it reaches a backend, and audited too.
out=$(mcp "$one" '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"remote_test_simple_text","arguments":{}}}')
expect "a call outside the principal's scopes is refused" "Forbidden: anonymous may not use remote_test_simple_text" "$out"

# --- audit --------------------------------------------------------------------------------------------

# One record per tool call: the refused ones, the ones that went through, never the arguments.
audit() { # audit FIELD=VALUE...: the records that have all of them
        awk -v RS= -v want="$*" 'BEGIN { n = split(want, w, " ") }
                { ok = 1; for (i = 1; i <= n; i++) if (index("\n" $0 "\n", "\n" w[i] "\n") == 0) ok = 0; if (ok) print $0 "\n" }' "$records"
}
for ((i = 0; i < 50; i++)); do # the last call's record
        [[ -n $(audit AIOS_TOOL=second_test_input_required_result_elicitation) ]] && break
        sleep 0.1
done
id=MESSAGE_ID=e75ce78dabd24f088b8a72cca4803dc4
empty=AIOS_ARGUMENTS_SHA256=$(printf '{}' | sha256sum | cut -d' ' -f1)
out=$(audit $id AIOS_PRINCIPAL=anonymous AIOS_TOOL=test_simple_text AIOS_BACKEND=conformance AIOS_RESULT=refused "$empty")
expect "a refused call has its audit record" "AIOS_REASON=rate limit read" "$out"
n=$(audit $id AIOS_TOOL=test_simple_text AIOS_RESULT=ok | grep -c '^AIOS_DURATION_USEC=[0-9]')
[[ $n -ge 3 ]] && pass "each call that went through has its record with its duration ($n)" || fail "each call that went through has its record" "$n records"
out=$(audit $id AIOS_TOOL=test_input_required_result_elicitation AIOS_RESULT=ok)
expect "a call on the stateless wire has its record" "AIOS_ARGUMENTS_SHA256=" "$out"
out=$(cat "$records")
reject "no record holds a secret from the arguments or the answers" "ghp_16C7e42F" "$out"
reject "nor the answer's text" "xxxxxxxxxx" "$out"
out=$(audit $id AIOS_TOOL=remote_test_simple_text AIOS_BACKEND=remote AIOS_RESULT=refused "$empty")
expect "a call the scopes refuse has its record" "AIOS_REASON=the principal's scopes do not allow it" "$out"
n=$(grep -c "^$id\$" "$records")
[[ $n -eq 14 ]] && pass "one record for each of the 14 tool calls, no more" || fail "one record per tool call, no more" "$n records"

echo "filter-check: $checks checks, $failures failed"
if [[ $failures -gt 0 ]]; then
        cat "$runtime/gateway/gateway.conf"
        tail -n 30 "$runtime/gateway.log"
        exit 1
fi
