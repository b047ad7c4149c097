/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The web dashboard: its files at / and /web/, its JSON API at /api/v1/, and the cookie sessions of the
 * people signed in to it. */
#pragma once

#include <json-c/json.h>
#include <microhttpd.h>

#include "hashmap.h"
#include "mcp-http.h"

#define WEB_DIRECTORY_DEFAULT DATADIR "/aios/web"
/* The cookie that holds a dashboard session's token (never the key it was signed in with). */
#define WEB_SESSION_COOKIE "aios_session"
/* The header that state-changing requests of a cookie session carry, with the session's CSRF token. */
#define WEB_CSRF_HEADER "X-AIOS-CSRF"

typedef struct Gateway Gateway;
typedef struct Web Web;
typedef struct WebSessions WebSessions;
typedef struct AuditStream AuditStream;

struct Web {
        Gateway *gateway;
        Hashmap *files; /* URL path -> WebFile; NULL when there is no dashboard to serve */
        char *directory;
        WebSessions *sessions;
        AuditStream *streams; /* the live audit logs being followed */
        unsigned n_streams;
};

/* Reads the dashboard's files from directory (NULL: WEB_DIRECTORY_DEFAULT) into memory; a missing directory
 * means no dashboard (logged), which is no error. */
int web_new(Web **ret, Gateway *g, const char *directory);
/* Ends the live audit logs: before the HTTP servers stop, which must find no suspended connection. */
void web_stop_streams(Web *w);
Web *web_free(Web *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(Web *, web_free);
/* No audit log is being followed. */
bool web_is_idle(Web *w);

/* McpHttpRouter's other for the dashboard's URLs: the MHD result, or -1 when url is none of them. */
int web_route(Web *w, struct MHD_Connection *c, const char *url, const char *method);

/* A request to /mcp that comes with a session cookie and no Authorization header: 1 with the session's
 * principal and scopes (the key checked again, as a bearer token), 0 with *ret_refusal filled (the session
 * ended, or the CSRF header or Origin is wrong), -ENOENT when there is no session cookie, or -ENOMEM. */
int web_authenticate(Web *w, struct MHD_Connection *c, McpIdentity **ret_identity, McpHttpRefusal *ret_refusal);

/* Responses of the dashboard (web-response.c): its security headers (Content-Security-Policy, nosniff,
 * no-referrer, no framing) on every one of them. */
void web_add_security_headers(struct MHD_Response *r);
int web_respond(struct MHD_Connection *c, unsigned status, struct MHD_Response *r);
int web_respond_json(struct MHD_Connection *c, unsigned status, json_object *body);
/* {"error": message}, with the status. */
int web_respond_error(struct MHD_Connection *c, unsigned status, const char *format, ...) _printf_(3, 4);
int web_respond_empty(struct MHD_Connection *c, unsigned status, const char *allow);
/* Whether a request is from the gateway's own origin: an Origin header, when present, names the Host the
 * request came to, and Sec-Fetch-Site, when present, says same-origin. */
bool web_same_origin(struct MHD_Connection *c);
