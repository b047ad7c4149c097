/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Protocol revisions and log levels of MCP. */
#pragma once

#include "macro.h"

#define MCP_VERSION_2025_03_26 "2025-03-26"
#define MCP_VERSION_2025_06_18 "2025-06-18"
#define MCP_VERSION_2025_11_25 "2025-11-25"
#define MCP_VERSION_LATEST_SESSION MCP_VERSION_2025_11_25
/* Without an MCP-Protocol-Version header, Streamable HTTP assumes this revision. */
#define MCP_VERSION_HTTP_DEFAULT MCP_VERSION_2025_03_26

/* The revisions negotiated with initialize, newest first. NULL-terminated. */
extern const char *const mcp_session_versions[];

bool mcp_version_is_supported(const char *version);
/* Revisions before 2025-06-18 allow JSON-RPC batches. */
bool mcp_version_allows_batches(const char *version);
/* Revisions from 2025-06-18 on know structuredContent, outputSchema, title, elicitation ... */
bool mcp_version_at_least(const char *version, const char *than);

typedef enum McpLogLevel {
        MCP_LOG_DEBUG,
        MCP_LOG_INFO,
        MCP_LOG_NOTICE,
        MCP_LOG_WARNING,
        MCP_LOG_ERROR,
        MCP_LOG_CRITICAL,
        MCP_LOG_ALERT,
        MCP_LOG_EMERGENCY,
        _MCP_LOG_MAX,
        _MCP_LOG_INVALID = -EINVAL,
} McpLogLevel;

const char *mcp_log_level_to_string(McpLogLevel l);
McpLogLevel mcp_log_level_from_string(const char *s);
