/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bounds on what a request may carry into the engine: names and URIs it looks up or keeps, cursors,
 * progress tokens, subscriptions, requests in flight, what initialize stores for the session's lifetime. */
#pragma once

#include "json-util.h"

#define MCP_MAX_NAME_LENGTH 1024U                      /* a tool's or a prompt's name, in bytes */
#define MCP_MAX_URI_LENGTH (8U * 1024U)                /* a resource URI, in bytes */
#define MCP_MAX_CURSOR_LENGTH (4U * 1024U)             /* a list cursor, in bytes */
#define MCP_MAX_PROGRESS_TOKEN_LENGTH 1024U            /* a string progressToken, in bytes */
#define MCP_MAX_SUBSCRIPTIONS 1000U                    /* per session (resources/subscribe), per listen request */
#define MCP_MAX_REQUESTS_IN_FLIGHT 256U                /* per session: each holds its message until answered */
#define MCP_MAX_CLIENT_INFO_SIZE (16U * 1024U)         /* initialize's clientInfo, serialized */
#define MCP_MAX_CLIENT_CAPABILITIES_SIZE (64U * 1024U) /* initialize's capabilities, serialized */

/* Checks the request's params against the bounds above, and that no name or URI holds a NUL (which C
 * strings would cut short: "a\u0000b" must not run "a"). Types are the methods' business; this looks only
 * at what has the right type. Returns 0 when all is within bounds, -EINVAL with *ret_message (a new
 * string, for a -32602 answer) when not, or -ENOMEM. */
int mcp_params_check(const char *method, json_object *params, char **ret_message);
