/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: system state, processes, systemd units and the journal, for agents. */
#include "info.h"
#include "server-main.h"
#include "sysops.h"

/* What any local user can read anyway (/proc, os-release): no polkit check, as for every resource. The
 * journal://unit/{name} template waits for resources with polkit actions, since the journal is not. */
static const McpResource resources[] = {
        { .uri = "system://info", .name = "system-info", .title = "System information",
          .description = "What system_info reports, as JSON", .mime_type = "application/json",
          .read = sysops_read_system_info },
        {}
};

static McpServerDefinition definition = {
        .name = "aios-sysopsd",
        .title = "aios system operations",
        .version = PROJECT_VERSION,
        .instructions = "Reads this machine's state (system, processes, disks, network, systemd units, the journal) "
                        "and controls systemd units, through the interfaces systemd and the kernel provide.",
        .resources = resources,
        .bus_name = "org.aios.SystemOps1",
};

static int setup(McpServer *server, void *userdata) {
        const McpTool *const families[] = {
                sysops_info_tools,
                sysops_process_tools,
                sysops_journal_tools,
                sysops_unit_tools,
        };
        FOREACH_ELEMENT(family, families)
                for (const McpTool *t = *family; t->name; t++) {
                        int r = mcp_server_add_tool(server, t);
                        if (r < 0)
                                return r;
                }
        return 0;
}

int main(int argc, char *argv[]) {
        static const McpServerMain m = {
                .definition = &definition,
                .summary = "Serves system operations over MCP: system state, processes, units, the journal.",
                .setup = setup,
        };
        return mcp_server_main(argc, argv, &m);
}
