/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-conformanced: the fixtures of the MCP conformance suite, over D-Bus, HTTP or stdio. */
#include "conformance.h"
#include "log.h"
#include "server-main.h"

static McpServerDefinition definition = {
        .name = "aios-conformanced",
        .title = "aios conformance fixtures",
        .version = PROJECT_VERSION,
        .instructions =
                "Fixture server for the MCP conformance suite: every tool, resource and prompt answers as the suite expects.",
        .tools = conformance_tools,
        .resources = conformance_resources,
        .resource_templates = conformance_resource_templates,
        .prompts = conformance_prompts,
        .bus_name = "org.aios.Conformance1",
};

static int on_watched_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        mcp_server_notify_resource_updated(userdata, "test://watched-resource");
        (void) sd_event_source_set_time_relative(s, 3 * USEC_PER_SEC);
        return 0;
}

static int setup(McpServer *server, void *userdata) {
        /* The tools that ask the client for input are added at run time, as a server's dynamic tools are. */
        for (const McpTool *t = conformance_input_tools; t->name; t++) {
                int r = mcp_server_add_tool(server, t);
                if (r < 0)
                        return r;
        }

        /* test://watched-resource changes every 3 seconds; the loop owns the timer. */
        int r = sd_event_add_time_relative(mcp_server_get_event(server), NULL, CLOCK_MONOTONIC, 3 * USEC_PER_SEC,
                USEC_PER_SEC, on_watched_tick, server);
        if (r < 0)
                return log_error_errno(r, "Failed to add a timer: %m");
        return 0;
}

int main(int argc, char *argv[]) {
        static const McpServerMain m = {
                .definition = &definition,
                .summary = "Serves the MCP conformance suite's fixtures.",
                .setup = setup,
        };
        return mcp_server_main(argc, argv, &m);
}
