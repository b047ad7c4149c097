# shellcheck shell=bash
# What tests/browser/browser-check.sh and bench/browser.sh share, sourced inside tools/dev-services.sh after
# tests/gateway/stack-lib.sh: the fixture site, aios-browserd as its user with a configuration of the test's
# own, the gateway in front of it with API keys, and MCP calls through the gateway with curl.
# Sets (once started): site, cross, third, blocked, loopback (the fixture's origins, http://HOST:PORT), fixture_pid,
# browserd_pid, base (the gateway's URL), gateway_pid.

# shellcheck disable=SC2154 # runtime and top: stack-lib.sh's and the caller's
browser_work=$runtime/browser
mkdir -p "$browser_work"
chmod 0755 "$browser_work"

# browser_find_chromium: the browser aios-browserd would start ([Browser] Executable=), or nothing.
browser_find_chromium() {
        local c
        for c in ${AIOS_BROWSER_EXECUTABLE:-} /usr/bin/chromium /usr/bin/chromium-headless-shell; do
                [[ -x $c ]] && { echo "$c"; return 0; }
        done
        return 1
}

# browser_fixture_start: the fixture site (tests/browser/fixture.py) on five loopback listeners.
# shellcheck disable=SC2034 # site, cross, third, blocked, loopback: for the scripts that source this
browser_fixture_start() {
        local dir=$browser_work/site i
        mkdir -p "$dir"
        /usr/bin/python3 "$top/tests/browser/fixture.py" "$dir" >>"$browser_work/fixture.log" 2>&1 &
        fixture_pid=$!
        for ((i = 0; i < 100; i++)); do
                [[ -f $dir/ports ]] && break
                kill -0 "$fixture_pid" 2>/dev/null || break
                sleep 0.1
        done
        [[ -f $dir/ports ]] || { echo "the fixture site did not start: $(cat "$browser_work/fixture.log")" >&2; return 1; }
        site=http://127.0.0.1:$(awk '$1 == "site" { print $2 }' "$dir/ports")
        cross=http://127.0.0.2:$(awk '$1 == "cross" { print $2 }' "$dir/ports")
        third=http://127.0.0.4:$(awk '$1 == "third" { print $2 }' "$dir/ports")
        blocked=http://127.0.0.3:$(awk '$1 == "blocked" { print $2 }' "$dir/ports")
        loopback=http://127.0.0.1:$(awk '$1 == "loopback" { print $2 }' "$dir/ports")
        fixture_dir=$dir
}

# browser_hits NAME: the requests the fixture's listener NAME (site, cross, blocked, loopback) has seen.
browser_hits() { wc -l <"$fixture_dir/$1.log"; }

# browser_config [LINES...]: writes browser.conf (the executable) and the drop-in browser.conf.d/test.conf
# with LINES (printf %b each).
browser_config() {
        local l
        mkdir -p "$browser_work/browser.conf.d"
        printf '[Browser]\nExecutable=%s\n' "$(browser_find_chromium)" >"$browser_work/browser.conf"
        for l in "$@"; do printf '%b\n' "$l"; done >"$browser_work/browser.conf.d/test.conf"
        chmod -R go+rX "$browser_work"
}

# browser_start: aios-browserd as aios-browser on the bus, with the configuration above.
browser_start() {
        local state=$browser_work/state
        mkdir -p "$state" "$browser_work/run"
        chown aios-browser: "$state" "$browser_work/run"
        chmod 0700 "$state" "$browser_work/run"
        AIOS_BROWSER_CONFIG=$browser_work/browser.conf STATE_DIRECTORY=$state RUNTIME_DIRECTORY=$browser_work/run \
                setpriv --reuid=aios-browser --regid=aios-browser --init-groups -- "${AIOS_BROWSERD:?}" \
                >>"$browser_work/browserd.log" 2>&1 &
        browserd_pid=$!
        stack_wait_for_name org.aios.Browser1 "$browserd_pid"
}

browser_stop() {
        [[ -n ${browserd_pid:-} ]] || return 0
        kill -TERM "$browserd_pid" 2>/dev/null || true
        local i
        for ((i = 0; i < 100; i++)); do
                kill -0 "$browserd_pid" 2>/dev/null || break
                sleep 0.1
        done
        kill -KILL "$browserd_pid" 2>/dev/null || true
        wait "$browserd_pid" 2>/dev/null || true
        browserd_pid=
}

# browser_descendants PID: every process below PID (the launcher, the browser and its helpers).
browser_descendants() {
        local all
        all=$(ps -e -o pid=,ppid=)
        awk -v root="$1" '{ parent[$1] = $2 } END {
                for (p in parent) { q = p; while (q in parent && q != root && q > 1) q = parent[q]; if (q == root && p != root) print p } }' <<<"$all"
}

