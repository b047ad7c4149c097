/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Identities of requests and the scope grammar the gateway checks. */
#include <stdlib.h>
#include <string.h>

#include "mcp-identity.h"

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
        free(id);
        return NULL;
}

/* Whether the word [s, s + n) is prefix followed by rest exactly. */
static bool word_is(const char *s, size_t n, const char *prefix, const char *rest) {
        size_t p = strlen(prefix), r = strlen(rest);
        return n == p + r && memcmp(s, prefix, p) == 0 && memcmp(s + p, rest, r) == 0;
}

static bool scope_grants(const char *s, size_t n, const char *kind, const char *backend, const char *name,
        bool any_name) {
        char head[64];
        if (strlen(kind) + 2 > sizeof(head))
                return false;
        strcpy(head, kind);
        strcat(head, ":");
        if (word_is(s, n, "admin", "") || word_is(s, n, head, "*") || word_is(s, n, head, backend))
                return true;
        /* KIND:BACKEND:NAME */
        size_t h = strlen(head), b = strlen(backend);
        if (n <= h + b + 1 || memcmp(s, head, h) != 0 || memcmp(s + h, backend, b) != 0 || s[h + b] != ':')
                return false;
        if (any_name)
                return true;
        return name && word_is(s + h + b + 1, n - h - b - 1, name, "");
}

static bool scopes_match(const char *scopes, const char *kind, const char *backend, const char *name, bool any_name) {
        if (!scopes || !kind || !backend)
                return false;
        for (const char *s = scopes; *s;) {
                size_t skip = strspn(s, " ");
                s += skip;
                size_t n = strcspn(s, " ");
                if (n > 0 && scope_grants(s, n, kind, backend, name, any_name))
                        return true;
                s += n;
        }
        return false;
}

bool mcp_scopes_allow(const char *scopes, const char *kind, const char *backend, const char *name) {
        return scopes_match(scopes, kind, backend, name, false);
}

bool mcp_scopes_allow_any(const char *scopes, const char *kind, const char *backend) {
        return scopes_match(scopes, kind, backend, NULL, true);
}
