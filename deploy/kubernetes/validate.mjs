// SPDX-License-Identifier: LGPL-2.1-or-later
// Validates Kubernetes objects against the API's JSON schemas, offline, with the npm package
// kubernetes-models (its schemas are those of the Kubernetes OpenAPI document, checked with ajv).
//   kubectl kustomize deploy/kubernetes | python3 -c '...to JSON...' | node validate.mjs
// Reads a JSON array of objects on stdin; prints one line per object and exits 1 when any is invalid.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

// The npm prefix kubernetes-models was installed under (npm install --prefix DIR kubernetes-models).
const prefix = process.env.KUBERNETES_MODELS_PREFIX;
if (!prefix) {
        console.error("validate.mjs: set KUBERNETES_MODELS_PREFIX to the npm prefix of kubernetes-models");
        process.exit(2);
}
const objects = JSON.parse(readFileSync(0, "utf8"));
let failed = 0;
for (const o of objects) {
        const name = `${o.kind}/${o.metadata?.name}`;
        let Model;
        try {
                const file = `${prefix}/node_modules/kubernetes-models/${o.apiVersion}/${o.kind}.js`;
                Model = (await import(pathToFileURL(file).href))[o.kind];
        } catch (e) {
                console.log(`FAIL ${name}: no schema for ${o.apiVersion} ${o.kind}`);
                failed++;
                continue;
        }
        try {
                new Model(o).validate();
                console.log(`ok   ${name} (${o.apiVersion})`);
        } catch (e) {
                console.log(`FAIL ${name}: ${e.message}`);
                failed++;
        }
}
console.log(`${objects.length - failed} of ${objects.length} objects valid`);
process.exit(failed ? 1 : 0);
