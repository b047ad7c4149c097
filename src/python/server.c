/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-pythond: its whole surface: the tool families and the resource template, as shipped. */
#include "python.h"

const McpTool *const python_tool_families[] = { python_run_tools, python_session_tools, python_file_tools, NULL };

int python_add_tools(McpServer *server) {
        for (const McpTool *const *family = python_tool_families; *family; family++)
                for (const McpTool *t = *family; t->name; t++) {
                        int r = mcp_server_add_tool(server, t);
                        if (r < 0)
                                return r;
                }
        return 0;
}
