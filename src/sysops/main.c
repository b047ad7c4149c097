/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: system state, processes, systemd units and the journal, for agents. */
#include "server-main.h"
#include "sysops.h"
#include "systemd-bus.h"

static McpServerDefinition definition = {
        .name = "aios-sysopsd",
        .title = "aios system operations",
        .version = PROJECT_VERSION,
        .instructions = "Reads this machine's state (system, processes, disks, network, systemd units, the journal) "
                        "and controls systemd units, through the interfaces systemd and the kernel provide.",
        .resources = sysops_resources,
        .resource_templates = sysops_resource_templates,
        .prompts = sysops_prompts,
        .bus_name = "org.aios.SystemOps1",
};

static SysopsContext context;

static int setup(McpServer *server, void *userdata) {
        int r = sysops_context_init(&context);
        if (r < 0)
                return r;
        return sysops_add_tools(server);
}

int main(int argc, char *argv[]) {
        static const McpServerMain m = {
                .definition = &definition,
                .summary = "Serves system operations over MCP: system state, processes, units, the journal.",
                .setup = setup,
                .userdata = &context,
        };
        int r = mcp_server_main(argc, argv, &m);
        sysops_context_done(&context);
        return r;
}
