/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the dashboard's parts share: its files, its sessions, and the handlers of its API. */
#pragma once

#include "auth-bearer.h"
#include "web-files.h"
#include "web.h"

/* Sessions (web-session.c). Each holds the credential it was signed in with, in memory only, to check it
 * again on every request: a revoked or expired key ends its sessions at once. */
#define WEB_SESSION_IDLE_USEC (2 * 3600 * USEC_PER_SEC)
#define WEB_SESSION_LIFETIME_USEC (12 * 3600 * USEC_PER_SEC)
#define WEB_SESSIONS_MAX 1024

int web_sessions_new(WebSessions **ret);
WebSessions *web_sessions_free(WebSessions *s);

/* Who a dashboard request comes from: the bearer credential when there is one, else the session cookie
 * (with the CSRF header and the Origin checked when csrf is true), else the local socket's peer or
 * anonymous, as for /mcp. 1 with *ret_identity, 0 after a refusal was answered on c (*ret_result holds the
 * MHD result), or -ENOMEM. */
int web_identify(Web *w, struct MHD_Connection *c, bool csrf, McpIdentity **ret_identity, int *ret_result);
bool web_scopes_have(const char *scopes, const char *scope);

/* /api/v1/session: GET (who is signed in, and the CSRF token), POST (sign in, the key in Authorization),
 * DELETE (sign out). */
int web_session_route(Web *w, struct MHD_Connection *c, const char *method);
/* /api/v1/keys[/ID]: the API keys, for the admin scope. */
int web_keys_route(Web *w, struct MHD_Connection *c, const char *method, const char *id);
/* /api/v1/audit: the audit records, as server-sent events, for the admin scope. */
int web_audit_route(Web *w, struct MHD_Connection *c, const char *method);
