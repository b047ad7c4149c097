/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-actionsd: GitHub Actions for agents (workflows, runs, jobs, logs, dispatch), with the token kept here. */
#include "actions.h"
#include "server-main.h"

static McpServerDefinition definition = {
        .name = "aios-actionsd",
        .title = "aios GitHub Actions",
        .version = PROJECT_VERSION,
        .instructions = "GitHub Actions of the repositories this server's administrator allows: workflows, runs, "
                        "jobs, logs and artifacts, and (unless the server is read-only) running, re-running and "
                        "cancelling workflows. Repositories are named OWNER/NAME.",
        .bus_name = "org.aios.GitHubActions1",
};

static ActionsContext context;

static int setup(McpServer *server, void *userdata) {
        int r = actions_context_init(&context, mcp_server_get_event(server), NULL);
        if (r < 0)
                return r;
        return actions_add_tools(server, &context);
}

int main(int argc, char *argv[]) {
        static const McpServerMain m = {
                .definition = &definition,
                .summary = "Serves GitHub Actions over MCP: workflows, runs, jobs, logs, dispatch.",
                .setup = setup,
                .userdata = &context,
        };
        int r = mcp_server_main(argc, argv, &m);
        actions_context_done(&context);
        return r;
}
