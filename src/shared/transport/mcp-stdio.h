/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* MCP over stdio: newline-delimited JSON-RPC on stdin and stdout, one session; logs go to stderr. */
#pragma once

#include "mcp-server.h"

typedef struct McpStdio McpStdio;

/* Reads in_fd and writes out_fd; the event loop exits when in_fd reaches end of file and every answer is
 * written. max_line: longer lines are answered with a parse error and skipped. */
int mcp_stdio_new(McpStdio **ret, McpServer *server, int in_fd, int out_fd, size_t max_line);
McpStdio *mcp_stdio_free(McpStdio *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(McpStdio *, mcp_stdio_free);
