// Drives an MCP server with the official TypeScript SDK's client, as an application would.
// usage: node sdk-client.mjs --http URL
//        node sdk-client.mjs --stdio BINARY [ARG...]
// The SDK is found in $AIOS_NODE_PATH_SDK (or the first folder of $NODE_PATH): a node_modules folder
// holding @modelcontextprotocol/sdk, as tools/npm-deps.sh installs it. With --stdio, AIOS_SERVER_WRAPPER
// (split on blanks) is put before BINARY.
//
// With AIOS_SDK_AGGREGATE=1 the URL is the gateway's /mcp in front of two backends, the second with
// Prefix=second_: tools of both must be listed, and resources (which /mcp does not aggregate) are not read.
//
// Prints one line per check and exits 0 when all passed, 1 when one failed, 2 on bad usage.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';

const usage = 'usage: sdk-client.mjs --http URL | --stdio BINARY [ARG...]';
const [mode, target, ...rest] = process.argv.slice(2);
if (!['--http', '--stdio'].includes(mode) || !target) {
        console.error(usage);
        process.exit(2);
}

// NODE_PATH does not reach ES module imports; require() from inside the SDK's folder does, and the SDK
// ships a CommonJS build for it (one build for every import, so its schemas are the same objects).
const sdkDir = process.env.AIOS_NODE_PATH_SDK || (process.env.NODE_PATH || '').split(path.delimiter)[0];
if (!sdkDir) {
        console.error('sdk-client.mjs: set AIOS_NODE_PATH_SDK (source tools/npm-env.sh) or NODE_PATH');
        process.exit(2);
}
const require = createRequire(path.join(path.resolve(sdkDir), 'resolve-from-here.js'));
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
const { ElicitRequestSchema } = require('@modelcontextprotocol/sdk/types.js');
const sdkVersion = JSON.parse(fs.readFileSync(path.join(sdkDir, '@modelcontextprotocol/sdk/package.json'), 'utf8')).version;

const aggregate = process.env.AIOS_SDK_AGGREGATE === '1';
const label = aggregate ? 'gateway /mcp' : mode.slice(2);
let passed = 0;
let failed = 0;

function ok(what) {
        passed++;
        console.log(`ok   ${label}: ${what}`);
}

function fail(what, why) {
        failed++;
        console.log(`FAIL ${label}: ${what}: ${why}`);
}

function textOf(result) {
        return (result?.content ?? [])
                .filter((c) => c.type === 'text')
                .map((c) => c.text)
                .join('');
}

// Runs one check; an exception or a returned string is its failure, a returned { note } goes with its ok.
async function check(what, body) {
        try {
                const problem = await body();
                if (typeof problem === 'string') fail(what, problem);
                else ok(problem?.note ? `${what} (${problem.note})` : what);
        } catch (error) {
                fail(what, error instanceof Error ? error.message : String(error));
        }
}

// The whole run is bounded: a server that never answers must not hang the test.
const deadline = setTimeout(() => {
        fail('run', 'did not finish within 60 s');
        console.log(`sdk-client ${label}: ${passed} passed, ${failed} failed`);
        process.exit(1);
}, 60_000);

const elicitationAnswer = { response: 'aios-sdk-test' };
const elicitations = [];
const client = new Client({ name: 'aios-sdk-test', version: '1.0.0' }, { capabilities: { elicitation: {} } });
client.setRequestHandler(ElicitRequestSchema, async (request) => {
        elicitations.push(request.params);
        return { action: 'accept', content: elicitationAnswer };
});

let transport;
if (mode === '--http') {
        transport = new StreamableHTTPClientTransport(new URL(target));
} else {
        const wrapper = (process.env.AIOS_SERVER_WRAPPER || '').split(/\s+/).filter(Boolean);
        const argv = [...wrapper, target, '--stdio', ...rest];
        transport = new StdioClientTransport({ command: argv[0], args: argv.slice(1), env: process.env, stderr: 'inherit' });
}

