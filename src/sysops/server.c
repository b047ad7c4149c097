/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: its whole surface: the resources, the resource templates and the tool families, as shipped. */
#include "info.h"
#include "journal.h"
#include "sysops.h"

const McpResource sysops_resources[] = { { .uri = "system://info",
                                                 .name = "system-info",
                                                 .title = "System information",
                                                 .description = "What system_info reports, as JSON",
                                                 .mime_type = "application/json",
                                                 .polkit_action = SYSOPS_ACTION_READ,
                                                 .read = sysops_read_system_info },
        {} };

const McpResourceTemplate sysops_resource_templates[] = {
        { .uri_template = "journal://unit/{name}",
                .name = "journal-unit",
                .title = "A unit's journal",
                .description = "The last 100 journal lines of a unit (\".service\" added to a name without a suffix)",
                .mime_type = "text/plain",
                /* The journal is for the systemd-journal group: only a caller polkit vouched for reads it. */
                .polkit_action = SYSOPS_ACTION_READ,
                .polkit_required = true,
                .read = sysops_read_journal_unit },
        {}
};

const McpTool *const sysops_tool_families[] = { sysops_info_tools, sysops_process_tools, sysops_journal_tools,
        sysops_unit_tools, NULL };

int sysops_add_tools(McpServer *server) {
        for (const McpTool *const *family = sysops_tool_families; *family; family++)
                for (const McpTool *t = *family; t->name; t++) {
                        int r = mcp_server_add_tool(server, t);
                        if (r < 0)
                                return r;
                }
        return 0;
}
