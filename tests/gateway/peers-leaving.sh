#!/usr/bin/env bash
# Callers that leave the bus holding several sessions each, while another caller holds sessions too, against
# a server built with AddressSanitizer: ending a leaving caller's sessions must not touch what it freed.
# The server must then still answer and exit 0 on SIGTERM (an ASan report makes it exit 86).
# usage: peers-leaving.sh SERVER BUS_SESSIONS   (runs as root, inside tools/dev-services.sh)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
server=${1:?server binary}
client=${2:?bus-sessions binary}
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi
runtime=$AIOS_DEV_SERVICES_RUNTIME
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }

"$server" >>"$runtime/server.log" 2>&1 &
pid=$!
for ((i = 0; i < 100; i++)); do
        busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status org.aios.Conformance1 >/dev/null 2>&1 && break
        sleep 0.1
done

# One caller keeps ten sessions; three others come and go with ten each; one more fills its table.
as_nobody "$client" org.aios.Conformance1 hold 10 >"$runtime/holder.out" &
holder=$!
for ((i = 0; i < 100; i++)); do
        grep -q holding "$runtime/holder.out" && break
        sleep 0.1
done
for i in 1 2 3; do
        as_nobody "$client" org.aios.Conformance1 leave 10 >/dev/null
done
as_nobody "$client" org.aios.Conformance1 fill 70 >/dev/null
kill -TERM "$holder"
wait "$holder" 2>/dev/null || true
out=$(busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.aios.Conformance1 /org/aios/MCP1 org.aios.MCP1 ListTools 2>&1 || true)

status=0
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" || status=$?
cat "$runtime/server.log"
if [[ $out != *test_simple_text* ]]; then
        echo "peers-leaving: the server stopped answering: $out"
        exit 1
fi
if [[ $status -ne 0 ]]; then
        echo "peers-leaving: the server exited with status $status (86: AddressSanitizer, 87: UBSan, 88: a leak)"
        exit 1
fi
echo "peers-leaving: the server stayed whole and exited cleanly"
