/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* MCP's Streamable HTTP transport on one endpoint: POST, GET streams, DELETE, sessions, SSE resumption. */
#pragma once

#include "http-server.h"
#include "mcp-identity.h"
#include "mcp-server.h"

typedef struct McpHttp McpHttp;

typedef struct McpHttpOptions {
        const char *endpoint;                /* "/mcp" */
        size_t max_body;                     /* larger request bodies get 413 */
        size_t max_body_memory;              /* request bodies held at once, all connections together; past it 503 */
        unsigned max_requests_per_principal; /* open requests (SSE streams among them) of one principal; 0: any */
        char **allowed_hosts;                /* Host and Origin names allowed; NULL: loopback names only */
        uint64_t session_idle_usec;          /* a session unused this long is ended */
        uint64_t keepalive_usec;             /* comment lines on idle SSE streams, which also notice gone clients */
        size_t stream_buffer_max;            /* bytes kept per SSE stream for replay */
        size_t max_sessions;                 /* when this many are open, a new one ends the least recently used idle one
                                              * of the client holding the most */
        size_t max_sessions_per_owner;       /* sessions of one principal (or, without one, one source address); a
                                              * new one past it ends that owner's least recently used idle one */
        const char *front_end_token;         /* a server behind the gateway: requests to the endpoint must carry
                                              * "Authorization: Bearer" with this token, else 401; NULL: none asked */
        HttpServerOptions http;
} McpHttpOptions;

#define MCP_HTTP_OPTIONS_DEFAULT                                                                                       \
        ((McpHttpOptions){                                                                                             \
                .endpoint = "/mcp",                                                                                    \
                .max_body = 4 * 1024 * 1024,                                                                           \
                .max_body_memory = 64 * 1024 * 1024,                                                                   \
                .max_requests_per_principal = 256,                                                                     \
                .session_idle_usec = 30 * 60 * USEC_PER_SEC,                                                           \
                .keepalive_usec = 15 * USEC_PER_SEC,                                                                   \
                .stream_buffer_max = 4 * 1024 * 1024,                                                                  \
                .max_sessions = 4096,                                                                                  \
                .max_sessions_per_owner = 256,                                                                         \
                .http = HTTP_SERVER_OPTIONS_DEFAULT,                                                                   \
        })

/* Why a request is refused at the edge: the HTTP status, the JSON-RPC error, and the one header that tells
 * the client what to do (WWW-Authenticate for 401 and 403, Retry-After for 429). */
typedef struct McpHttpRefusal {
        unsigned status;
        int code;
        char *message;
        const char *header; /* a static header name, or NULL */
        char *header_value;
} McpHttpRefusal;
void mcp_http_refusal_done(McpHttpRefusal *r);

/* Several endpoints on one listener (the gateway). */
typedef struct McpHttpRouter {
        /* The engine serving url, or NULL when url is no MCP endpoint. */
        McpServer *(*find)(void *userdata, const char *url);
        /* Optional: answers a URL that is no MCP endpoint (/healthz, /metrics) and returns the MHD_Result, or
         * returns -1 for 404. Called when the headers are in; the body, if any, is not read. */
        int (*other)(void *userdata, struct MHD_Connection *c, const char *url, const char *method);
        /* Optional: who sent a request to an MCP endpoint, from its headers, before anything else is done with
         * it. Returns 1 with a reference in *ret_identity, 0 with *ret_refusal filled (401), or a negative
         * errno. Without it requests have no identity. */
        int (*authenticate)(void *userdata, struct MHD_Connection *c, McpIdentity **ret_identity,
                McpHttpRefusal *ret_refusal);
        /* Optional: whether identity may send message (a request, notification or batch) to server. Returns 1,
         * 0 with *ret_refusal filled (403, 429), or a negative errno. */
        int (*authorize)(void *userdata, McpServer *server, const McpIdentity *identity, json_object *message,
                McpHttpRefusal *ret_refusal);
        void *userdata;
} McpHttpRouter;

int mcp_http_new_routed(McpHttp **ret, sd_event *event, int listen_fd, const McpHttpOptions *options,
        const McpHttpRouter *router);

/* Serves server on listen_fd (taken), at options->endpoint, and GET /healthz and /readyz (200 while serving,
 * 503 once shutting down) for an orchestrator's probes, whatever the Host and without credentials. */
int mcp_http_new(McpHttp **ret, McpServer *server, int listen_fd, const McpHttpOptions *options);
McpHttp *mcp_http_free(McpHttp *h);
/* No request open on any connection. */
bool mcp_http_is_idle(McpHttp *h);
/* Lets libmicrohttpd go on with connections resumed outside this transport (the router's other URLs that
 * answer with a stream): resuming alone does not make it run. */
void mcp_http_kick(McpHttp *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(McpHttp *, mcp_http_free);

/* Host and Origin checks against the allow-list (NULL: localhost, 127.0.0.1, [::1]); exposed for tests. */
bool mcp_http_host_allowed(char **allowed, const char *host);
bool mcp_http_origin_allowed(char **allowed, const char *origin);
