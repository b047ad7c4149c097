-- wrk script: MCP tools/call over Streamable HTTP in one session, a new JSON-RPC id for every request.
-- Set by bench/tools-call.sh through the environment:
--   MCP_SESSION_ID  the session, from the Mcp-Session-Id header of the initialize answer
--   MCP_TOOL        the tool to call (default test_simple_text)
--   MCP_ARGUMENTS   its arguments, as JSON (default {})
--   MCP_ID_BASE     the first request id; runs in one session must not overlap, ids are unique per session
--   MCP_TOOLS       optional: tools separated by spaces, called in turn instead of MCP_TOOL (each with MCP_ARGUMENTS)
-- done() prints one line, "BENCH key=value ...", for the shell script to read.

local session = os.getenv("MCP_SESSION_ID")
local tool = os.getenv("MCP_TOOL") or "test_simple_text"
local arguments = os.getenv("MCP_ARGUMENTS") or "{}"
local id_base = tonumber(os.getenv("MCP_ID_BASE") or "1000000000")
local tools = {}
for name in string.gmatch(os.getenv("MCP_TOOLS") or "", "%S+") do
        tools[#tools + 1] = name
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
wrk.headers["Mcp-Session-Id"] = session
-- MCP_AUTHORIZATION: an Authorization header value (a bearer API key), when the endpoint wants one.
local authorization = os.getenv("MCP_AUTHORIZATION")
if authorization and authorization ~= "" then
        wrk.headers["Authorization"] = authorization
end

local threads = 0
function setup(thread)
        thread:set("thread_index", threads)
        threads = threads + 1
end

local next_id
function init(args)
        -- thread_index was set by setup() in this thread's Lua state
        next_id = id_base + thread_index * 100000000
end

function request()
        next_id = next_id + 1
        local name = tool
        if #tools > 0 then
                name = tools[next_id % #tools + 1]
        end
        return wrk.format(nil, nil, nil, string.format(
                '{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"%s","arguments":%s}}',
                next_id, name, arguments))
end

function done(summary, latency, requests)
        local e = summary.errors
        io.write(string.format(
                "BENCH requests=%d seconds=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
                "connect_errors=%d read_errors=%d write_errors=%d non2xx=%d timeouts=%d\n",
                summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
                latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
                e.connect, e.read, e.write, e.status, e.timeout))
end
