#!/usr/bin/env bash
# The principal from the gateway to a server over HTTP: aios-ided on a loopback port with a front-end
# credential (--front-end-credential=), the gateway in front of it with that token (Type=http,
# BearerTokenCredential=) and API keys of different scopes. The gateway names each request's principal, its
# scopes and the backend in Aios-* headers; the server honours them only beside its credential and decides
# by the shipped rules (no polkit over HTTP): a key with tools:ide lists and runs ide_read_file (a tool that
# needs polkit), a key without it neither sees nor runs it, anonymous gets nothing gated, forged headers
# without the credential get nothing, and malformed ones are refused. No D-Bus is involved.
# usage: http-principal-check.sh   (AIOS_IDED, AIOS_GATEWAYD and AIOS_AIOSCTL name the binaries)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
ided=${AIOS_IDED:?}
gatewayd=${AIOS_GATEWAYD:?}
aiosctl=${AIOS_AIOSCTL:?}
export AIOS_SECCOMP_DIR=${AIOS_SECCOMP_DIR:-$top/seccomp}
command -v curl >/dev/null || { echo "http-principal-check.sh: SKIP: no curl"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/aios-http-principal.XXXXXX")
pids=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
        local p
        for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
        for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
        rm -rf "$work"
}
trap cleanup EXIT

failures=0
checks=0
pass() { checks=$((checks + 1)); echo "ok $checks - $1"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "not ok $checks - $1"; [[ -z ${2:-} ]] || while IFS= read -r l; do echo "#   $l"; done <<<"$2"; }
expect() { # expect DESCRIPTION NEEDLE TEXT
        if [[ $3 == *"$2"* ]]; then pass "$1"; else fail "$1" "expected \"$2\" in: ${3:0:600}"; fi
}
reject() { # reject DESCRIPTION NEEDLE TEXT
        if [[ $3 != *"$2"* ]]; then pass "$1"; else fail "$1" "did not expect \"$2\" in: ${3:0:600}"; fi
}

