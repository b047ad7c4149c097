/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Identities of requests and the scope grammar the gateway checks. */
#include <stdlib.h>
#include <string.h>

#include "mcp-identity.h"
#include "scopes.h"

int mcp_identity_new(McpIdentity **ret, const char *principal, const char *scopes) {
        assert(principal);
        McpIdentity *id = new0(McpIdentity, 1);
        if (!id)
                return -ENOMEM;
        id->n_ref = 1;
        id->principal = strdup(principal);
        id->scopes = strdup(strempty(scopes));
        if (!id->principal || !id->scopes) {
                mcp_identity_unref(id);
                return -ENOMEM;
        }
        *ret = id;
        return 0;
}

McpIdentity *mcp_identity_ref(McpIdentity *id) {
        if (id)
                id->n_ref++;
        return id;
}

McpIdentity *mcp_identity_unref(McpIdentity *id) {
        if (!id || --id->n_ref > 0)
                return NULL;
        free(id->principal);
        free(id->scopes);
        free(id->backend);
        free(id);
        return NULL;
}

bool mcp_scopes_allow(const char *scopes, const char *kind, const char *backend, const char *name) {
        return scopes_grant(scopes, kind, backend, name);
}

bool mcp_scopes_allow_any(const char *scopes, const char *kind, const char *backend) {
        return scopes_grant_any(scopes, kind, backend);
}
