// Checks tool results against the tools' output schemas with Ajv (JSON Schema 2020-12, formats checked), a
// validator that is not the server's own: every structuredContent must match its tool's outputSchema, every
// tool must have one and have been called successfully at least once; a successful result without
// structuredContent fails (a tool with an outputSchema must give one). Error results are not checked.
// usage: node schema-check.mjs TOOLS_LIST.json RESULTS.jsonl
//   TOOLS_LIST.json  the result of tools/list ({"tools": [...]})
//   RESULTS.jsonl    one line per call: {"tool": NAME, "result": RESULT} (a tools/call result)
// Ajv is found in $AIOS_NODE_PATH_SDK (the SDK's node_modules, tools/npm-deps.sh). Prints one line per tool
// and exits 1 when one failed.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const [toolsFile, resultsFile] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(process.env.AIOS_NODE_PATH_SDK), 'resolve-from-here.js'));
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

const tools = JSON.parse(fs.readFileSync(toolsFile, 'utf8')).tools;
const results = fs.readFileSync(resultsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
let failed = 0;
for (const tool of tools) {
        const mine = results.filter((r) => r.tool === tool.name);
        const answered = mine.filter((r) => r.result && !r.result.isError);
        const structured = answered.filter((r) => r.result.structuredContent !== undefined);
        const problems = [];
        let validate = null;
        if (!tool.outputSchema) problems.push('no outputSchema');
        else {
                try {
                        validate = ajv.compile(tool.outputSchema);
                } catch (e) {
                        problems.push(`its outputSchema does not compile: ${e.message}`);
                }
        }
        if (answered.length === 0) problems.push(`no successful call among ${mine.length}`);
        if (structured.length < answered.length)
                problems.push(`${answered.length - structured.length} successful results without structuredContent`);
        for (const r of structured) {
                if (validate && !validate(r.result.structuredContent))
                        problems.push(`${ajv.errorsText(validate.errors)} in ${JSON.stringify(r.result.structuredContent).slice(0, 300)}`);
                if (!Array.isArray(r.result.content)) problems.push('a result without content');
        }
        if (problems.length) {
                failed++;
                console.log(`FAIL ${tool.name}: ${problems.join('; ')}`);
        } else console.log(`ok   ${tool.name}: ${structured.length} results match its outputSchema`);
}
process.exit(failed ? 1 : 0);
