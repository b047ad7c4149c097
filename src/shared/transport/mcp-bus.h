/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The D-Bus transport: org.aios.MCP1 at /org/aios/MCP1, on the system bus, for the gateway and busctl. */
#pragma once

#include <systemd/sd-bus.h>

#include "mcp-server.h"

#define MCP_BUS_PATH "/org/aios/MCP1"
#define MCP_BUS_INTERFACE "org.aios.MCP1"
#define MCP_CLIENT_BUS_PATH "/org/aios/MCPClient1"
#define MCP_CLIENT_BUS_INTERFACE "org.aios.MCPClient1"

typedef struct McpBus McpBus;

/* Connects to the system bus ($DBUS_SYSTEM_BUS_ADDRESS when set) and attaches it to event. */
int bus_open_system_attached(sd_event *event, sd_bus **ret);

/* Exports server on bus and asks for the server's bus name (def->bus_name). When the name cannot be had,
 * the loop exits with an error if required, else the server goes on without it. */
int mcp_bus_new(McpBus **ret, McpServer *server, sd_bus *bus, bool required);
McpBus *mcp_bus_free(McpBus *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(McpBus *, mcp_bus_free);

/* Whether the sender of m is a front end ($AIOS_FRONT_END_USERS, or the gateway's user; root too): a caller
 * whose word on the principal it acts for this server takes. 1 or 0, or a negative errno. For a server's own
 * interfaces beside org.aios.MCP1 (McpServerMain.bus_setup). */
int mcp_bus_sender_is_front_end(McpBus *b, sd_bus_message *m);

/* No calls in flight and no sessions. */
bool mcp_bus_is_idle(McpBus *b);
