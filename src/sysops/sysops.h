/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the tables of its tools, resources and prompts, one family per file. */
#pragma once

#include "mcp-server.h"

/* polkit actions (polkit/org.aios.policy). */
#define SYSOPS_ACTION_READ "org.aios.system.read"
#define SYSOPS_ACTION_MANAGE_UNITS "org.aios.system.manage-units"

/* Each family's table ends with an entry whose name is NULL. */
extern const McpTool sysops_info_tools[];    /* info-tools.c: system_info, system_disk_usage, system_network */
extern const McpTool sysops_process_tools[]; /* processes.c: system_processes */
extern const McpTool sysops_journal_tools[]; /* journal.c: system_journal */
extern const McpTool sysops_unit_tools[];    /* units-tools.c: system_units, system_unit_status, system_unit_control */
extern const McpPrompt sysops_prompts[];     /* prompts.c: diagnose_failed_unit */

/* server.c: the resources and templates of the server's definition, every tool family (NULL-terminated), and
 * adding them all to a server. */
extern const McpResource sysops_resources[];
extern const McpResourceTemplate sysops_resource_templates[];
extern const McpTool *const sysops_tool_families[];
int sysops_add_tools(McpServer *server);
