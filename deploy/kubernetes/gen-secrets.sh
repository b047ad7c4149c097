#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Makes the secrets kustomization.yaml turns into Secrets, as files under secrets/ (which git ignores):
#   secrets/gateway/request-state-key      seals the gateway's requestState: one for every gateway replica
#   secrets/gateway/api-key-pepper         peppers the API key hashes of the shared key store
#   secrets/gateway/server-token-NAME      the gateway's token for server NAME (BearerTokenCredential=)
#   secrets/NAME/front-end-token           the same token, which server NAME asks for (--front-end-credential)
#   secrets/NAME/request-state-key         seals server NAME's requestState: one for its replicas
# Each is 24 random bytes as 48 hex digits (192 bits). Files already there are kept; --rotate NAME... makes new ones for those (gateway, or a server's name, whose
# token then changes on both sides). Then: kubectl apply -k deploy/kubernetes (see deploy/README.md).
set -euo pipefail
cd "$(dirname "$0")"
servers=(python sysops comm ide actions voice)
rotate=()
if [ "${1:-}" = "--rotate" ]; then
        shift
        rotate=("$@")
fi

umask 077
random() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
fresh() { # fresh FILE [ROTATE-NAME]: writes a new secret unless FILE is there and is not to be rotated
        local file=$1 name=${2:-}
        for r in "${rotate[@]}"; do
                [ "$r" = "$name" ] && rm -f "$file"
        done
        [ -s "$file" ] || random >"$file"
}

mkdir -p secrets/gateway
fresh secrets/gateway/request-state-key gateway
fresh secrets/gateway/api-key-pepper gateway-pepper
for s in "${servers[@]}"; do
        mkdir -p "secrets/$s"
        fresh "secrets/gateway/server-token-$s" "$s"
        cp "secrets/gateway/server-token-$s" "secrets/$s/front-end-token"
        fresh "secrets/$s/request-state-key" "$s"
done
echo "Secrets in $(pwd)/secrets"
