#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Renders the kustomization (kubectl kustomize, with secrets made by gen-secrets.sh in a scratch copy when
# there are none) and validates every object against the Kubernetes API's JSON schemas, offline: the npm
# package kubernetes-models@5.1.0, installed once under ${AIOS_NPM_CACHE:-/var/cache/aios-test/npm}.
# Exits 77 when kubectl, node or npm is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for tool in kubectl node npm python3; do
        command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml is not installed"; exit 77; }

models="${AIOS_NPM_CACHE:-/var/cache/aios-test/npm}/kubernetes-models-5.1.0"
if [ ! -f "$models/node_modules/kubernetes-models/package.json" ]; then
        mkdir -p "$(dirname "$models")"
        tmp=$(mktemp -d "$models.XXXXXX")
        npm install --no-audit --no-fund --loglevel=error --prefix "$tmp" kubernetes-models@5.1.0 >/dev/null
        rm -rf "$models"
        mv "$tmp" "$models"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a "$here/." "$work/"
[ -d "$work/secrets" ] || "$work/gen-secrets.sh" >/dev/null
kubectl kustomize "$work" >"$work/rendered.yaml"
python3 -c 'import sys, yaml, json; json.dump([d for d in yaml.safe_load_all(sys.stdin) if d], sys.stdout)' \
        <"$work/rendered.yaml" | KUBERNETES_MODELS_PREFIX="$models" node "$here/validate.mjs"
