#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Makes of the rendered kustomization (tests/deploy/overlay) what `podman kube play` runs:
#   - kinds podman kube play does not take are left out: Namespace, NetworkPolicy, HorizontalPodAutoscaler,
#     PodDisruptionBudget, Ingress, and Service (podman has no Service addresses: a Deployment's pods are
#     NAME-pod-0, NAME-pod-1, ... and aardvark-dns resolves those names on the network the test makes);
#   - the gateway reaches each server by its pods' names instead of its Service's: one URL= per replica
#     (NAME-pod-0, NAME-pod-1, ...: the endpoints the gateway balances over), and the server's
#     --allow-host= once per pod name; the servers the test does not run are disabled in the gateway
#     (Enabled=no) and left out with their volumes and secrets;
#   - Secrets are written as files under SECRETS-DIR/NAME/, owned by the image's user, and the volumes that
#     mount them become hostPath volumes of those directories: podman 4.3 kube play panics on a secret
#     volume (a nil pointer in VolumeFromSecret);
#   - so are the ConfigMaps' volumes, with their items' paths: podman 4.3 makes no item's directory (the
#     gateway's backends.d/), nor tells two volumes of one ConfigMap apart;
#   - containers publish no ports (podman would take the host's port of each containerPort, which two
#     replicas cannot both have): the test reaches the pods at their addresses on its network;
#   - the image is the one the test built.
# usage: podman-overlay.py IMAGE SECRETS-DIR SERVER... < rendered.yaml > play.yaml
import base64
import os
import re
import sys

import yaml

image, secrets_dir, keep = sys.argv[1], sys.argv[2], set(sys.argv[3:])
USER = 61000
dropped_kinds = {"Namespace", "NetworkPolicy", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress", "Service"}


def server_of(name):
    m = re.match(r"aios-(?:server-)?([a-z]+)(?:-state)?(?:-[a-z0-9]{10})?$", name)
    return m.group(1) if m and m.group(1) != "gateway" else None


def pod_names(server):
    return [f"aios-{server}-pod-{i}" for i in range(replicas.get(server, 1))]


def per_pod_urls(m):
    return "\n".join(f"URL=http://{pod}:{m.group(2)}" for pod in pod_names(m.group(1)))


out = []
config_maps = {}
objects = list(yaml.safe_load_all(sys.stdin))
replicas = {server_of(o["metadata"]["name"]): o["spec"].get("replicas", 1)
            for o in objects if o and o["kind"] == "Deployment"}
for o in objects:
    if not o or o["kind"] in dropped_kinds:
        continue
    o["metadata"].pop("namespace", None)
    server = server_of(o["metadata"]["name"])
    if server and server not in keep:
        continue
    if o["kind"] == "Secret":
        d = os.path.join(secrets_dir, o["metadata"]["name"])
        os.makedirs(d, mode=0o750, exist_ok=True)
        os.chown(d, USER, USER)
        for key, value in (o.get("data") or {}).items():
            path = os.path.join(d, key)
            with open(path, "wb") as f:
                f.write(base64.b64decode(value))
            os.chown(path, USER, USER)
            os.chmod(path, 0o400)
        continue
    if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("aios-gateway-config"):
        for key, text in list(o["data"].items()):
            name = key.removesuffix(".conf")
            if key == "gateway.conf":
                continue
            if name not in keep:
                text += "Enabled=no\n"
            o["data"][key] = re.sub(r"URL=http://aios-([a-z]+):(.*)", per_pod_urls, text)
        config_maps[o["metadata"]["name"]] = o["data"]
        continue
    if o["kind"] == "Deployment":
        for v in o["spec"]["template"]["spec"].get("volumes", []):
            if "configMap" in v:
                cm = v.pop("configMap")
                d = os.path.join(secrets_dir, "configmap-" + o["metadata"]["name"] + "-" + v["name"])
                for item in cm.get("items") or [{"key": k, "path": k} for k in config_maps[cm["name"]]]:
                    path = os.path.join(d, item["path"])
                    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
                    with open(path, "w") as f:
                        f.write(config_maps[cm["name"]][item["key"]])
                    os.chmod(path, 0o444)
                v["hostPath"] = {"path": d, "type": "Directory"}
        for v in o["spec"]["template"]["spec"].get("volumes", []):
            if "secret" in v:
                name = v.pop("secret")["secretName"]
                v["hostPath"] = {"path": os.path.join(secrets_dir, name), "type": "Directory"}
        for c in o["spec"]["template"]["spec"]["containers"]:
            c["image"] = image
            # podman publishes a containerPort on the host's port of that number: two replicas cannot.
            ports = {p["name"]: p["containerPort"] for p in c.pop("ports", [])}
            for probe in ("livenessProbe", "readinessProbe"):
                get = (c.get(probe) or {}).get("httpGet")
                if get and get["port"] in ports:
                    get["port"] = ports[get["port"]]
            command = []
            for a in c["command"]:
                m = re.match(r"^--allow-host=aios-([a-z]+)$", a)
                command += [f"--allow-host={pod}" for pod in pod_names(m.group(1))] if m else [a]
            c["command"] = command
    out.append(o)
yaml.safe_dump_all(out, sys.stdout, sort_keys=False)