# A loopback port nothing listens on, below the kernel's ephemeral ports, not handed out before.
ports_given=" "
free_port() {
        local p
        while :; do
                p=$((20000 + RANDOM % 12000))
                [[ $ports_given == *" $p "* ]] && continue
                (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
                ports_given+="$p "
                echo "$p"
                return 0
        done
}

# start NAME URL CMD...: starts CMD in the background (its log in $work/NAME.log) and waits up to 30 s for
# URL/readyz; sets $started. Another port is the caller's business: it returns 1 when CMD exits.
start() {
        local name=$1 url=$2 i
        shift 2
        "$@" >>"$work/$name.log" 2>&1 &
        started=$!
        for ((i = 0; i < 300; i++)); do
                curl -s "$url/readyz" 2>/dev/null | grep -q '"ready"' && { pids+=("$started"); return 0; }
                kill -0 "$started" 2>/dev/null || return 1
                sleep 0.1
        done
        pids+=("$started")
        echo "http-principal-check.sh: $name did not get ready within 30 s" >&2
        cat "$work/$name.log" >&2
        exit 1
}

# A workspace with one file, and the gateway's token for the server.
mkdir -p "$work/site" "$work/gateway/backends.d" "$work/state"
echo "the file's text" >"$work/site/a.txt"
printf '[Workspace]\nName=site\nPath=%s\n' "$work/site" >"$work/ide.conf"
token=front-end-$RANDOM$RANDOM$RANDOM
(umask 077 && echo "$token" >"$work/token")

# aios-ided behind the token, and a second one without any (what a server answers headers it cannot trust).
for server in ided open; do
        args=(--no-bus)
        [[ $server == open ]] || args+=(--front-end-credential="$work/token")
        for attempt in 1 2 3 4 5; do
                port=$(free_port)
                if AIOS_IDE_CONFIG=$work/ide.conf start "$server" "http://127.0.0.1:$port" \
                        "$ided" "${args[@]}" --listen="127.0.0.1:$port"; then
                        break
                fi
                [[ $attempt -lt 5 ]] || { echo "http-principal-check.sh: aios-ided did not start" >&2; cat "$work/$server.log" >&2; exit 1; }
        done
        if [[ $server == open ]]; then open_url=http://127.0.0.1:$port/mcp; else ided_url=http://127.0.0.1:$port/mcp; fi
done

# The gateway: the backend "ide" with the token; API keys of three scopes.
printf '[Backend]\nType=http\nURL=%s\nBearerTokenCredential=%s\n' "$ided_url" "$work/token" >"$work/gateway/backends.d/ide.conf"
printf '[Authentication]\nAPIKeyFile=%s/api-keys\n' "$work/state" >"$work/gateway/gateway.conf"
key_ide=$("$aiosctl" key create ide-user --store="$work/state/api-keys" --scope tools:ide 2>/dev/null)
key_one=$("$aiosctl" key create reader --store="$work/state/api-keys" --scope tools:ide:ide_read_file 2>/dev/null)
key_other=$("$aiosctl" key create other --store="$work/state/api-keys" --scope tools:python 2>/dev/null)
expect "aiosctl made the keys" "aios_" "$key_ide$key_one$key_other"
for attempt in 1 2 3 4 5; do
        port=$(free_port)
        start gateway "http://127.0.0.1:$port" "$gatewayd" --config-dir="$work/gateway" --listen="127.0.0.1:$port" && break
        [[ $attempt -lt 5 ]] || { echo "http-principal-check.sh: the gateway did not start" >&2; cat "$work/gateway.log" >&2; exit 1; }
done
base=http://127.0.0.1:$port

hdr=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
meta='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}'
read_file='{"name":"ide_read_file","arguments":{"workspace":"site","path":"a.txt"}}'
# stateless URL METHOD PARAMS [CURL-ARGS...]: one 2026-07-28 request; prints the status line, headers and body.
stateless() {
        local url=$1 method=$2 raw=$3 name params
        shift 3
        params=${raw%\}}
        [[ $params == "{" ]] && params="{$meta}" || params="$params,$meta}"
        name=$(sed -n 's/^{"\(name\|uri\)":"\([^"]*\)".*/\2/p' <<<"$raw")
        local extra=()
        [[ -z $name ]] || extra=(-H "Mcp-Name: $name")
        curl -s -D - "${hdr[@]}" -H 'MCP-Protocol-Version: 2026-07-28' -H "Mcp-Method: $method" "${extra[@]}" "$@" "$url" \
                -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$method\",\"params\":$params}" || true
}
with_ide=(-H "Authorization: Bearer $key_ide")
with_one=(-H "Authorization: Bearer $key_one")
with_other=(-H "Authorization: Bearer $key_other")
front_end=(-H "Authorization: Bearer $token")
as() { # as PRINCIPAL SCOPES: sets $principal to the headers the gateway sends for it at the backend "ide"
        principal=(-H "Aios-Principal: $1" -H "Aios-Scopes: $2" -H "Aios-Backend: ide")
}

# --- through the gateway -----------------------------------------------------------------------------------

out=$(stateless "$base/mcp" tools/list '{}' "${with_ide[@]}")
expect "a key with tools:ide sees ide_read_file (a tool that needs polkit) on /mcp" '"name":"ide_read_file"' "$out"
out=$(stateless "$base/mcp" tools/call "$read_file" "${with_ide[@]}")
expect "and runs it through the gateway over HTTP" "the file's text" "$out"
out=$(stateless "$base/servers/ide/mcp" tools/list '{}' "${with_ide[@]}")
expect "on /servers/ide/mcp the server shows it the tools its scope covers" '"name":"ide_write_file"' "$out"

sid=$(curl -s -D - -o /dev/null "${hdr[@]}" "${with_ide[@]}" "$base/mcp" \
        -d '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' |
        tr -d '\r' | sed -n 's/^mcp-session-id: //Ip')
curl -s -o /dev/null "${hdr[@]}" "${with_ide[@]}" -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25' "$base/mcp" \
        -d '{"jsonrpc":"2.0","method":"notifications/initialized"}' || true
