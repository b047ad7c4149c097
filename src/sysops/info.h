/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the system://info resource. The facts about this machine the other families use are in sysops-util.h.
 */
#pragma once

#include "mcp-server.h"

/* Reads system://info: what system_info answers, as one application/json text resource. */
int sysops_read_system_info(McpRequest *req, const char *uri, json_object *variables);
