/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-ided: its whole surface, the tool families as shipped. */
#include "ide.h"

const McpTool *const ide_tool_families[] = {
        ide_file_tools,
        ide_change_tools,
        ide_tree_tools,
        ide_search_tools,
        ide_git_tools,
        ide_git_write_tools,
        ide_run_tools,
        NULL,
};

int ide_add_tools(McpServer *server) {
        for (const McpTool *const *family = ide_tool_families; *family; family++)
                for (const McpTool *t = *family; t->name; t++) {
                        int r = mcp_server_add_tool(server, t);
                        if (r < 0)
                                return r;
                }
        return 0;
}
