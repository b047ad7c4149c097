#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# deploy/kubernetes run for real with `podman kube play`, in the image deploy/image/build.sh makes: two gateway
# replicas, the conformance fixture server in three replicas (tests/deploy/overlay adds it, for its
# elicitation tools) and aios-sysopsd, each server reached over HTTP with the gateway's token. client.py then
# checks, each request to the other gateway replica than the one before: both wires, an elicitation started
# on one replica and finished on the other, a replica killed mid-load, the server's pods killed and started
# again, and the server's port refusing a request without the gateway's token. tests/gateway/balance-client.py
# checks the gateway's balancing over the conformance server's three pods: the spread, one pod killed
# mid-load, taken out and put back. What podman cannot take is left out by podman-overlay.py (it says which
# kinds).
# usage: kube-play.sh SOURCE_ROOT      (exits 77 where podman cannot run containers: not root, not installed)
set -euo pipefail

src=$(cd "${1:?usage: kube-play.sh SOURCE_ROOT}" && pwd)
skip() {
        echo "SKIP: $*"
        exit 77
}
[ "$(id -u)" = 0 ] || skip "podman kube play with the image's networks needs root here"
for tool in podman buildah runc kubectl python3 meson ninja iptables; do
        command -v "$tool" >/dev/null || skip "$tool is not installed (tools/setup-deps.sh test)"
done
python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
export CONTAINERS_CONF="$src/deploy/podman/containers.conf"
podman info >/dev/null 2>&1 || skip "podman cannot run here: $(podman info 2>&1 | tail -n1)"

cache=${AIOS_TEST_CACHE:-/var/cache/aios-test}/deploy
image=localhost/aios:test
net=aios-deploy-$$
work=$(mktemp -d)
mkdir -p "$(dirname "$cache")"

conformance_pods=(aios-conformance-pod-0 aios-conformance-pod-1 aios-conformance-pod-2)
pods=(aios-gateway-pod-0 aios-gateway-pod-1 aios-sysops-pod-0 "${conformance_pods[@]}")
remove_pods() {
        [ -f "$work/play.yaml" ] && podman kube down "$work/play.yaml" >/dev/null 2>&1
        for p in "${pods[@]}"; do
                podman pod rm -f "$p" >/dev/null 2>&1
        done
}
cleanup() {
        local rc=$?
        set +e
        if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
                for p in "${pods[@]}"; do
                        for c in $(podman pod inspect "$p" --format '{{range .Containers}}{{.Name}} {{end}}' 2>/dev/null); do
                                [[ $c == *-infra ]] && continue
                                echo "--- podman logs $c (last 15 lines)"
                                podman logs "$c" 2>&1 | tail -n 15
                        done
                done
        fi
        remove_pods
        podman volume rm -f aios-gateway-state >/dev/null 2>&1
        podman network rm -f "$net" >/dev/null 2>&1
        rm -rf "$work"
}
trap cleanup EXIT

# The image, built incrementally in the cache (a first build takes minutes, a rebuild well under one).
echo "# building the image"
"$src/deploy/image/build.sh" --build-dir "$cache-image-build" --tag "$image"

# The manifests with fresh secrets, and what podman plays of them.
mkdir -p "$work/deploy" "$work/tests/deploy"
cp -a "$src/deploy/kubernetes" "$work/deploy/"
cp -a "$src/tests/deploy/overlay" "$work/tests/deploy/"
rm -rf "$work/deploy/kubernetes/secrets" "$work/tests/deploy/overlay/secrets"
"$work/deploy/kubernetes/gen-secrets.sh" >/dev/null
mkdir -p "$work/tests/deploy/overlay/secrets"
for f in front-end-token request-state-key; do
        head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/tests/deploy/overlay/secrets/$f"
