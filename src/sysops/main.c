/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: system state, processes, systemd units and the journal, for agents. */
#include "info.h"
#include "journal.h"
#include "server-main.h"
#include "sysops.h"

static const McpResource resources[] = {
        { .uri = "system://info", .name = "system-info", .title = "System information",
          .description = "What system_info reports, as JSON", .mime_type = "application/json",
          .polkit_action = SYSOPS_ACTION_READ, .read = sysops_read_system_info },
        {}
};

static const McpResourceTemplate resource_templates[] = {
        { .uri_template = "journal://unit/{name}", .name = "journal-unit", .title = "A unit's journal",
          .description = "The last 100 journal lines of a unit (\".service\" added to a name without a suffix)",
          .mime_type = "text/plain",
          /* The journal is for the systemd-journal group: only a caller polkit vouched for reads it. */
          .polkit_action = SYSOPS_ACTION_READ, .polkit_required = true,
          .read = sysops_read_journal_unit },
        {}
};

static McpServerDefinition definition = {
        .name = "aios-sysopsd",
        .title = "aios system operations",
        .version = PROJECT_VERSION,
        .instructions = "Reads this machine's state (system, processes, disks, network, systemd units, the journal) "
                        "and controls systemd units, through the interfaces systemd and the kernel provide.",
        .resources = resources,
        .resource_templates = resource_templates,
        .prompts = sysops_prompts,
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
