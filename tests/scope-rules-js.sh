#!/usr/bin/env bash
# The JavaScript half of the scope rules' check (scope-rules.js), with Node.js when there is one.
# usage: scope-rules-js.sh RULES CASES POLICY
set -euo pipefail
node=$(command -v node || command -v nodejs || true)
if [[ -z $node ]]; then
        echo "scope-rules-js.sh: SKIP: no Node.js (node) to run polkit/50-aios.rules with"
        exit 77
fi
exec "$node" "$(dirname "$0")/scope-rules.js" "$@"
