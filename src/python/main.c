/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-pythond: runs untrusted Python in sandboxes, one-shot or in persistent sessions, from a warm pool. */
#include "log.h"
#include "python.h"
#include "server-main.h"

static McpServerDefinition definition = {
        .name = "aios-pythond",
        .title = "aios Python",
        .version = PROJECT_VERSION,
        .instructions = "Runs Python 3 code in sandboxes without network or access to the host: python_run for "
                        "one-shot code, python_session_* for state that lasts between runs, python_file_* for a "
                        "session's files, python_packages for what can be imported.",
        .resource_templates = python_resource_templates,
        .bus_name = "org.aios.Python1",
};

static PythonContext context;

static int setup(McpServer *server, void *userdata) {
        int r = python_config_load(&context.config);
        if (r < 0)
                return r;
        r = python_context_init(&context, server);
        if (r < 0)
                return r;
        return python_add_tools(server);
}

int main(int argc, char *argv[]) {
        static const McpServerMain m = {
                .definition = &definition,
                .summary = "Serves sandboxed Python over MCP: one-shot runs, sessions, their files, the packages.",
                .setup = setup,
                .userdata = &context,
                .busy = python_context_busy,
        };
        int r = mcp_server_main(argc, argv, &m);
        python_context_done(&context);
        return r;
}
