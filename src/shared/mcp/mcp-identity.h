/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who a request comes from, as the transport authenticated it: a principal and the scopes it was granted. */
#pragma once

#include <sys/types.h>

#include "macro.h"

/* The principal of a request that carried no credentials. */
#define MCP_PRINCIPAL_ANONYMOUS "anonymous"

typedef struct McpIdentity {
        unsigned n_ref;
        char *principal; /* "anonymous", "key:NAME", "unix-user:NAME", or a token's subject */
        char *scopes;    /* space-separated: "tools:*", "tools:BACKEND", "tools:BACKEND:TOOL", "admin", ... */
        char *backend;   /* the front end's name for this server, which its scopes use, when a front end named the
                          * principal over HTTP (mcp-http.h); NULL otherwise */
        pid_t pid;       /* a local client's process (SO_PEERCRED), for polkit to decide for it; 0: none */
        uid_t uid;
} McpIdentity;

int mcp_identity_new(McpIdentity **ret, const char *principal, const char *scopes);
McpIdentity *mcp_identity_ref(McpIdentity *id);
McpIdentity *mcp_identity_unref(McpIdentity *id);
DEFINE_TRIVIAL_CLEANUP_FUNC(McpIdentity *, mcp_identity_unref);

/* Whether the space-separated scopes grant kind ("tools", "resources", "prompts") on backend, for the object
 * name (a tool or prompt name, a URI; NULL for the backend as a whole): "admin", "KIND:*", "KIND:BACKEND" or
 * "KIND:BACKEND:NAME". */
bool mcp_scopes_allow(const char *scopes, const char *kind, const char *backend, const char *name);
/* Whether the scopes grant anything at all of kind on backend (what a list shows). */
bool mcp_scopes_allow_any(const char *scopes, const char *kind, const char *backend);