let connected = false;
await check(`connect with SDK ${sdkVersion}`, async () => {
        await client.connect(transport);
        connected = true;
        const server = client.getServerVersion();
        if (!server?.name) return 'the server sent no serverInfo';
        const protocol = transport.protocolVersion ? `, protocol ${transport.protocolVersion}` : '';
        return { note: `server ${server.name} ${server.version ?? ''}${protocol}` };
});

if (connected) {
        await check('tools/list names test_simple_text', async () => {
                const names = [];
                let cursor;
                do {
                        const page = await client.listTools(cursor ? { cursor } : {});
                        names.push(...page.tools.map((t) => t.name));
                        cursor = page.nextCursor;
                } while (cursor);
                if (!names.includes('test_simple_text')) return `not among ${names.length} tools: ${names.join(', ')}`;
                if (aggregate && !names.includes('second_test_simple_text'))
                        return `the second backend's second_test_simple_text is not among ${names.join(', ')}`;
                if (aggregate) return { note: `${names.length} tools from two backends` };
        });

        if (aggregate)
                await check('tools/call second_test_simple_text reaches the second backend', async () => {
                        const result = await client.callTool({ name: 'second_test_simple_text', arguments: {} });
                        if (result.isError || textOf(result) !== 'This is a simple text response for testing.')
                                return `unexpected result ${JSON.stringify(result)}`;
                });

        await check('tools/call test_simple_text', async () => {
                const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
                const text = textOf(result);
                if (result.isError || text !== 'This is a simple text response for testing.')
                        return `unexpected result ${JSON.stringify(result)}`;
        });

        await check('tools/call test_tool_with_progress reports progress', async () => {
                const progress = [];
                const result = await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, {
                        onprogress: (p) => progress.push(p),
                });
                if (result.isError) return `the tool failed: ${textOf(result)}`;
                if (progress.length < 2) return `${progress.length} progress notifications arrived, expected 3`;
                const values = progress.map((p) => p.progress);
                if (values.some((v, i) => i > 0 && v <= values[i - 1])) return `progress does not increase: ${values}`;
                // The server sends 0, 50 and 100 before the result. The SDK hands notifications to their handler
                // a tick later than responses, and forgets a request's progress handler once its response is in,
                // so the notification sent right before the result may not reach onprogress: 0 and 50 must.
                if (values[0] !== 0 || values[1] !== 50) return `progress ${values}, expected 0, 50 (, 100)`;
                if (progress.some((p) => p.total !== 100)) return `a total is not 100: ${JSON.stringify(progress)}`;
                return { note: `progress ${values.join(', ')} of ${progress.at(-1).total}` };
        });

        if (!aggregate) await check('resources/read test://static-text', async () => {
                const result = await client.readResource({ uri: 'test://static-text' });
                const [content] = result.contents;
                if (result.contents.length !== 1 || content.uri !== 'test://static-text' ||
                    content.text !== 'This is the content of the static text resource.')
                        return `unexpected contents ${JSON.stringify(result.contents)}`;
        });

        await check('tools/call test_elicitation asks the client and reports its answer', async () => {
                const message = 'Please tell aios something';
                const result = await client.callTool({ name: 'test_elicitation', arguments: { message } });
                if (elicitations.length !== 1) return `${elicitations.length} elicitation requests arrived, expected 1`;
                if (elicitations[0].message !== message)
                        return `the elicitation asked "${elicitations[0].message}", not "${message}"`;
                const text = textOf(result);
                const m = text.match(/^User response: action=accept, content=(.*)$/s);
                if (!m || !isDeepStrictEqual(JSON.parse(m[1]), elicitationAnswer))
                        return `the result does not carry the answer ${JSON.stringify(elicitationAnswer)}: ${text}`;
        });

        if (mode === '--http') {
                await check('DELETE ends the session', async () => {
                        await transport.terminateSession();
                        if (transport.sessionId !== undefined) return `the session ${transport.sessionId} is still set`;
                });
        }

        await check('close', async () => {
                await client.close();
        });
}

clearTimeout(deadline);
console.log(`sdk-client ${label}: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
