/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Protocol revisions and log level names. */
#include "mcp-protocol.h"

const char *const mcp_session_versions[] = {
        MCP_VERSION_2025_11_25,
        MCP_VERSION_2025_06_18,
        MCP_VERSION_2025_03_26,
        NULL,
};

bool mcp_version_is_supported(const char *version) {
        if (!version)
                return false;
        for (const char *const *v = mcp_session_versions; *v; v++)
                if (streq(*v, version))
                        return true;
        return false;
}

bool mcp_version_is_stateless(const char *version) {
        return streq_ptr(version, MCP_VERSION_STATELESS);
}

bool mcp_version_at_least(const char *version, const char *than) {
        /* Revisions are dates in ISO 8601 form, so they order as strings. */
        return version && strcmp(version, than) >= 0;
}

bool mcp_version_allows_batches(const char *version) {
        return !mcp_version_at_least(version, MCP_VERSION_2025_06_18);
}

static const char *const log_level_names[_MCP_LOG_MAX] = {
        [MCP_LOG_DEBUG] = "debug",
        [MCP_LOG_INFO] = "info",
        [MCP_LOG_NOTICE] = "notice",
        [MCP_LOG_WARNING] = "warning",
        [MCP_LOG_ERROR] = "error",
        [MCP_LOG_CRITICAL] = "critical",
        [MCP_LOG_ALERT] = "alert",
        [MCP_LOG_EMERGENCY] = "emergency",
};

const char *mcp_log_level_to_string(McpLogLevel l) {
        if (l < 0 || l >= _MCP_LOG_MAX)
                return NULL;
        return log_level_names[l];
}

McpLogLevel mcp_log_level_from_string(const char *s) {
        if (!s)
                return _MCP_LOG_INVALID;
        for (int i = 0; i < _MCP_LOG_MAX; i++)
                if (streq(log_level_names[i], s))
                        return i;
        return _MCP_LOG_INVALID;
}
