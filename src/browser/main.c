/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-browserd: a headless Chromium for agents, driven over the DevTools protocol on a pipe, one browser context
 * per session, every request of every page checked against the origin policy. */
#include "browser.h"
#include "server-main.h"

Browser browser_context;

/* Only the end of a session matters here: its browser context is disposed. */
static const McpRelay session_end = {
        .session_closed = browser_session_close_mcp,
};

static McpServerDefinition definition = {
        .name = "aios-browserd",
        .title = "aios browser",
        .version = PROJECT_VERSION,
        .instructions =
                "A headless Chromium of your own (cookies, storage and tabs are this session's alone). "
                "browser_navigate opens a page, browser_snapshot shows it as an accessibility tree whose "
                "interactive elements carry refs (b12) that browser_click, browser_type and the other tools take. "
                "Snapshots keep to a character budget and say what they left out; ask for a part with ref=. The "
                "administrator's origin policy applies to every request a page makes.",
        .bus_name = "org.aios.Browser1",
        .relay = &session_end,
};

static int setup(McpServer *server, void *userdata) {
        /* Before the seccomp filter: the launcher forked here runs the browser under a filter of its own. */
        int r = browser_init(&browser_context, server, NULL);
        if (r < 0)
                return r;
        return browser_add_tools(server);
}

int main(int argc, char *argv[]) {
        static const McpServerMain m = {
                .definition = &definition,
                .summary = "Serves a headless browser over MCP: pages, snapshots, input, screenshots, PDF.",
                .setup = setup,
                .userdata = &browser_context,
                .busy = browser_busy,
        };
        int r = mcp_server_main(argc, argv, &m);
        browser_done(&browser_context);
        return r;
}
