/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-browserd: its whole surface, the table of its tools; their schemas are in schemas/. */
#include "browser.h"
#include "schemas.h"

#define READ_ONLY "{\"readOnlyHint\":true,\"idempotentHint\":true,\"openWorldHint\":true}"
#define ACTS "{\"readOnlyHint\":false,\"destructiveHint\":false,\"idempotentHint\":false,\"openWorldHint\":true}"

const McpTool browser_tools[] = {
        { .name = "browser_navigate",
                .title = "Open a page",
                .description = "Opens an http:// or https:// URL in this session's current tab and waits for it to "
                               "load (at most NavigationTimeoutSec=, default 30 s). Every request the page makes is "
                               "checked against the administrator's origin policy; a refused origin is an error "
                               "that says why. file:, data:, javascript:, chrome: and devtools: URLs are refused.",
                .input_schema = browser_schema_browser_navigate_input,
                .output_schema = browser_schema_browser_page_output,
                .annotations = ACTS,
                .polkit_action = BROWSER_ACTION_NAVIGATE,
                .polkit_detail_argument = "url",
                .polkit_required = true,
                .handler = tool_browser_navigate },
        { .name = "browser_navigate_back",
                .title = "Go back",
                .description = "Goes back to the previous page of the current tab's history.",
                .input_schema = browser_schema_browser_none_input,
                .output_schema = browser_schema_browser_page_output,
                .annotations = ACTS,
                .polkit_action = BROWSER_ACTION_NAVIGATE,
                .polkit_required = true,
                .handler = tool_browser_navigate_back },
        { .name = "browser_snapshot",
                .title = "Page snapshot",
                .description =
                        "The current page as an accessibility tree in YAML-like lines (- role \"name\" [ref=e12]); "
                        "every element one can act on has a ref for the other tools. At most max_chars characters "
                        "(default 20000) and depth levels (default 40): what was left out is said at the end, with "
                        "how to ask for it; ref= shows the part below one element.",
                .input_schema = browser_schema_browser_snapshot_input,
                .output_schema = browser_schema_browser_snapshot_output,
                .annotations = READ_ONLY,
                .polkit_action = BROWSER_ACTION_READ,
                .polkit_required = true,
                .handler = tool_browser_snapshot },
        {}
};

int browser_add_tools(McpServer *server, bool file_upload) {
        for (const McpTool *t = browser_tools; t->name; t++) {
                int r = mcp_server_add_tool(server, t);
                if (r < 0)
                        return r;
        }
        return 0;
}
