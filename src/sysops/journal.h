/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the journal://unit/{name} resource template. */
#pragma once

#include "mcp-server.h"

/* Reads journal://unit/{name}: the last 100 journal lines of that unit (".service" when the name has no
 * suffix), oldest first, as text/plain. variables holds "name" (percent-encoding allowed). */
int sysops_read_journal_unit(McpRequest *req, const char *uri, json_object *variables);
