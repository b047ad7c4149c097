/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Protocol revisions and log levels of MCP. */
#pragma once

#include "macro.h"

#define MCP_VERSION_2025_03_26 "2025-03-26"
#define MCP_VERSION_2025_06_18 "2025-06-18"
#define MCP_VERSION_2025_11_25 "2025-11-25"
#define MCP_VERSION_2026_07_28 "2026-07-28"
#define MCP_VERSION_LATEST_SESSION MCP_VERSION_2025_11_25
/* The revision without sessions: every request carries its version and the client's capabilities. */
#define MCP_VERSION_STATELESS MCP_VERSION_2026_07_28

/* Error codes MCP adds to JSON-RPC's (2026-07-28). */
#define MCP_ERROR_HEADER_MISMATCH -32020
#define MCP_ERROR_MISSING_CAPABILITY -32021
#define MCP_ERROR_UNSUPPORTED_VERSION -32022
/* aios: polkit (or the gateway's scopes) refused the caller. In the implementation-defined server range. */
#define MCP_ERROR_ACCESS_DENIED -32003
/* A request refused by a rate limit; its data carries "retryAfter" (seconds). Over HTTP: 429 with
 * Retry-After. */
#define MCP_ERROR_RATE_LIMITED -32029
/* aios: a request refused because the server (or the gateway's way to it) has all the work in progress it
 * takes; nothing is wrong with the request or its sender, and the same request may succeed in a moment. Its
 * data carries "retryAfter" (seconds). Not MCP_ERROR_RATE_LIMITED: that one is about the sender (HTTP 429),
 * this one about the server (HTTP 503 with Retry-After on the stateless wire). */
#define MCP_ERROR_SERVER_BUSY -32030
/* The seconds a client is asked to wait before it tries a busy server again. */
#define MCP_SERVER_BUSY_RETRY_AFTER 1

/* The _meta keys of the stateless wire. */
#define MCP_META_PROTOCOL_VERSION "io.modelcontextprotocol/protocolVersion"
#define MCP_META_CLIENT_CAPABILITIES "io.modelcontextprotocol/clientCapabilities"
#define MCP_META_CLIENT_INFO "io.modelcontextprotocol/clientInfo"
#define MCP_META_LOG_LEVEL "io.modelcontextprotocol/logLevel"
#define MCP_META_SERVER_INFO "io.modelcontextprotocol/serverInfo"
#define MCP_META_SUBSCRIPTION_ID "io.modelcontextprotocol/subscriptionId"
/* Without an MCP-Protocol-Version header, Streamable HTTP assumes this revision. */
#define MCP_VERSION_HTTP_DEFAULT MCP_VERSION_2025_03_26

/* The revisions negotiated with initialize, newest first. NULL-terminated. */
extern const char *const mcp_session_versions[];

bool mcp_version_is_supported(const char *version);
bool mcp_version_is_stateless(const char *version);
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
