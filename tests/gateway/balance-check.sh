#!/usr/bin/env bash
# Load balancing over the endpoints of one Type=http backend, with real processes: three aios-conformanced on
# loopback ports (each behind its front-end token) as URL= lines of one backend of aios-gatewayd. Shown: calls
# spread within 20% of even (the counts printed); a 2025-11-25 session staying on its endpoint, and going on
# elsewhere when that endpoint is killed; a replica killed during a load run with no failed call but those in
# flight on it; the health check taking it out and putting it back when it is started again; a replica that
# answers 503 (busy) to every call, whose calls go on to the others, and which alone gets the client 503 with
# Retry-After; a name with three addresses (ResolveAddresses=yes, the name in a hosts file bound over
# /etc/hosts in a private mount namespace of the gateway's), an address leaving and coming back; bad
# configuration refused with its reason.
# usage: balance-check.sh   (AIOS_CONFORMANCED, AIOS_GATEWAYD and AIOS_AIOSCTL name the binaries)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
conformanced=${AIOS_CONFORMANCED:?}
gatewayd=${AIOS_GATEWAYD:?}
export AIOS_SECCOMP_DIR=${AIOS_SECCOMP_DIR:-$top/seccomp}
for tool in python3 curl; do
        command -v "$tool" >/dev/null || {
                echo "balance-check.sh: SKIP: needs $tool"
                exit 77
        }
done
client=(python3 "$top/tests/gateway/balance-client.py")

work=$(mktemp -d "${TMPDIR:-/tmp}/aios-balance.XXXXXX")
declare -A servers=() # ADDRESS:PORT -> pid
gateways=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
        local pid
        for pid in "${gateways[@]}" "${servers[@]}"; do
                kill -TERM "$pid" 2>/dev/null || true
        done
        for pid in "${gateways[@]}" "${servers[@]}"; do
                wait "$pid" 2>/dev/null || true
        done
        rm -rf "$work"
}
trap cleanup EXIT
fail() {
        echo "FAIL: $*"
        for log in "$work"/*.log; do
                echo "--- ${log##*/}"
                tail -n 20 "$log"
        done
        exit 1
}