done
kubectl kustomize "$work/tests/deploy/overlay" >"$work/rendered.yaml"
"$src/tests/deploy/podman-overlay.py" "$image" "$work/secrets" sysops conformance <"$work/rendered.yaml" >"$work/play.yaml"
echo "# podman kube play leaves out: Namespace, NetworkPolicy, HorizontalPodAutoscaler, PodDisruptionBudget," \
        "Ingress, Service (pods are reached by name); Secrets are mounted from files (podman 4.3 panics on" \
        "secret volumes); servers run: sysops, conformance"

remove_pods || true
podman volume rm -f aios-gateway-state >/dev/null 2>&1 || true
podman network create "$net" >/dev/null
echo "# podman kube play"
podman kube play --network "$net" "$work/play.yaml" >/dev/null

# An API key in the store on the gateways' shared volume (the PersistentVolumeClaim): they read it when it
# changes.
store=$(podman volume inspect --format '{{.Mountpoint}}' aios-gateway-state)
aiosctl=$(command -v aiosctl || true)
[ -x "${AIOSCTL:-}" ] && aiosctl=$AIOSCTL
[ -n "$aiosctl" ] || skip "aiosctl is not built (set AIOSCTL)"
AIOS_API_KEY=$("$aiosctl" key create kube-play --scope 'tools:*' --store="$store/api-keys" \
        --pepper="$work/deploy/kubernetes/secrets/gateway/api-key-pepper" | grep -o 'aios_[A-Za-z0-9_-]*' | head -n1)
[ -n "$AIOS_API_KEY" ] || {
        echo "FAIL: no API key made"
        exit 1
}
export AIOS_API_KEY
chown -R 61000:61000 "$store"

address_of() { # the address of pod $1 on the test's network
        local infra
        infra=$(podman pod inspect "$1" --format '{{.InfraContainerID}}')
        podman inspect "$infra" --format "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}"
}
a=http://$(address_of aios-gateway-pod-0):9000/mcp
b=http://$(address_of aios-gateway-pod-1):9000/mcp
conformance=http://$(address_of aios-conformance-pod-0):8099/mcp
client=("$src/tests/deploy/client.py")

"${client[@]}" wait-ready "$a" "$b"
"${client[@]}" alternate "$a" "$b"
DIRECT_HOST=aios-conformance-pod-0 "${client[@]}" direct "$conformance"
# A tool that needs polkit, run for the key's principal on aios-sysopsd over HTTP (the shipped rules decide).
"${client[@]}" gated "$a"

# Three replicas of the conformance server behind the gateway's one backend (podman 4.3 runs a Deployment's
# replicas as pods NAME-pod-0, -1, -2; the overlay gives the gateway one URL= per pod): calls spread over
# them, one killed during a load run with no failed call but those in flight on it, taken out and put back.
balance=(env AIOS_HOST=aios python3 "$src/tests/gateway/balance-client.py")
gateway_a=${a%/mcp}
"${balance[@]}" wait-up "$gateway_a" conformance 3 60
"${balance[@]}" spread "$gateway_a" conformance 900 3
"${balance[@]}" spread "$gateway_a" conformance 900 6 up-only
"${balance[@]}" load "$gateway_a" conformance 300 6 "podman pod kill aios-conformance-pod-2 >/dev/null"
"${balance[@]}" wait-up "$gateway_a" conformance 2 30
podman pod start aios-conformance-pod-2 >/dev/null
"${balance[@]}" wait-up "$gateway_a" conformance 3 60
"${balance[@]}" spread "$gateway_a" conformance 600 3

# The server's pods all killed: a sentence saying so; used again once they are back.
podman pod kill "${conformance_pods[@]}" >/dev/null
"${client[@]}" server-down "$a"
podman pod start "${conformance_pods[@]}" >/dev/null
"${client[@]}" server-back "$a"

# A gateway replica killed in the middle of a load run.
"${client[@]}" load "$a" "$b" "podman pod kill aios-gateway-pod-1 >/dev/null"
echo "PASS"
