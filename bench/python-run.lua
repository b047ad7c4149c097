-- wrk script for bench/python-run.sh: the requests of bench/tools-call.lua (MCP tools/call in one session),
-- and a count of the answers that are not a finished run ("status":"ok" in the result), which wrk alone
-- would count as successes (a tool error is HTTP 200 too). done() adds "bad=N" to the BENCH line.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "tools-call.lua")

local threads_seen = {}
local setup_calls = setup
function setup(thread)
        setup_calls(thread)
        table.insert(threads_seen, thread)
end

bad = 0
function response(status, headers, body)
        if status ~= 200 or not body:find('"status":"ok"', 1, true) then
                bad = bad + 1
        end
end

local done_calls = done
function done(summary, latency, requests)
        local n = 0
        for _, thread in ipairs(threads_seen) do
                n = n + (thread:get("bad") or 0)
        end
        -- tools-call.lua's line, with bad= before its newline.
        local write = io.write
        io.write = function(line)
                write((line:gsub("\n$", string.format(" bad=%d\n", n))))
        end
        done_calls(summary, latency, requests)
        io.write = write
end
