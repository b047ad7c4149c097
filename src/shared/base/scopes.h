/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scope grammar: what a space-separated list of scopes grants. The gateway checks it at its edge
 * (mcp-identity.h), and a server checks it where polkit cannot be asked (scope-rules.h). */
#pragma once

#include <stdbool.h>

/* Whether scopes grant kind ("tools", "resources", "prompts") on backend, for the object name (a tool or
 * prompt name, a URI; NULL or "" for the backend as a whole): "admin", "KIND:*", "KIND:BACKEND" or
 * "KIND:BACKEND:NAME". */
bool scopes_grant(const char *scopes, const char *kind, const char *backend, const char *name);
/* Whether scopes grant anything at all of kind on backend, also one name only (what a list shows). */
bool scopes_grant_any(const char *scopes, const char *kind, const char *backend);
/* Whether scopes hold the one scope exactly. */
bool scopes_contain(const char *scopes, const char *scope);
