/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /mcp: the tools of every backend behind one endpoint, routed by name. */
#pragma once

#include "backend.h"

int aggregate_new(Gateway *g, Aggregate **ret);
Aggregate *aggregate_free(Aggregate *a);
McpServer *aggregate_server(Aggregate *a);

/* Offers b's tools as b->tools has them now (NULL: none), or drops them. */
void aggregate_refresh(Aggregate *a, Backend *b);
void aggregate_drop(Aggregate *a, Backend *b);
/* The backend that serves kind ("tools", "prompts", "resources" or "resourceTemplates") name on /mcp, and
 * the name at that backend in *ret_backend_name; NULL when no backend offers it. */
Backend *aggregate_target(Aggregate *a, const char *kind, const char *name, const char **ret_backend_name);
