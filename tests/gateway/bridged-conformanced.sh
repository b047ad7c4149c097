#!/usr/bin/env bash
# aios-conformanced behind aios-gatewayd, as one "server" for run-conformance.sh and the SDK runner:
# a private system bus and polkitd (tools/dev-services.sh), aios-conformanced on that bus only, and the
# gateway listening where --listen= says, with the backend "conformance". SIGTERM stops both; the exit
# status is 0 when both stopped cleanly.
# usage: bridged-conformanced.sh --listen=ADDR:PORT   (AIOS_CONFORMANCED and AIOS_GATEWAYD name the binaries)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

listen=${1#--listen=}
conformanced=${AIOS_CONFORMANCED:?}
gatewayd=${AIOS_GATEWAYD:?}
read -ra wrapper <<<"${AIOS_SERVER_WRAPPER:-}"

config=$AIOS_DEV_SERVICES_RUNTIME/gateway
mkdir -p "$config/backends.d"
printf '[Backend]\nType=dbus\nBusName=org.aios.Conformance1\n' >"$config/backends.d/conformance.conf"

"${wrapper[@]}" "$conformanced" &
server=$!
for ((i = 0; i < 300; i++)); do
        busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status org.aios.Conformance1 >/dev/null 2>&1 && break
        kill -0 "$server" 2>/dev/null || { echo "bridged-conformanced.sh: aios-conformanced exited at start" >&2; exit 1; }
        sleep 0.1
done

"${wrapper[@]}" "$gatewayd" --config-dir="$config" --listen="$listen" &
gateway=$!

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
echo "bridged-conformanced.sh: a daemon exited on its own" >&2
kill -TERM "$gateway" "$server" 2>/dev/null || true
exit 1
