/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-ided: workspaces an agent can read, edit, search and version, and never leave. */
#include "ide.h"
#include "log.h"
#include "server-main.h"

static McpServerDefinition definition = {
        .name = "aios-ided",
        .title = "aios IDE",
        .version = PROJECT_VERSION,
        .instructions = "Works in the workspaces the administrator configured (every tool takes the workspace's "
                        "name and paths relative to it): ide_read_file, ide_list_directory, ide_find_files and "
                        "ide_search to look around; ide_edit_file (old/new text edits, with a diff) and "
                        "ide_write_file to change files; ide_delete moves to a trash that ide_restore undoes; "
                        "ide_git_* for the repository.",
        .resource_templates = ide_resource_templates,
        .bus_name = "org.aios.IDE1",
};

static IdeContext context;

static int setup(McpServer *server, void *userdata) {
        int r = ide_config_load(&context.config, NULL);
        if (r < 0)
                return r;
        r = ide_context_init(&context, server);
        if (r < 0)
                return r;
        return ide_add_tools(server);
}

int main(int argc, char *argv[]) {
        static const McpServerMain m = {
                .definition = &definition,
                .summary = "Serves workspaces over MCP: files, edits, search and git, confined to each workspace.",
                .setup = setup,
                .userdata = &context,
                .busy = ide_context_busy,
                .bus_setup = ide_context_bus_setup,
        };
        int r = mcp_server_main(argc, argv, &m);
        ide_context_done(&context);
        return r;
}