out=$(curl -s "${hdr[@]}" "${with_ide[@]}" -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25' "$base/mcp" \
        -d "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":$read_file}" || true)
expect "in a 2025-11-25 session too" "the file's text" "$out"

out=$(stateless "$base/servers/ide/mcp" tools/list '{}' "${with_one[@]}")
expect "a key with tools:ide:ide_read_file sees that tool" '"name":"ide_read_file"' "$out"
reject "and not the others" '"name":"ide_write_file"' "$out"
out=$(stateless "$base/mcp" tools/call "$read_file" "${with_one[@]}")
expect "and runs it" "the file's text" "$out"

out=$(stateless "$base/mcp" tools/list '{}' "${with_other[@]}")
reject "a key without an ide scope does not see ide_read_file" '"name":"ide_read_file"' "$out"
out=$(stateless "$base/mcp" tools/call "$read_file" "${with_other[@]}")
expect "and is refused it (by the gateway's scope check, first)" "HTTP/1.1 403" "$out"
expect "with the access-denied error" '"code":-32003' "$out"
reject "and nothing read" "the file's text" "$out"

# Anonymous passes the gateway (AnonymousScopes= is tools:* by default): the server decides, and gives nothing.
out=$(stateless "$base/servers/ide/mcp" tools/list '{}')
reject "anonymous is shown no tool that needs polkit" '"name":"ide_read_file"' "$out"
out=$(stateless "$base/mcp" tools/call "$read_file")
expect "anonymous is refused ide_read_file by the server" '"code":-32003' "$out"
expect "saying that the principal's scopes do not allow it" "the principal's scopes do not allow this caller to run the tool" "$out"
reject "and nothing read" "the file's text" "$out"
expect "the server logs the refusal with the principal" "to anonymous" "$(cat "$work/ided.log")"
as key:ops admin
out=$(stateless "$base/mcp" tools/call "$read_file" "${principal[@]}")
expect "a client's own Aios-* headers to the gateway change nothing: still anonymous, refused" '"code":-32003' "$out"
out=$(stateless "$base/mcp" tools/call "$read_file" "${with_other[@]}" "${principal[@]}")
expect "nor for a key: its own scopes decide at the gateway" "HTTP/1.1 403" "$out"
reject "and nothing read" "the file's text" "$out"

# --- the server directly, as the gateway would call it ------------------------------------------------------

as key:ops "tools:python resources:ide"
out=$(stateless "$ided_url" tools/list '{}' "${front_end[@]}" "${principal[@]}")
reject "the server shows a principal without tools:ide no gated tool" '"name":"ide_read_file"' "$out"
expect "and says the list is the caller's own" '"cacheScope":"private"' "$out"
as key:ops "tools:python resources:ide"
out=$(stateless "$ided_url" tools/call "$read_file" "${front_end[@]}" "${principal[@]}")
expect "and refuses it the tool" '"code":-32003' "$out"
expect "with the clear access-denied error" "Access denied: the principal's scopes do not allow this caller to run the tool." "$out"
expect "naming the action" '"action":"org.aios.ide.read"' "$out"
as key:ops "admin"
out=$(stateless "$ided_url" tools/call "$read_file" "${front_end[@]}" "${principal[@]}")
expect "admin runs it" "the file's text" "$out"
as anonymous "admin"
out=$(stateless "$ided_url" tools/call "$read_file" "${front_end[@]}" "${principal[@]}")
expect "anonymous with admin still gets nothing" '"code":-32003' "$out"
out=$(stateless "$ided_url" tools/call "$read_file" "${front_end[@]}" -H "Aios-Principal: key:ops" -H "Aios-Scopes: tools:ide")
expect "a principal without the backend's name gets nothing" '"code":-32003' "$out"
as key:ops "tools:ide"
out=$(stateless "$ided_url" resources/read '{"uri":"workspace://site/a.txt"}' "${front_end[@]}" "${principal[@]}")
expect "tools:ide does not grant the workspace's resources" '"code":-32003' "$out"
as key:ops "resources:ide"
out=$(stateless "$ided_url" resources/read '{"uri":"workspace://site/a.txt"}' "${front_end[@]}" "${principal[@]}")
expect "resources:ide does" "the file's text" "$out"

out=$(stateless "$ided_url" tools/list '{}' "${front_end[@]}")
expect "the front end's own list (no principal: its catalog) has every tool" '"name":"ide_read_file"' "$out"
out=$(stateless "$ided_url" tools/call "$read_file" "${front_end[@]}")
expect "but without a principal a tool that needs polkit is refused, as before" "served only where polkit checks the caller" "$out"

as key:ops admin
out=$(stateless "$ided_url" tools/call "$read_file" "${principal[@]}")
expect "forged principal headers without the credential: 401" "HTTP/1.1 401" "$out"
reject "and nothing read" "the file's text" "$out"
as key:ops admin
out=$(stateless "$ided_url" tools/call "$read_file" -H "Authorization: Bearer not-$token" "${principal[@]}")
expect "with a wrong credential: 401" "HTTP/1.1 401" "$out"
as key:ops admin
out=$(stateless "$open_url" tools/list '{}' "${principal[@]}")
reject "a server without a credential ignores the headers: no gated tool listed" '"name":"ide_read_file"' "$out"
as key:ops admin
out=$(stateless "$open_url" tools/call "$read_file" "${principal[@]}")
expect "nor run" "served only where polkit checks the caller" "$out"
reject "and nothing read" "the file's text" "$out"

# --- malformed headers -----------------------------------------------------------------------------------------

bad() { # bad DESCRIPTION REASON CURL-ARGS...: the server answers 400 and says why
        local what=$1 why=$2
        shift 2
        out=$(stateless "$ided_url" tools/call "$read_file" "${front_end[@]}" "$@")
        expect "$what: 400" "HTTP/1.1 400" "$out"
        expect "$what: saying what is wrong" "$why" "$out"
        reject "$what: nothing read" "the file's text" "$out"
}
ascii="must be printable ASCII"
bad "a control character in the principal" "$ascii" -H "Aios-Principal: $(printf 'key:a\001b')" -H "Aios-Scopes: admin" -H "Aios-Backend: ide"
bad "a space in the principal" "$ascii" -H "Aios-Principal: key:a admin" -H "Aios-Scopes: admin" -H "Aios-Backend: ide"
bad "a byte beyond ASCII in the principal" "$ascii" -H "Aios-Principal: $(printf 'key:\303\251')" -H "Aios-Scopes: admin" -H "Aios-Backend: ide"
bad "a principal of 257 characters" "$ascii" -H "Aios-Principal: key:$(printf 'a%.0s' {1..253})" -H "Aios-Scopes: admin" -H "Aios-Backend: ide"
bad "scopes of 4097 characters" "$ascii" -H "Aios-Principal: key:a" -H "Aios-Scopes: admin $(printf 'x%.0s' {1..4091})" -H "Aios-Backend: ide"
bad "a tab in the scopes" "$ascii" -H "Aios-Principal: key:a" -H "Aios-Scopes: $(printf 'tools:python\tadmin')" -H "Aios-Backend: ide"
bad "a space in the backend" "$ascii" -H "Aios-Principal: key:a" -H "Aios-Scopes: admin" -H "Aios-Backend: ide x"
bad "the principal twice" "may each appear once" -H "Aios-Principal: key:a" -H "Aios-Principal: key:b" -H "Aios-Scopes: admin" -H "Aios-Backend: ide"
bad "scopes without a principal" "which is missing" -H "Aios-Scopes: admin" -H "Aios-Backend: ide"
bad "an empty principal" "$ascii" -H "Aios-Principal;" -H "Aios-Scopes: admin" -H "Aios-Backend: ide"
as "key:$(printf 'a%.0s' {1..252})" tools:ide
out=$(stateless "$ided_url" tools/call "$read_file" "${front_end[@]}" "${principal[@]}")
expect "a principal of 256 characters is taken" "the file's text" "$out"

echo "1..$checks"
[[ $failures -eq 0 ]]
