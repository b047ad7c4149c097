#!/usr/bin/env bash
# The official TypeScript SDK's client against the gateway's /mcp, with two aios-conformanced behind it on
# a private system bus: tools of both backends, a call with progress, and an elicitation the server asks
# over D-Bus (org.aios.MCPClient1) that the client answers.
# usage: run-sdk-gateway.sh   (AIOS_CONFORMANCED and AIOS_GATEWAYD name the binaries; runs as root)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
if [[ $(id -u) -ne 0 ]]; then
        echo "run-sdk-gateway.sh: SKIP: needs root (a private mount namespace and polkitd)"
        exit 77
fi
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        # shellcheck source=tools/npm-env.sh
        source "$top/tools/npm-env.sh"
        if [[ ! -x $AIOS_NODE || ! -d $AIOS_NODE_PATH_SDK/@modelcontextprotocol/sdk ]]; then
                "$top/tools/npm-deps.sh" >&2
        fi
        exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

# shellcheck source=tools/npm-env.sh
source "$top/tools/npm-env.sh"
# shellcheck source=tests/gateway/stack-lib.sh
source "$top/tests/gateway/stack-lib.sh"
stack_start
trap stack_stop EXIT

status=0
AIOS_SDK_AGGREGATE=1 "$AIOS_NODE" "$here/sdk-client.mjs" --http "$base/mcp" || status=$?
if [[ $status -ne 0 ]]; then
        tail -n 20 "$runtime/gateway.log" "$runtime/first.log" "$runtime/second.log"
fi
exit "$status"