# browser_processes PID TYPE: the Chromium processes below PID whose command line says --type=TYPE ("" for the
# browser itself, the one without --type).
browser_processes() {
        local p cmd
        for p in $(browser_descendants "$1"); do
                cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
                [[ $cmd == *chrom* ]] || continue
                if [[ -z $2 ]]; then
                        [[ $cmd == *--type=* ]] || echo "$p"
                else
                        [[ $cmd == *--type=$2* ]] && echo "$p"
                fi
        done
        return 0
}

# browser_gateway_start KEY...: the gateway as aios-gateway in front of org.aios.Browser1, with an API key for
# each KEY, NAME or NAME=SCOPE,SCOPE... (default scope tools:browser), in $key_NAME.
browser_gateway_start() {
        local config=$browser_work/gateway state=$browser_work/gateway-state name port i attempt
        mkdir -p "$config/backends.d" "$state"
        chown aios-gateway: "$state"
        chmod 0700 "$state"
        printf '[Backend]\nType=dbus\nBusName=org.aios.Browser1\n' >"$config/backends.d/browser.conf"
        printf '[Authentication]\nAPIKeyFile=%s/api-keys\n' "$state" >"$config/gateway.conf"
        chmod -R go+rX "$config"
        local spec scopes s
        for spec in "$@"; do
                name=${spec%%=*}
                scopes=()
                [[ $spec == *=* ]] || spec+="=tools:browser"
                for s in ${spec#*=}; do scopes+=(--scope "$s"); done
                printf -v "key_$name" '%s' "$(as_user aios-gateway "${AIOS_AIOSCTL:?}" --store="$state/api-keys" \
                        key create "$name" "${scopes[@]}" 2>/dev/null)"
        done
        for ((attempt = 0; attempt < 10; attempt++)); do
                port=$(stack_free_port)
                stack_ports_given+="$port "
                "${gateway_user[@]}" "${AIOS_GATEWAYD:?}" --config-dir="$config" --listen="127.0.0.1:$port" \
                        >>"$browser_work/gateway.log" 2>&1 &
                gateway_pid=$!
                base=http://127.0.0.1:$port
                for ((i = 0; i < 200; i++)); do
                        curl -s "$base/readyz" | grep -q '"ready"' && return 0
                        kill -0 "$gateway_pid" 2>/dev/null || continue 2
                        sleep 0.05
                done
                break
        done
        echo "the gateway did not start: $(tail -n 20 "$browser_work/gateway.log")" >&2
        return 1
}

mcp_headers=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')

# mcp_open KEY: opens an MCP session on /servers/browser/mcp with the key (none: anonymous); prints its id.
mcp_open() {
        local auth=() sid
        [[ -z $1 ]] || auth=(-H "Authorization: Bearer $1")
        sid=$(curl -s -D - -o /dev/null "${mcp_headers[@]}" "${auth[@]}" "$base/servers/browser/mcp" \
                -d '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"browser-check","version":"1"}}}' |
                tr -d '\r' | sed -n 's/^mcp-session-id: //Ip')
        curl -s -o /dev/null "${mcp_headers[@]}" "${auth[@]}" -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25' \
                "$base/servers/browser/mcp" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
        echo "$sid"
}

# mcp_request KEY SESSION METHOD PARAMS [SECONDS]: one request in the session; prints the JSON-RPC answer (the
# answer of an SSE stream), or what went wrong.
mcp_next_id=1
mcp_request() {
        local auth=() reply
        [[ -z $1 ]] || auth=(-H "Authorization: Bearer $1")
        mcp_next_id=$((mcp_next_id + 1))
        jq -cn --arg m "$3" --argjson id "$mcp_next_id" --slurpfile p <(printf '%s' "$4") \
                '{jsonrpc:"2.0",id:$id,method:$m,params:$p[0]}' >"$browser_work/request.json"
        reply=$(curl -sS --max-time "${5:-90}" "$base/servers/browser/mcp" "${mcp_headers[@]}" "${auth[@]}" \
                -H "Mcp-Session-Id: $2" -H 'MCP-Protocol-Version: 2025-11-25' -d @"$browser_work/request.json" 2>&1) || {
                echo "curl failed: $reply"
                return 0
        }
        if [[ $reply == *'data: '* ]]; then
                reply=$(sed -n 's/^data: //p' <<<"$reply" | jq -c 'select(.id != null)' 2>/dev/null | tail -n 1)
        fi
        echo "$reply"
}
