/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The main() of every aios server: a server is its definition and, when it needs one, a setup step. */
#pragma once

#include "mcp-bus.h"
#include "mcp-server.h"

typedef struct McpServerMain {
        McpServerDefinition *definition; /* --bus-name= may change its bus_name */
        const char *summary;             /* one sentence for --help */
        /* Optional: called once the engine exists, before the transports start: tools added at run time,
         * timers. A negative errno stops the server. */
        int (*setup)(McpServer *server, void *userdata);
        void *userdata; /* the engine's userdata (mcp_server_get_userdata()) */
        /* Optional: whether work of the server's own (state it holds for clients beyond MCP sessions, children
         * it runs) keeps it from exiting when idle. */
        bool (*busy)(void *userdata);
        /* Optional: called once the server is on the system bus (not with --no-bus or --stdio), to export
         * interfaces of its own beside org.aios.MCP1 (aios-ided's org.aios.IDE1). bus lives until the loop
         * ends. A negative errno stops the server. */
        int (*bus_setup)(McpBus *bus, sd_bus *system_bus, void *userdata);
} McpServerMain;

/* Parses the options every server shares (--listen, --no-bus, --bus-name, --exit-idle-time, --stdio,
 * --allow-host, --max-body, --max-connections, --connection-timeout, --session-timeout,
 * --request-state-key, --log-level), serves on the system bus and/or HTTP (or stdio), loads the seccomp
 * allow-list named after the binary once set up, and runs the loop. Returns main()'s exit status. */
int mcp_server_main(int argc, char *argv[], const McpServerMain *m);
