/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the handlers of system_info, system_disk_usage and system_network, for their table (info-tools.c). */
#pragma once

#include "mcp-server.h"

int tool_system_info(McpRequest *req, json_object *args);       /* info.c */
int tool_system_disk_usage(McpRequest *req, json_object *args); /* disks.c */
int tool_system_network(McpRequest *req, json_object *args);    /* network.c */
