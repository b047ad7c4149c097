/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a front end (the gateway) says about the caller it acts for, over D-Bus (mcp-bus.c) or HTTP (mcp-http.c):
 * the check of each field it names, and the details an authorization check of that caller gets. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Printable ASCII only (spaces too where spaces is set), at most max characters; NULL is fine. What a front end
 * names reaches logs and the rules, where a newline or a NUL could forge a line or a match. */
bool caller_field_ok(const char *v, size_t max, bool spaces);

/* Fills details (max entries, NULL-terminated key/value pairs) with "tool" (tool, or "" for resources and
 * prompts), then "principal", "scopes" and "backend" where set, then the check's own details: one of those four
 * names among them is dropped, so that a tool's detail cannot stand in for what the transport says. */
void caller_details(const char *tool, const char *principal, const char *scopes, const char *backend,
        const char *const *own, const char **details, size_t max);
