#!/usr/bin/env bash
# aiosctl against the development stack: every gateway verb over the local socket (as root and as nobody)
# and at a URL with a key, --json parsed, and the exit codes scripts rely on.
# usage: aiosctl-check.sh   (AIOS_CONFORMANCED, AIOS_SYSOPSD, AIOS_GATEWAYD and AIOS_AIOSCTL name the
# binaries; runs as root)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
if [[ $(id -u) -ne 0 ]]; then
        echo "aiosctl-check.sh: SKIP: needs root (a private mount namespace and polkitd)"
        exit 77
fi
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi
# shellcheck source=tests/gateway/stack-lib.sh
source "$top/tests/gateway/stack-lib.sh"
json() { /usr/bin/python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

stack_start_first
"${AIOS_SYSOPSD:?}" >>"$runtime/sysops.log" 2>&1 &
sysops=$!
stack_wait_for_name org.aios.SystemOps1 "$sysops"

config=$runtime/ctl
state=$runtime/ctl-state
local_dir=$runtime/ctl-local
mkdir -p "$config/backends.d" "$state" "$local_dir"
chown aios-gateway:aios-gateway "$state" "$local_dir"
chmod 0700 "$state"
printf '[Backend]\nType=dbus\nBusName=org.aios.Conformance1\n' >"$config/backends.d/conformance.conf"
printf '[Backend]\nType=dbus\nBusName=org.aios.SystemOps1\n' >"$config/backends.d/sysops.conf"
printf '[Authentication]\nAPIKeyFile=%s/api-keys\n' "$state" >"$config/gateway.conf"
key=$(as_user aios-gateway "${AIOS_AIOSCTL:?}" --store="$state/api-keys" key create ctl --scope tools:conformance 2>/dev/null)
key_sysops=$(as_user aios-gateway "$AIOS_AIOSCTL" --store="$state/api-keys" key create ops --scope tools:sysops 2>/dev/null)

for ((attempt = 0; attempt < 10; attempt++)); do
        port=$(stack_free_port)
        "${gateway_user[@]}" "${AIOS_GATEWAYD:?}" --config-dir="$config" --listen="127.0.0.1:$port" \
                --listen-local="$local_dir/gateway.sock" >>"$runtime/ctl-gateway.log" 2>&1 &
        gateway=$!
        for ((i = 0; i < 200; i++)); do
                curl -s "http://127.0.0.1:$port/readyz" | grep -q '"ready"' && break 2
                kill -0 "$gateway" 2>/dev/null || continue 2
                sleep 0.05
        done
done
trap 'kill -TERM "$gateway" "$first" "$sysops" 2>/dev/null || true' EXIT

export AIOS_GATEWAY_SOCKET=$local_dir/gateway.sock
ctl() { "$AIOS_AIOSCTL" --no-pager "$@"; }
status_of() { local s=0; "$@" >/dev/null 2>&1 || s=$?; echo "$s"; }

# --- reading what is there ----------------------------------------------------------------------------

out=$(ctl status 2>&1 || true)
expect "status shows the gateway and its servers" "conformance" "$out"
out=$(ctl status --json | json 'd["status"], sorted(s["name"] for s in d["servers"])')
expect "status --json parses, with each server" "ready ['conformance', 'sysops']" "$out"

out=$(ctl list-servers --json | json '[(s["name"], s["endpoint"]) for s in d]')
expect "list-servers --json names each server's endpoint" "('sysops', '/servers/sysops/mcp')" "$out"
out=$(ctl list-servers)
expect "list-servers prints a table with a legend" "2 servers listed." "$out"
out=$(ctl --no-legend list-servers)
reject "--no-legend leaves the legend out" "listed." "$out"

out=$(ctl list-tools --json | json 'sorted(t["name"] for t in d)')
expect "list-tools --json lists every server's tools" "'system_info'" "$out"
expect "(the conformance server's too)" "'test_simple_text'" "$out"
out=$(ctl list-tools sysops --json | json 'sorted(t["name"] for t in d)')
reject "list-tools SERVER lists that server's only" "test_simple_text" "$out"
expect "(and all of them)" "'system_units'" "$out"
out=$(ctl list-tools sysops)
expect "list-tools shows what each tool does to the system" "read-only" "$out"

out=$(ctl describe system_unit_control)
expect "describe shows the input schema" "unit" "$out"
expect "and the annotations" "destructiveHint" "$out"
out=$(ctl describe system_info --json | json 'd["name"], "inputSchema" in d')
expect "describe --json is the tool's entry" "system_info True" "$out"
expect "describe of a tool that is not there exits 3" "3" "$(status_of ctl describe no_such_tool)"

out=$(ctl list-resources --json | json 'sorted(r["uri"] for r in d)')
expect "list-resources --json" "test://static-text" "$out"
out=$(ctl list-resources)
expect "list-resources shows the templates too" "TEMPLATE" "$out"
out=$(ctl read test://static-text)
expect "read prints a text resource" "static" "$out"
expect "read of a resource that is not there exits 3" "3" "$(status_of ctl read test://no-such-thing)"

out=$(ctl list-prompts --json | json 'sorted(p["name"] for p in d)')
expect "list-prompts --json" "test_prompt_with_arguments" "$out"
out=$(ctl get-prompt test_prompt_with_arguments --arg arg1=one --arg arg2=2)
expect "get-prompt takes --arg, as strings even when they look like numbers" "2" "$out"

out=$(ctl metrics --json | json 'sorted({s["name"] for s in d})')
expect "metrics --json gives the samples" "aios_gateway_backend_up" "$out"

out=$(ctl completion bash)
expect "completion bash is a completion script" "complete -F _aiosctl aiosctl" "$out"
out=$(PATH=$(dirname "$AIOS_AIOSCTL"):$PATH bash -c "$(ctl completion bash); COMP_WORDS=(aiosctl describe test_simple_t); COMP_CWORD=2; _aiosctl; echo \"\${COMPREPLY[*]}\"")
expect "whose tool names come from the live gateway" "test_simple_text" "$out"

# --- the resource monitor ---------------------------------------------------------------------------------

# Outside systemd the figures come from each server's process; a scrape asks for them, the next has them.
metric() { curl -s "http://127.0.0.1:$port/metrics" | sed -n "s/^$1{backend=\"$2\"} //p"; }
for ((i = 0; i < 100; i++)); do
        mem=$(metric aios_backend_memory_bytes sysops)
        [[ -n $mem ]] && break
        sleep 0.1
done
if [[ ${mem:-0} -gt 1000000 ]]; then pass "/metrics has a server's memory ($mem bytes)"; else fail "/metrics has a server's memory" "got '${mem:-}'"; fi
out=$(curl -s "http://127.0.0.1:$port/metrics")
expect "and says where it comes from" 'aios_backend_figures_source{backend="sysops",source="proc"} 1' "$out"
expect "with the tasks" 'aios_backend_tasks{backend="sysops"}' "$out"
out=$(ctl status --json | json '[s.get("memory_bytes", 0) > 0 for s in d["servers"] if s["name"] == "sysops"]')
expect "aiosctl status has a server's memory" "[True]" "$out"
out=$(ctl status)
expect "and shows it in its table" "MEMORY" "$out"
cpu_before=$(metric aios_backend_cpu_seconds_total sysops)
for ((i = 0; i < 20; i++)); do ctl call system_processes --json '{"limit":500}' >/dev/null; done
for ((i = 0; i < 100; i++)); do
        cpu_after=$(metric aios_backend_cpu_seconds_total sysops)
        [[ -n $cpu_after && $cpu_after != "$cpu_before" ]] && break
        sleep 0.2
done
expect "a server's CPU time moves when it works ($cpu_before s, then $cpu_after s)" "yes" \
        "$(awk -v a="${cpu_before:-0}" -v b="${cpu_after:-0}" 'BEGIN { print (b > a) ? "yes" : "no" }')"

# --- calling -------------------------------------------------------------------------------------------

out=$(ctl call test_simple_text)
expect "call runs a tool and prints its text" "simple text response" "$out"
out=$(ctl call test_simple_text --json | json 'd["content"][0]["type"]')
expect "call --json prints the result" "text" "$out"
out=$(ctl call system_info --json '{}' | json '"structuredContent" in d')
expect "call with a JSON object of arguments" "True" "$out"
out=$(ctl call test_tool_with_progress 2>&1 >/dev/null)
expect "progress is shown on stderr while it runs" "[" "$out"
out=$(ctl call test_image_content)
expect "an image is described, not dumped" "image image/png" "$out"
expect "a tool's error result exits 1" "1" "$(status_of ctl call test_error_handling)"
expect "a tool that is not there exits 3" "3" "$(status_of ctl call no_such_tool)"
expect "arguments that are not JSON exit 2" "2" "$(status_of ctl call test_simple_text '[1')"
expect "an unknown command exits 2" "2" "$(status_of ctl frobnicate)"
out=$(ctl call system_unit_status --arg unit=dbus.service --json 2>&1 || true)
expect "--arg gives a tool its arguments, typed by its schema" '"isError"' "$out"
out=$(ctl call test_elicitation --arg message=Who </dev/null 2>&1 || true)
expect "without a terminal aiosctl declares no elicitation, and the server knows it" "does not support form elicitation" "$out"
if command -v script >/dev/null; then
        out=$(printf 'alice\n' | script -qec "$AIOS_AIOSCTL --no-pager call test_elicitation --arg message=Who" /dev/null 2>&1 || true)
        expect "on a terminal the server's question is asked and answered there" 'action=accept, content={"response":"alice"}' "$out"
fi

# --- results that may be reused ----------------------------------------------------------------------------

# system_info says its results may be reused for a second: the same caller asking again within it is answered
# by the gateway, another caller is not.
cache_count() { curl -s "http://127.0.0.1:$port/metrics" |
        sed -n "s/^aios_gateway_result_cache_total{tool=\"system_info\",outcome=\"$1\"} //p"; }
out=$(ctl describe system_info --json | json 'd["_meta"]["io.aios/cacheTtlMs"]')
expect "system_info's tools/list entry says how long its results may be reused" "1000" "$out"
# The first call may itself be answered from an entry of an earlier step, which can expire before the second:
# a pair counts when the second was a hit and gave the first's answer; a few pairs are tried.
cached=
for ((try = 0; try < 5; try++)); do
        first=$(ctl call system_info --json)
        hits_before=$(cache_count hit) misses_before=$(cache_count miss)
        second=$(ctl call system_info --json)
        hits=$(cache_count hit) misses=$(cache_count miss)
        if [[ $((${hits:-0} - ${hits_before:-0})) -ge 1 && $first == "$second" ]]; then
                cached=yes
                break
        fi
done
if [[ -n $cached ]]; then
        pass "a second call of the same caller within the lifetime is answered from the cache"
else
        fail "a second call of the same caller within the lifetime is answered from the cache" \
                "hits ${hits_before:-0} -> ${hits:-0}, misses ${misses_before:-0} -> ${misses:-0}"
fi
out=$(AIOS_API_KEY=$key_sysops ctl --url="http://127.0.0.1:$port" call system_info --json 2>&1 || true)
hits_other=$(cache_count hit)
expect "another principal gets its own answer" '"structuredContent"' "$out"
[[ ${hits_other:-0} == "${hits:-0}" ]] && pass "not the first caller's cached one" ||
        fail "not the first caller's cached one" "hits ${hits:-0} -> ${hits_other:-0}"
out=$(curl -s http://127.0.0.1:$port/mcp -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
        -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: system_info' -H "Authorization: Bearer $key_sysops" \
        -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"system_info","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}}}')
expect "on the 2026-07-28 wire the result says how long it may be kept, and for whom" '"ttlMs":1000,"cacheScope":"private"' "$out"

# --- who the caller is -----------------------------------------------------------------------------------

out=$(as_user nobody "$AIOS_AIOSCTL" --no-pager call system_unit_control --arg unit=dbus.service --arg action=restart 2>&1 || true)
expect "on the local socket nobody is nobody: polkit refuses it unit control" "ccess denied" "$out"
expect "which exits 4" "4" "$(status_of as_user nobody "$AIOS_AIOSCTL" --no-pager call system_unit_control --arg unit=dbus.service --arg action=restart)"
out=$(as_user nobody "$AIOS_AIOSCTL" --no-pager list-tools 2>&1 || true)
expect "nobody may still see the tools" "system_info" "$out"
out=$(ctl call system_info 2>&1 || true)
expect "while root, whom polkit allows, runs them" "CPUs" "$out"

out=$(ctl --url="http://127.0.0.1:$port" --key="$key" list-tools --json | json 'sorted(t["name"] for t in d)')
expect "--url with --key: the key's principal sees what its scopes allow" "test_simple_text" "$out"
reject "(and nothing else)" "system_info" "$out"
out=$(AIOS_API_KEY=$key ctl --url="http://127.0.0.1:$port/mcp" call test_simple_text)
expect "the key can come from \$AIOS_API_KEY, and the URL may end in /mcp" "simple text response" "$out"
expect "a wrong key exits 4" "4" "$(status_of ctl --url="http://127.0.0.1:$port" --key=aios_000000000000_nope list-tools)"
expect "no gateway there exits 5" "5" "$(status_of ctl --socket=/nonexistent/gateway.sock status)"
out=$(ctl --socket=/nonexistent/gateway.sock status 2>&1 || true)
expect "saying where it looked" "/nonexistent/gateway.sock" "$out"

echo "aiosctl-check: $checks checks, $failures failed"
[[ $failures -eq 0 ]]