free_port() {
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits (30 s at most) until URL answers 200, while the process PID lives.
wait_ready() {
        local url=$1 pid=$2
        for ((i = 0; i < 300; i++)); do
                curl -sf -o /dev/null --max-time 2 "$url" && return 0
                kill -0 "$pid" 2>/dev/null || fail "the process behind $url exited"
                sleep 0.1
        done
        fail "$url did not answer within 30 s"
}

printf 'balance-check-token-%s\n' "$RANDOM$RANDOM" >"$work/token"
chmod 600 "$work/token"
# The client's API key: a principal the servers' scope rules let call their tools (anonymous they refuse).
mkdir -p "$work/state"
AIOS_API_KEY=$("${AIOS_AIOSCTL:?}" --store="$work/state/api-keys" key create balance --scope 'tools:*' 2>/dev/null)
[[ -n $AIOS_API_KEY ]] || fail "no API key made"
export AIOS_API_KEY

# aios-conformanced on ADDRESS:PORT, answering only the gateway's token; its pid in $work/pid-ADDRESS:PORT for
# balance-kill.sh.
start_server() {
        local at=$1
        shift
        "$conformanced" --no-bus --listen="$at" --front-end-credential="$work/token" "$@" >>"$work/server-$at.log" 2>&1 &
        servers[$at]=$!
        echo "$!" >"$work/pid-$at"
        wait_ready "http://$at/readyz" "${servers[$at]}"
}
# What the client runs to kill the server behind an endpoint (it adds the endpoint's URL).
kill_server="$top/tests/gateway/balance-kill.sh $work"

start_gateway() {
        local dir=$1 port=$2
        shift 2
        "$@" "$gatewayd" --config-dir="$dir" --listen="127.0.0.1:$port" >>"$work/gateway-$port.log" 2>&1 &
        gateways+=($!)
        wait_ready "http://127.0.0.1:$port/readyz" "$!"
}

echo "== bad configuration is refused with its reason"
refused() {
        local text=$1 expected=$2
        mkdir -p "$work/bad/backends.d"
        printf '%b' "$text" >"$work/bad/backends.d/conformance.conf"
        local out status=0
        out=$(timeout 30 "$gatewayd" --config-dir="$work/bad" --listen=127.0.0.1:1 2>&1) || status=$?
        [[ $status -ne 0 ]] || fail "the gateway started with: $text"
        grep -qF "$expected" <<<"$out" || fail "no \"$expected\" in what the gateway said: $out"
        echo "ok: refused: $(grep -F "$expected" <<<"$out")"
}
refused '[Backend]\nType=http\nURL=http://127.0.0.1:1/mcp\nURL=http://127.0.0.1:2/mcp\nURL=http://127.0.0.1:1/mcp\n' \
        "conformance.conf:5: URL=http://127.0.0.1:1/mcp is given twice, expected each endpoint once."
refused '[Backend]\nType=http\nURL=http://127.0.0.1:1/mcp\nURL=ftp://127.0.0.1:2/\n' \
        'conformance.conf:4: Invalid value "ftp://127.0.0.1:2/" for URL=, expected an http:// or https:// URL'
refused '[Backend]\nType=http\nURL=http://127.0.0.1:1/mcp\nURL=\n' \
        "conformance.conf:2: Type=http without URL="
refused '[Backend]\nType=http\nURL=http://replicas.example:8006/mcp\nResolveAddresses=often\n' \
        'conformance.conf:4: Invalid value "often" for ResolveAddresses=, expected a boolean'
refused '[Backend]\nType=http\nURL=http://replicas.example:8006/mcp\nResolveAddresses=yes\nResolveIntervalSec=soon\n' \
        'conformance.conf:5: Invalid value "soon" for ResolveIntervalSec='

echo "== three servers behind one backend"
urls=()
for _ in 1 2 3; do
        at=127.0.0.1:$(free_port)
        start_server "$at"
        urls+=("http://$at/mcp")
done
mkdir -p "$work/listed/backends.d"
printf '[Authentication]\nAPIKeyFile=%s/api-keys\n' "$work/state" >"$work/listed/gateway.conf"
{
        printf '[Backend]\nType=http\n'
        printf 'URL=%s\n' "${urls[@]}"
        printf 'BearerTokenCredential=%s\n' "$work/token"
} >"$work/listed/backends.d/conformance.conf"
port=$(free_port)
gateway=http://127.0.0.1:$port
start_gateway "$work/listed" "$port"
for url in "${urls[@]}"; do
        "${client[@]}" wait "$gateway" conformance "$url" up 30 || fail "an endpoint is not up"
done

echo "== calls spread"
# Three clients at once, and one: within 20% of even. Six at once: what the least loaded choice makes of
# it on this machine, printed (a server slowed down by a busy machine gets fewer, as it should).
"${client[@]}" spread "$gateway" conformance 900 3 || fail "calls not spread evenly"
"${client[@]}" spread "$gateway" conformance 300 1 || fail "one client's calls not spread evenly"
"${client[@]}" spread "$gateway" conformance 900 6 up-only || fail "calls from six clients not answered"
curl -s "$gateway/metrics" | grep '^aios_gateway_backend_endpoint'

echo "== a 2025-11-25 session stays on its endpoint"
"${client[@]}" session "$gateway" conformance || fail "a session moved"

echo "== a replica killed during a load run"
victim=${urls[2]}
"${client[@]}" load "$gateway" conformance 600 6 "$kill_server $victim" || fail "calls failed beyond those in flight"
"${client[@]}" wait "$gateway" conformance "$victim" down 30 || fail "the killed replica is not out"
"${client[@]}" spread "$gateway" conformance 600 6 up-only || fail "calls not all to the two left"

echo "== started again, the health check puts it back"
at=${victim#http://}
start_server "${at%%/*}"
"${client[@]}" wait "$gateway" conformance "$victim" up 30 || fail "the replica started again is not back"
"${client[@]}" spread "$gateway" conformance 600 3 || fail "calls not spread over the three again"

echo "== a session's endpoint killed"
"${client[@]}" session-moves "$gateway" conformance "$kill_server" || fail "a session did not go on elsewhere"
for url in "${urls[@]}"; do
        at=${url#http://}
        at=${at%%/*}
        curl -sf -o /dev/null --max-time 2 "http://$at/readyz" || start_server "$at"
done

echo "== a replica that answers 503"
# --max-body-memory=1: it holds no request body, and answers each call with 503, Retry-After and -32030.
busy_at=127.0.0.1:$(free_port)
start_server "$busy_at" --max-body-memory=1
busy_url=http://$busy_at/mcp
mkdir -p "$work/busy/backends.d" "$work/busy-only/backends.d"
for dir in busy busy-only; do
        cp "$work/listed/gateway.conf" "$work/$dir/gateway.conf"
done
{
        printf '[Backend]\nType=http\n'
        printf 'URL=%s\n' "${urls[0]}" "$busy_url" "${urls[1]}"
        printf 'BearerTokenCredential=%s\n' "$work/token"
} >"$work/busy/backends.d/conformance.conf"
busy_port=$(free_port)
start_gateway "$work/busy" "$busy_port"
for url in "${urls[0]}" "$busy_url" "${urls[1]}"; do
        "${client[@]}" wait "http://127.0.0.1:$busy_port" conformance "$url" up 30 || fail "an endpoint is not up"
done
"${client[@]}" busy "http://127.0.0.1:$busy_port" conformance "$busy_url" 300 3 ||
        fail "calls failed with a replica answering 503"
printf '[Backend]\nType=http\nURL=%s\nBearerTokenCredential=%s\n' "$busy_url" "$work/token" \
        >"$work/busy-only/backends.d/conformance.conf"
busy_only_port=$(free_port)
start_gateway "$work/busy-only" "$busy_only_port"
"${client[@]}" busy-only "http://127.0.0.1:$busy_only_port" conformance ||
        fail "the only endpoint's 503 did not reach the client as 503 with Retry-After"

echo "== a name without addresses"
mkdir -p "$work/missing/backends.d"
cp "$work/listed/gateway.conf" "$work/missing/gateway.conf"
# .invalid never resolves (RFC 6761).
printf '[Backend]\nType=http\nURL=http://nothing-here.invalid:8006/mcp\nResolveAddresses=yes\n' \
        >"$work/missing/backends.d/missing.conf"
missing_port=$(free_port)
"$gatewayd" --config-dir="$work/missing" --listen="127.0.0.1:$missing_port" >>"$work/gateway-$missing_port.log" 2>&1 &
gateways+=($!)
"${client[@]}" no-address "http://127.0.0.1:$missing_port" missing || fail "a name without addresses"
grep -F "failed to resolve nothing-here.invalid" "$work/gateway-$missing_port.log" ||
        fail "the gateway did not say that the name does not resolve"

echo "== a name with several addresses"
if ! unshare --mount --propagation private true 2>/dev/null; then
        echo "SKIP (this part): no private mount namespace here (unshare --mount needs root), so no hosts file" \
                "of the gateway's own for a name with three addresses"
        exit 0
fi
dns_port=$(free_port)
for address in 127.0.0.1 127.0.0.2 127.0.0.3; do
        start_server "$address:$dns_port" --allow-host=replicas.balance.test # the Host the gateway sends
done
hosts() {
        # Written in place: the gateway's /etc/hosts is this file, bound over it.
        {
                printf '127.0.0.1 localhost\n'
                printf '%s replicas.balance.test\n' "$@"
        } >"$work/hosts"
}
hosts 127.0.0.1 127.0.0.2 127.0.0.3
mkdir -p "$work/named/backends.d"
cp "$work/listed/gateway.conf" "$work/named/gateway.conf"
printf '[Backend]\nType=http\nURL=http://replicas.balance.test:%s/mcp\nResolveAddresses=yes\nResolveIntervalSec=1s\nBearerTokenCredential=%s\n' \
        "$dns_port" "$work/token" >"$work/named/backends.d/conformance.conf"
named_port=$(free_port)
named=http://127.0.0.1:$named_port
# shellcheck disable=SC2016 # expanded by that sh
start_gateway "$work/named" "$named_port" unshare --mount --propagation private \
        sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$work/hosts"
for address in 127.0.0.1 127.0.0.2 127.0.0.3; do
        "${client[@]}" wait "$named" conformance "http://$address:$dns_port/mcp" up 30 || fail "$address is no endpoint"
done
"${client[@]}" spread "$named" conformance 900 3 || fail "calls not spread over the name's addresses"
hosts 127.0.0.1 127.0.0.2
"${client[@]}" wait "$named" conformance "http://127.0.0.3:$dns_port/mcp" absent 30 || fail "a gone address stays"
"${client[@]}" spread "$named" conformance 600 6 up-only || fail "calls not all to the two addresses left"
hosts 127.0.0.1 127.0.0.2 127.0.0.3
"${client[@]}" wait "$named" conformance "http://127.0.0.3:$dns_port/mcp" up 30 || fail "a new address is not used"
grep -h "endpoint" "$work/gateway-$named_port.log"
echo "PASS"
