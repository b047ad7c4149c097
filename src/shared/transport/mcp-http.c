/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Streamable HTTP: checks in the order of the request path (Host/Origin, endpoint, method, headers, size,
 * session), then the engine; answers as JSON or SSE depending on what the engine produces first. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>

#include "caller-context.h"
#include "list.h"
#include "log.h"
#include "hashmap.h"
#include "jsonrpc.h"
#include "mcp-http-stream.h"
#include "mcp-http.h"
#include "mcp-session.h"

#define HEADER_SESSION_ID "Mcp-Session-Id"
#define HEADER_PROTOCOL_VERSION "MCP-Protocol-Version"
#define HEADER_LAST_EVENT_ID "Last-Event-ID"
#define HEADER_METHOD "Mcp-Method"
#define HEADER_NAME "Mcp-Name"
/* Who a request of the front end acts for: honoured only with the front end's credential (front_end_principal()). */
#define HEADER_PRINCIPAL "Aios-Principal"
#define HEADER_SCOPES "Aios-Scopes"
#define HEADER_BACKEND "Aios-Backend"
#define PRINCIPAL_FIELD_MAX 256U /* as the same fields of a D-Bus context (mcp-bus.c) */
/* SSE streams a session keeps for resumption once their connection is gone; older ones are dropped. */
#define MAX_KEPT_STREAMS 32

typedef struct HttpSession HttpSession;

struct McpHttp {
        McpServer *server; /* the one endpoint's engine, without a router */
        sd_event *event;
        McpHttpRouter router;
        McpHttpOptions options;
        HttpServer *http;
        sd_event_source *sweep_timer;
        HttpSession *sessions;        /* every session that came through this transport */
        size_t body_memory;           /* bytes of request bodies held now */
        Hashmap *loads;               /* principal -> PrincipalLoad, for those with requests open */
        struct HttpRequest *requests; /* open requests, resumed at shutdown */
        bool shutting_down;
};

/* The transport's part of a session: its streams. */
struct HttpSession {
        McpHttp *owner;
        McpSession *session; /* weak: this struct is freed with the session */
        LIST_FIELDS(HttpSession);
        char source[INET6_ADDRSTRLEN]; /* the address that opened it: its owner when it has no principal */
        StreamSet streams;
        char *principal; /* who opened it: nobody else may use it */
};

typedef struct HttpRequest {
        McpHttp *owner;
        McpServer *server; /* the engine of the request's endpoint */
        LIST_FIELDS(struct HttpRequest);
        struct MHD_Connection *connection;
        char *body;
        size_t size;
        size_t allocated;
        bool too_large;
        bool over_budget; /* the bodies held at once would pass max_body_memory */
        bool dispatched;
        McpSession *session; /* referenced */
        bool new_session;
        bool stateless;        /* the 2026-07-28 wire */
        HttpStream *stream;    /* referenced; attached to this connection */
        McpIdentity *identity; /* who sent it, when the router authenticates */
        bool counted;          /* in its principal's load */
        bool front_end;        /* it presented the front end's credential */
        bool principal_named;  /* ... and named the principal it acts for: identity is that */
} HttpRequest;

static const char *const loopback_names[] = { "localhost", "127.0.0.1", "[::1]", NULL };

static bool name_allowed(char **allowed, const char *name, size_t len) {
        const char *const *list = allowed ? (const char *const *) allowed : loopback_names;
        for (const char *const *a = list; *a; a++)
                if (strlen(*a) == len && strncasecmp(*a, name, len) == 0)
                        return true;
        return false;
}

/* The name part of "name", "name:port", "[v6]" or "[v6]:port". */
static size_t host_name_length(const char *host) {
        if (host[0] == '[') {
                const char *close = strchr(host, ']');
                return close ? (size_t) (close - host + 1) : strlen(host);
        }
        return strcspn(host, ":");
}

bool mcp_http_host_allowed(char **allowed, const char *host) {
        if (isempty(host))
                return false;
        size_t l = host_name_length(host);
        const char *rest = host + l;
        if (*rest && (*rest != ':' || !rest[1] || strspn(rest + 1, "0123456789") != strlen(rest + 1)))
                return false;
        return name_allowed(allowed, host, l);
}

bool mcp_http_origin_allowed(char **allowed, const char *origin) {
        const char *p;
        if (startswith_ptr(origin, "http://"))
                p = origin + 7;
        else if (startswith_ptr(origin, "https://"))
                p = origin + 8;
        else
                return false;
        return mcp_http_host_allowed(allowed, p);
}

/* --- responses ------------------------------------------------------------------------------------- */

static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned status, json_object *body, McpSession *session) {
        const char *text = body ? json_to_string(body) : "";
        struct MHD_Response *response =
                MHD_create_response_from_buffer(strlen(text), (void *) text, MHD_RESPMEM_MUST_COPY);
        if (!response)
                return MHD_NO;
        if (body)
                MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        if (session)
                MHD_add_response_header(response, HEADER_SESSION_ID, mcp_session_get_public_id(session));
        enum MHD_Result r = MHD_queue_response(c, status, response);
        MHD_destroy_response(response);
        return r;
}

/* A refusal the client may try again after a while: a rate limit's (429, RFC 6585) or a busy server's (503),
 * with Retry-After (RFC 9110) from the error's data, one second at least. */
static enum MHD_Result respond_retry_later(struct MHD_Connection *c, unsigned status, json_object *reply,
        McpSession *session) {
        const char *text = json_to_string(reply);
        struct MHD_Response *response =
                MHD_create_response_from_buffer(strlen(text), (void *) text, MHD_RESPMEM_MUST_COPY);
        if (!response)
                return MHD_NO;
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        if (session)
                MHD_add_response_header(response, HEADER_SESSION_ID, mcp_session_get_public_id(session));
        json_object *retry = NULL;
        json_object_object_get_ex(json_get_object(json_get_object(reply, "error"), "data"), "retryAfter", &retry);
        char seconds[32];
        snprintf(seconds, sizeof(seconds), "%" PRId64, MAX(json_object_get_int64(retry), (int64_t) 1));
        MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
        enum MHD_Result r = MHD_queue_response(c, status, response);
        MHD_destroy_response(response);
        return r;
}

/* The transport's own refusal for want of room (sessions, request bodies): 503, MCP_ERROR_SERVER_BUSY and
 * Retry-After. */
static enum MHD_Result respond_busy(struct MHD_Connection *c, const char *message) {
        _cleanup_json_ json_object *data = json_object_new_object();
        if (!data)
                return MHD_NO;
        json_object_object_add(data, "retryAfter", json_object_new_int(MCP_SERVER_BUSY_RETRY_AFTER));
        _cleanup_json_ json_object *body = jsonrpc_error_new(NULL, MCP_ERROR_SERVER_BUSY, message, TAKE_PTR(data));
        return body ? respond_retry_later(c, MHD_HTTP_SERVICE_UNAVAILABLE, body, NULL) : MHD_NO;
}

/* An error before the engine: a JSON-RPC error body, as the TypeScript SDK's server gives. */
static enum MHD_Result respond_error(struct MHD_Connection *c, unsigned status, int code, const char *format, ...)
        _printf_(4, 5);
static enum MHD_Result respond_error(struct MHD_Connection *c, unsigned status, int code, const char *format, ...) {
        _cleanup_free_ char *message = NULL;
        va_list ap;
        va_start(ap, format);
        if (vasprintf(&message, format, ap) < 0)
                message = NULL;
        va_end(ap);

        _cleanup_json_ json_object *body = jsonrpc_error_new(NULL, code, message ?: "Error", NULL);
        return respond_json(c, status, body, NULL);
}

void mcp_http_refusal_done(McpHttpRefusal *r) {
        free(r->message);
        free(r->header_value);
        *r = (McpHttpRefusal){};
}

static enum MHD_Result respond_refusal(struct MHD_Connection *c, McpHttpRefusal *refusal, json_object *message) {
        json_object *id = NULL;
        if (json_object_is_type(message, json_type_object))
                json_object_object_get_ex(message, "id", &id);
        _cleanup_json_ json_object *body =
                jsonrpc_error_new(id, refusal->code ?: JSONRPC_INVALID_REQUEST, refusal->message ?: "Refused", NULL);
        const char *text = body ? json_to_string(body) : "";
        struct MHD_Response *response =
                MHD_create_response_from_buffer(strlen(text), (void *) text, MHD_RESPMEM_MUST_COPY);
        enum MHD_Result r = MHD_NO;
        if (response) {
                MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
                if (refusal->header && refusal->header_value)
                        MHD_add_response_header(response, refusal->header, refusal->header_value);
                r = MHD_queue_response(c, refusal->status ?: MHD_HTTP_FORBIDDEN, response);
                MHD_destroy_response(response);
        }
        mcp_http_refusal_done(refusal);
        return r;
}

/* The router's word on whether this request's identity may send message; 1 to go on, 0 after answering. */
static int authorize_message(McpHttp *h, HttpRequest *req, json_object *message, enum MHD_Result *ret_result) {
        if (!h->router.authorize)
                return 1;
        McpHttpRefusal refusal = {};
        int r = h->router.authorize(h->router.userdata, req->server, req->identity, message, &refusal);
        if (r > 0)
                return 1;
        if (r < 0) {
                mcp_http_refusal_done(&refusal);
                *ret_result = respond_error(req->connection, MHD_HTTP_INTERNAL_SERVER_ERROR, JSONRPC_INTERNAL_ERROR,
                        "Internal error: %s", strerror(-r));
                return 0;
        }
        *ret_result = respond_refusal(req->connection, &refusal, message);
        return 0;
}

static enum MHD_Result respond_empty(struct MHD_Connection *c, unsigned status, const char *allow) {
        struct MHD_Response *response = MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);
        if (!response)
                return MHD_NO;
        if (allow)
                MHD_add_response_header(response, "Allow", allow);
        enum MHD_Result r = MHD_queue_response(c, status, response);
        MHD_destroy_response(response);
        return r;
}

/* --- sessions ------------------------------------------------------------------------------------- */

static void http_session_free(void *p) {
        HttpSession *hs = p;
        if (!hs)
                return;
        stream_set_clear(&hs->streams);
        if (hs->owner)
                LIST_REMOVE(hs->owner->sessions, hs);
        free(hs->principal);
        free(hs);
}

static int standalone_send(void *userdata, json_object *message) {
        HttpSession *hs = userdata;
        HttpStream *st = stream_set_find(&hs->streams, 0);
        if (!st)
                return 0; /* no GET stream was ever opened: nobody listens */
        return http_stream_push(st, message);
}

static HttpSession *http_session_get(McpHttp *h, McpSession *session) {
        HttpSession *hs = mcp_session_get_transport_data(session);
        if (hs)
                return hs;

        hs = new0(HttpSession, 1);
        if (!hs)
                return NULL;
        hs->owner = h;
        hs->session = session;
        LIST_PREPEND(h->sessions, hs);
        mcp_session_set_transport_data(session, hs, http_session_free);
        mcp_session_set_standalone(session, standalone_send, hs);
        return hs;
}

static bool http_session_idle(HttpSession *hs, uint64_t now, uint64_t max_idle) {
        if (mcp_session_is_busy(hs->session))
                return false;
        LIST_FOREACH(st, hs->streams.streams) {
                if (st->connection)
                        return false;
        }
        return now - mcp_session_get_last_used(hs->session) > max_idle;
}

static const char *session_owner(McpSession *session, void *userdata) {
        HttpSession *hs = mcp_session_get_transport_data_of(session, http_session_free);
        if (!hs || hs->owner != userdata)
                return NULL; /* not one of ours (a D-Bus session, or another listener's) */
        return hs->principal ?: hs->source;
}

static bool session_unwatched(McpSession *session, void *userdata) {
        HttpSession *hs = mcp_session_get_transport_data_of(session, http_session_free);
        return hs && http_session_idle(hs, UINT64_MAX, 0);
}

/* The address a connection comes from, as text, into buf (INET6_ADDRSTRLEN bytes); empty for a local socket. */
static void connection_source(struct MHD_Connection *c, char *buf) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = info ? info->client_addr : NULL;
        if (sa && sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr, buf, INET6_ADDRSTRLEN);
        else if (sa && sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, buf, INET6_ADDRSTRLEN);
}

/* The oldest idle session of owner (a principal, or a source address), and how many owner holds. */
static HttpSession *owner_oldest_idle(McpHttp *h, const char *owner, size_t *ret_n) {
        HttpSession *oldest = NULL;
        size_t n = 0;
        for (HttpSession *hs = h->sessions; hs; hs = hs->next) {
                if (!streq(hs->principal ?: hs->source, owner))
                        continue;
                n++;
                if (http_session_idle(hs, UINT64_MAX, 0) &&
                        (!oldest ||
                                mcp_session_get_last_used(hs->session) < mcp_session_get_last_used(oldest->session)))
                        oldest = hs;
        }
        *ret_n = n;
        return oldest;
}

/* A new session for owner, or the one sealed describes taken up here. One owner holds at most
 * max_sessions_per_owner: past it, its own least recently used idle session makes room, and only when none of
 * its sessions is idle is it refused (-EUSERS). When the whole table is full (or holds --max-sessions), the
 * oldest idle session of whoever holds the most makes room, instead of every newcomer being refused until
 * sessions expire. */
static int session_new(McpHttp *h, McpServer *server, const char *owner, const McpSealedSession *sealed,
        const char *public_id, McpSession **ret) {
        size_t n;
        HttpSession *oldest = owner_oldest_idle(h, owner, &n);
        if (h->options.max_sessions_per_owner > 0 && n >= h->options.max_sessions_per_owner) {
                if (!oldest)
                        return -EUSERS;
                log_info("%s holds %zu sessions: ending its least recently used idle one, %s.", owner, n,
                        mcp_session_get_id(oldest->session));
                mcp_session_close(oldest->session);
        }

        for (unsigned attempt = 0;; attempt++) {
                int r = mcp_server_n_sessions(server) >= h->options.max_sessions ? -EBUSY
                        : sealed ? mcp_session_take_up(server, sealed, public_id, ret)
                                 : mcp_session_new(server, ret);
                if (r != -EBUSY || attempt > 0)
                        return r;
                r = mcp_server_end_lru_session(server, session_owner, session_unwatched, h);
                if (r <= 0)
                        return r < 0 ? r : -EBUSY;
        }
}

static int on_sweep(sd_event_source *s, uint64_t usec, void *userdata) {
        McpHttp *h = userdata;
        uint64_t now = now_usec();

        for (HttpSession *hs = h->sessions, *next; hs; hs = next) {
                next = hs->next;
                if (http_session_idle(hs, now, h->options.session_idle_usec)) {
                        log_debug("Ending idle session %s.", mcp_session_get_id(hs->session));
                        mcp_session_close(hs->session);
                }
        }

        /* Keepalives on every open stream: they also make a vanished client's connection fail. */
        for (HttpSession *hs = h->sessions; hs; hs = hs->next)
                LIST_FOREACH(st, hs->streams.streams) {
                        if (st->connection) {
                                http_stream_keepalive(st);
                                mcp_session_touch(hs->session);
                        }
                }
        for (HttpRequest *req = h->requests; req; req = req->next)
                if (req->stateless && req->stream && req->stream->connection && req->stream->mode == STREAM_SSE)
                        http_stream_keepalive(req->stream);

        uint64_t period = MIN(h->options.keepalive_usec, h->options.session_idle_usec / 4);
        (void) sd_event_source_set_time_relative(s, MAX(period, USEC_PER_SEC));
        return 0;
}

/* --- request handling ------------------------------------------------------------------------------ */

/* Whether an Accept header admits type ("application/json"): by name, by "application/\*" or by "\*\/\*". A missing
 * header admits everything. */
static bool accepts(const char *accept, const char *type) {
        if (!accept)
                return true;
        if (strcasestr(accept, type) || strstr(accept, "*/*"))
                return true;

        char major[64];
        size_t l = strcspn(type, "/");
        if (l + 3 > sizeof(major))
                return false;
        memcpy(major, type, l);
        memcpy(major + l, "/*", 3);
        return strcasestr(accept, major);
}

static bool content_type_is_json(const char *ct) {
        if (!ct)
                return false;
        size_t l = strcspn(ct, ";");
        while (l > 0 && ct[l - 1] == ' ')
                l--;
        return l == strlen("application/json") && strncasecmp(ct, "application/json", l) == 0;
}

static HttpRequest *request_new(McpHttp *h, struct MHD_Connection *c) {
        HttpRequest *req = new0(HttpRequest, 1);
        if (!req)
                return NULL;
        req->owner = h;
        req->connection = c;
        LIST_PREPEND(h->requests, req);
        return req;
}

/* --- open requests per principal ------------------------------------------------------------------ */

typedef struct PrincipalLoad {
        char *principal;
        unsigned n_requests;
} PrincipalLoad;

/* Counts a request of principal: 1, or 0 when it has max_requests_per_principal open already. */
static int principal_load_take(McpHttp *h, const char *principal) {
        PrincipalLoad *l = hashmap_get(h->loads, principal);
        if (l && l->n_requests >= h->options.max_requests_per_principal)
                return 0;
        if (!l) {
                l = new0(PrincipalLoad, 1);
                if (!l || !(l->principal = strdup(principal)) || hashmap_put(h->loads, l->principal, l) < 0) {
                        if (l)
                                free(l->principal);
                        free(l);
                        return -ENOMEM;
                }
        }
        l->n_requests++;
        return 1;
}

static void principal_load_release(McpHttp *h, const char *principal) {
        PrincipalLoad *l = hashmap_get(h->loads, principal);
        if (!l || --l->n_requests > 0)
                return;
        hashmap_remove(h->loads, l->principal);
        free(l->principal);
        free(l);
}

static void request_free(HttpRequest *req, enum MHD_RequestTerminationCode toe) {
        LIST_REMOVE(req->owner->requests, req);

        HttpStream *st = req->stream;
        if (st) {
                http_stream_detach(st);
                /* A stream that said everything is done with, and so is a JSON answer (it has no event id to
                 * resume from); an SSE stream cut short stays for Last-Event-ID. */
                if (st->mode == STREAM_JSON || (st->index != 0 && http_stream_drained(st)))
                        http_stream_forget(st);
                http_stream_unref(st);
        }

        if (req->session && req->new_session && !mcp_session_is_initialized(req->session))
                mcp_session_close(req->session); /* initialize failed: the session never was */
        mcp_session_unref(req->session);
        if (req->counted)
                principal_load_release(req->owner, req->identity->principal);
        mcp_identity_unref(req->identity);
        req->owner->body_memory -= req->allocated;
        free(req->body);
        free(req);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
        if (*con_cls)
                request_free(*con_cls, toe);
        *con_cls = NULL;
}

static int append_body(HttpRequest *req, const char *data, size_t size, size_t max) {
        McpHttp *h = req->owner;
        if (req->too_large || req->over_budget || req->size + size > max) {
                req->too_large = req->too_large || req->size + size > max;
                return 0; /* keep reading (and dropping) so that the 413 or 503 can be sent */
        }
        if (req->size + size + 1 > req->allocated) {
                size_t n = MAX(req->allocated * 2, req->size + size + 1);
                n = MIN(n, max + 1);
                /* One client's many large bodies must not take the memory every other client needs. */
                if (h->body_memory - req->allocated + n > h->options.max_body_memory) {
                        req->over_budget = true;
                        free(req->body);
                        req->body = NULL;
                        h->body_memory -= req->allocated;
                        req->allocated = req->size = 0;
                        return 0;
                }
                char *b = realloc(req->body, n);
                if (!b)
                        return -ENOMEM;
                req->body = b;
                h->body_memory += n - req->allocated;
                req->allocated = n;
        }
        memcpy(req->body + req->size, data, size);
        req->size += size;
        req->body[req->size] = 0;
        return 0;
}

/* On the stateless wire a JSON answer's HTTP status says what its error says. */
static unsigned stateless_status(json_object *reply) {
        json_object *error = json_get_object(reply, "error");
        if (!error)
                return MHD_HTTP_OK;
        switch (json_object_get_int(json_object_object_get(error, "code"))) {
        case JSONRPC_METHOD_NOT_FOUND:
                return MHD_HTTP_NOT_FOUND;
        case JSONRPC_PARSE_ERROR:
        case JSONRPC_INVALID_REQUEST:
        case JSONRPC_INVALID_PARAMS:
        case MCP_ERROR_HEADER_MISMATCH:
        case MCP_ERROR_MISSING_CAPABILITY:
        case MCP_ERROR_UNSUPPORTED_VERSION:
                return MHD_HTTP_BAD_REQUEST;
        case JSONRPC_INTERNAL_ERROR:
                return MHD_HTTP_INTERNAL_SERVER_ERROR;
        case MCP_ERROR_SERVER_BUSY:
                return MHD_HTTP_SERVICE_UNAVAILABLE;
        default:
                return MHD_HTTP_OK;
        }
}

/* Answers what the stream has by now, or suspends until it has something. */
static enum MHD_Result answer_from_stream(HttpRequest *req) {
        HttpStream *st = req->stream;
        McpSession *session = req->new_session && mcp_session_is_initialized(req->session) ? req->session : NULL;

        switch (st->mode) {
        case STREAM_JSON: {
                /* A lone error about the message itself (no id to answer) is a bad request. */
                json_object *id = NULL;
                unsigned status = MHD_HTTP_OK;
                if (json_object_is_type(st->reply, json_type_object) && json_get_object(st->reply, "error") &&
                        (!json_object_object_get_ex(st->reply, "id", &id) || !id))
                        status = MHD_HTTP_BAD_REQUEST;
                if (req->stateless)
                        status = stateless_status(st->reply);
                if (!st->reply)
                        return respond_empty(req->connection, MHD_HTTP_ACCEPTED, NULL);
                json_object *error = json_get_object(st->reply, "error");
                int code = error ? json_object_get_int(json_object_object_get(error, "code")) : 0;
                if (code == MCP_ERROR_RATE_LIMITED)
                        return respond_retry_later(req->connection, MHD_HTTP_TOO_MANY_REQUESTS, st->reply, session);
                /* On the session wire a busy server's error is an answer like any other (200); on the stateless
                 * wire, where the status says what the error says, it is 503. */
                if (code == MCP_ERROR_SERVER_BUSY && req->stateless)
                        return respond_retry_later(req->connection, status, st->reply, session);
                return respond_json(req->connection, status, st->reply, session);
        }
        case STREAM_SSE: {
                struct MHD_Response *response = http_stream_response_new(st);
                if (!response)
                        return MHD_NO;
                if (session)
                        MHD_add_response_header(response, HEADER_SESSION_ID, mcp_session_get_public_id(session));
                enum MHD_Result r = MHD_queue_response(req->connection, MHD_HTTP_OK, response);
                MHD_destroy_response(response);
                return r;
        }
        case STREAM_UNDECIDED:
                http_stream_suspend(st);
                return MHD_YES;
        }
        return MHD_NO;
}

/* Returns 1 when the header is absent or names a revision we speak, 0 after answering 400. */
static int check_protocol_version(struct MHD_Connection *c, enum MHD_Result *ret_result) {
        const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, HEADER_PROTOCOL_VERSION);
        if (!v || mcp_version_is_supported(v))
                return 1;
        *ret_result = respond_error(c, MHD_HTTP_BAD_REQUEST, JSONRPC_INVALID_REQUEST,
                "Bad Request: unsupported MCP-Protocol-Version \"%s\" (supported: %s, %s, %s)", v,
                mcp_session_versions[0], mcp_session_versions[1], mcp_session_versions[2]);
        return 0;
}

static int session_not_found(struct MHD_Connection *c, enum MHD_Result *ret_result) {
        /* Unknown or ended: the client starts a new session with initialize. */
        *ret_result = respond_error(c, MHD_HTTP_NOT_FOUND, -32001, "Session not found");
        return 0;
}

/* A sealed id of a session another replica opened (or this one ended for idleness): taken up here when it is the
 * caller's. 1 with a reference in *ret, 0 when it is not to be taken up, -1 after answering. */
static int session_take_up(HttpRequest *req, struct MHD_Connection *c, const char *id, McpSession **ret,
        enum MHD_Result *ret_result) {
        McpHttp *h = req->owner;
        const char *principal = req->identity ? req->identity->principal : NULL;
        _cleanup_(mcp_sealed_session_freep) McpSealedSession *sealed = NULL;
        int r = mcp_sealed_session_open(req->server, id, principal, &sealed);
        if (r == 0)
                return 0;

        char source[INET6_ADDRSTRLEN] = "";
        connection_source(c, source);
        McpSession *session = NULL;
        if (r > 0)
                r = session_new(h, req->server, principal ?: source, sealed, id, &session);
        if (r == -EEXIST)
                return 0;
        if (r == -EBUSY || r == -EUSERS) {
                *ret_result = r == -EBUSY
                        ? respond_busy(c, "Too many sessions to take this one up here; try again later")
                        : respond_error(c, MHD_HTTP_TOO_MANY_REQUESTS, JSONRPC_INTERNAL_ERROR,
                                  "Too many sessions to take this one up here; try again later");
                return -1;
        }
        if (r < 0) {
                *ret_result = respond_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, JSONRPC_INTERNAL_ERROR,
                        "Internal error: could not take the session up: %s", strerror(-r));
                return -1;
        }

        HttpSession *hs = http_session_get(h, session);
        if (!hs || (principal && !(hs->principal = strdup(principal)))) {
                mcp_session_close(session);
                mcp_session_unref(session);
                *ret_result = MHD_NO;
                return -1;
        }
        memcpy(hs->source, source, sizeof(source));
        *ret = session;
        return 1;
}

/* Finds the session named by the header, or takes up one another replica sealed. Returns 1 with a reference in
 * *ret, or 0 after answering. */
static int lookup_session(HttpRequest *req, struct MHD_Connection *c, McpSession **ret, enum MHD_Result *ret_result) {
        const char *id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, HEADER_SESSION_ID);
        if (!id) {
                *ret_result = respond_error(c, MHD_HTTP_BAD_REQUEST, JSONRPC_INVALID_REQUEST,
                        "Bad Request: the Mcp-Session-Id header is required");
                return 0;
        }
        McpSession *session = mcp_server_find_session(req->server, id);
        HttpSession *hs = session ? mcp_session_get_transport_data(session) : NULL;
        /* A session belongs to whoever opened it: to anyone else it does not exist. */
        if (session && req->identity && hs && hs->principal && !streq(hs->principal, req->identity->principal))
                session = NULL;
        else if (!session && mcp_server_seals_sessions(req->server)) {
                int r = session_take_up(req, c, id, &session, ret_result);
                if (r <= 0)
                        return r < 0 ? 0 : session_not_found(c, ret_result);
                *ret = session; /* session_take_up()'s reference */
                return 1;
        }
        if (!session) {
                /* Unknown or ended: the client starts a new session with initialize. */
                *ret_result = respond_error(c, MHD_HTTP_NOT_FOUND, -32001, "Session not found");
                return 0;
        }
        *ret = mcp_session_ref(session);
        return 1;
}

/* A request without Mcp-Session-Id is on the stateless wire when its MCP-Protocol-Version header names a
 * revision other than the session ones (2026-07-28, or one we do not know), or, without that header, when
 * its _meta carries a protocol version. Everything else is the session wire, as before. */
static bool is_stateless(struct MHD_Connection *c, json_object *message) {
        if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, HEADER_SESSION_ID))
                return false;
        const char *version = MHD_lookup_connection_value(c, MHD_HEADER_KIND, HEADER_PROTOCOL_VERSION);
        if (version)
                return !mcp_version_is_supported(version);
        if (!message || mcp_message_is_initialize(message))
                return false;
        json_object *meta = json_get_object(json_get_object(message, "params"), "_meta");
        return meta && json_object_object_get_ex(meta, MCP_META_PROTOCOL_VERSION, NULL);
}

static int stream_start(McpHttp *h, HttpRequest *req, StreamSet *set, bool prime) {
        struct MHD_Connection *c = req->connection;
        if (http_stream_new(&req->stream, h->http, set, false, h->options.stream_buffer_max) < 0)
                return -ENOMEM;
        HttpStream *st = req->stream;
        const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
        st->json_allowed = accepts(accept, "application/json");
        st->sse_allowed = accepts(accept, "text/event-stream");
        st->prime = prime;
        st->identity = mcp_identity_ref(req->identity);
        http_stream_attach(st, c);
        return 0;
}

/* The engine's sink for the request: the front end's principal is decided by the shipped rules. */
static const McpSinkOps *request_sink_ops(const HttpRequest *req) {
        if (req->principal_named)
                return &http_stream_principal_sink_ops;
        if (req->front_end)
                return &http_stream_front_end_sink_ops;
        return &http_stream_sink_ops;
}

/* The stateless wire: no session and no resumption; the stream belongs to this connection alone, and
 * closing it cancels what runs for it. */
static enum MHD_Result handle_post_stateless(McpHttp *h, HttpRequest *req, json_object *message) {
        struct MHD_Connection *c = req->connection;
        McpWireHeaders headers = {
                .protocol_version = MHD_lookup_connection_value(c, MHD_HEADER_KIND, HEADER_PROTOCOL_VERSION),
                .method = MHD_lookup_connection_value(c, MHD_HEADER_KIND, HEADER_METHOD),
                .name = MHD_lookup_connection_value(c, MHD_HEADER_KIND, HEADER_NAME),
        };

        req->stateless = true;
        _cleanup_json_ json_object *error = NULL;
        if (mcp_stateless_check(message, &headers, &error) > 0)
                return error ? respond_json(c, stateless_status(error), error, NULL) : MHD_NO;
        enum MHD_Result result;
        if (!authorize_message(h, req, message, &result))
                return result;

        if (stream_start(h, req, NULL, false) < 0)
                return MHD_NO;
        HttpStream *st = req->stream;
        int r = mcp_server_dispatch_stateless(req->server, message, request_sink_ops(req), st, &st->exchange);
        if (r < 0)
                return respond_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, JSONRPC_INTERNAL_ERROR, "Internal error: %s",
                        strerror(-r));
        if (r == 0)
                return respond_empty(c, MHD_HTTP_ACCEPTED, NULL);
        return answer_from_stream(req);
}

static enum MHD_Result handle_post(McpHttp *h, HttpRequest *req) {
        struct MHD_Connection *c = req->connection;

        if (req->too_large)
                return respond_error(c, MHD_HTTP_CONTENT_TOO_LARGE, JSONRPC_INVALID_REQUEST,
                        "Request body larger than %zu bytes", h->options.max_body);
        if (req->over_budget) {
                char message[128];
                snprintf(message, sizeof(message),
                        "The server holds too many request bodies at once (%zu bytes); try again shortly",
                        h->options.max_body_memory);
                return respond_busy(c, message);
        }

        _cleanup_json_ json_object *message = NULL;
        const char *reason = NULL;
        if (json_parse_strict(req->body ?: "", req->size, &message, &reason) < 0) {
                _cleanup_json_ json_object *e = mcp_parse_error_new(reason);
                return respond_json(c, MHD_HTTP_BAD_REQUEST, e, NULL);
        }

        req->dispatched = true;
        if (is_stateless(c, message))
                return handle_post_stateless(h, req, message);

        enum MHD_Result result;
        if (!check_protocol_version(c, &result))
                return result;
        if (!authorize_message(h, req, message, &result))
                return result;

        if (mcp_message_is_initialize(message) && !MHD_lookup_connection_value(c, MHD_HEADER_KIND, HEADER_SESSION_ID)) {
                char source[INET6_ADDRSTRLEN] = "";
                connection_source(c, source);
                const char *owner = req->identity ? req->identity->principal : source;
                int r = session_new(h, req->server, owner, NULL, NULL, &req->session);
                if (r == -EBUSY)
                        return respond_busy(c, "Too many sessions; try again later");
                if (r == -EUSERS)
                        return respond_error(c, MHD_HTTP_TOO_MANY_REQUESTS, JSONRPC_INTERNAL_ERROR,
                                "%s has %zu sessions open, all of them in use; end one (DELETE) before opening another",
                                owner, h->options.max_sessions_per_owner);
                if (r < 0) {
                        log_warning_errno(r, "Failed to open a session: %m");
                        return respond_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, JSONRPC_INTERNAL_ERROR,
                                "Internal error: could not open a session: %s", strerror(-r));
                }
                req->new_session = true;
                if (mcp_session_set_principal(req->session, req->identity ? req->identity->principal : NULL) < 0)
                        return MHD_NO;
        } else if (!lookup_session(req, c, &req->session, &result))
                return result;

        HttpSession *hs = http_session_get(h, req->session);
        if (!hs)
                return MHD_NO;
        if (req->new_session)
                connection_source(c, hs->source);
        if (req->new_session && req->identity && !hs->principal && !(hs->principal = strdup(req->identity->principal)))
                return MHD_NO;

        stream_set_prune(&hs->streams, MAX_KEPT_STREAMS);
        const char *session_version = mcp_session_get_version(req->session)
                ?: json_get_string(json_get_object(message, "params"), "protocolVersion");
        if (stream_start(h, req, &hs->streams, mcp_version_at_least(session_version, MCP_VERSION_2025_11_25)) < 0)
                return MHD_NO;
        HttpStream *st = req->stream;

        int r = mcp_server_dispatch(req->server, req->session, message, request_sink_ops(req), st, &st->exchange);
        if (r < 0)
                return respond_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, JSONRPC_INTERNAL_ERROR, "Internal error: %s",
                        strerror(-r));
        if (r == 0) {
                http_stream_forget(st);
                return respond_empty(c, MHD_HTTP_ACCEPTED, NULL);
        }
        return answer_from_stream(req);
}

static enum MHD_Result handle_get(McpHttp *h, HttpRequest *req) {
        struct MHD_Connection *c = req->connection;
        enum MHD_Result result;

        if (is_stateless(c, NULL)) /* no standalone stream there: subscriptions/listen replaces it */
                return respond_empty(c, MHD_HTTP_METHOD_NOT_ALLOWED, "POST");

        if (!check_protocol_version(c, &result))
                return result;
        if (!lookup_session(req, c, &req->session, &result))
                return result;

        HttpSession *hs = http_session_get(h, req->session);
        if (!hs)
                return MHD_NO;

        HttpStream *st;
        const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, HEADER_LAST_EVENT_ID);
        if (last) {
                unsigned index;
                uint64_t seq;
                if (http_stream_parse_event_id(last, &index, &seq) < 0 ||
                        !(st = stream_set_find(&hs->streams, index)) || http_stream_seek(st, seq) < 0)
                        return respond_error(c, MHD_HTTP_NOT_FOUND, JSONRPC_INVALID_REQUEST,
                                "Not Found: no stream has the event %s", last);
        } else {
                st = stream_set_find(&hs->streams, 0);
                if (!st) {
                        if (http_stream_new(&st, h->http, &hs->streams, true, h->options.stream_buffer_max) < 0)
                                return MHD_NO;
                        http_stream_unref(st); /* the session's set holds it */
                }
        }

        if (st->connection)
                return respond_error(c, MHD_HTTP_CONFLICT, JSONRPC_INVALID_REQUEST,
                        "Conflict: this stream is already being read by another connection");

        req->stream = http_stream_ref(st);
        http_stream_attach(st, c);
        if (st->mode == STREAM_JSON) {
                /* The reply was ready before any event: deliver it as the stream's only event. */
                st->mode = STREAM_SSE;
                (void) http_stream_push(st, st->reply);
                json_object_put(TAKE_PTR(st->reply));
        } else if (st->mode == STREAM_UNDECIDED)
                st->mode = STREAM_SSE;
        return answer_from_stream(req);
}

static enum MHD_Result handle_delete(McpHttp *h, HttpRequest *req) {
        enum MHD_Result result;
        McpSession *session;

        if (is_stateless(req->connection, NULL)) /* no session to end */
                return respond_empty(req->connection, MHD_HTTP_METHOD_NOT_ALLOWED, "POST");
        if (!lookup_session(req, req->connection, &session, &result))
                return result;
        mcp_session_end(session);

        /* Open streams of the session end now, instead of at their next keep-alive. */
        HttpSession *hs = mcp_session_get_transport_data(session);
        LIST_FOREACH(st, hs ? hs->streams.streams : NULL) {
                st->finished = true;
                st->drop_when_drained = true;
                http_stream_wake(st);
        }
        mcp_session_unref(session);
        return respond_empty(req->connection, MHD_HTTP_OK, NULL);
}

/* Whether the request carries "Authorization: Bearer TOKEN" with the front end's token, compared in time
 * that does not depend on where they differ. */
static bool front_end_token_presented(McpHttp *h, struct MHD_Connection *c) {
        const char *token = h->options.front_end_token;
        const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        if (!a || strncasecmp(a, "Bearer ", 7) != 0)
                return false;
        a += 7;
        size_t n = strlen(token), m = strlen(a);
        unsigned char diff = n != m;
        for (size_t i = 0; i < n; i++)
                diff |= (unsigned char) token[i] ^ (unsigned char) (i < m ? a[i] : 0);
        return diff == 0;
}

typedef struct HeaderCount {
        const char *name;
        unsigned n;
} HeaderCount;

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
        HeaderCount *count = cls;
        if (key && strcasecmp(key, count->name) == 0)
                count->n++;
        return MHD_YES;
}

/* A header that may appear once: 0 with its value in *ret (NULL when absent), -EEXIST when repeated. */
static int header_once(struct MHD_Connection *c, const char *name, const char **ret) {
        HeaderCount count = { .name = name };
        (void) MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &count);
        if (count.n > 1)
                return -EEXIST;
        *ret = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
        return 0;
}

/* The principal a request of the front end acts for, with the scopes the front end granted it and the front
 * end's name for this server. Returns 1 with *ret, 0 when the request names none (the front end's own), or
 * -EINVAL with *ret_error saying what is wrong. */
static int front_end_principal(struct MHD_Connection *c, McpIdentity **ret, const char **ret_error) {
        const char *principal, *scopes, *backend;
        if (header_once(c, HEADER_PRINCIPAL, &principal) < 0 || header_once(c, HEADER_SCOPES, &scopes) < 0 ||
                header_once(c, HEADER_BACKEND, &backend) < 0) {
                *ret_error = HEADER_PRINCIPAL ", " HEADER_SCOPES " and " HEADER_BACKEND " may each appear once";
                return -EINVAL;
        }
        if (!principal) {
                if (!scopes && !backend)
                        return 0;
                *ret_error = HEADER_SCOPES " and " HEADER_BACKEND " are for the principal named in " HEADER_PRINCIPAL
                                           ", which is missing";
                return -EINVAL;
        }
        if (isempty(principal) || !caller_field_ok(principal, PRINCIPAL_FIELD_MAX, false) ||
                !caller_field_ok(backend, PRINCIPAL_FIELD_MAX, false) ||
                !caller_field_ok(scopes, 16 * PRINCIPAL_FIELD_MAX, true)) {
                *ret_error = HEADER_PRINCIPAL " (1 to 256 characters) and " HEADER_BACKEND
                                              " (up to 256) must be printable ASCII without spaces, " HEADER_SCOPES
                                              " (up to 4096) printable ASCII";
                return -EINVAL;
        }

        _cleanup_(mcp_identity_unrefp) McpIdentity *id = NULL;
        int r = mcp_identity_new(&id, principal, scopes);
        if (r < 0)
                return r;
        if (backend && !(id->backend = strdup(backend)))
                return -ENOMEM;
        *ret = TAKE_PTR(id);
        return 1;
}

/* A single server's probes: alive while the loop answers, ready until it shuts down (answered above). */
static enum MHD_Result respond_health(struct MHD_Connection *c, const char *url) {
        _cleanup_json_ json_object *body = json_object_new_object();
        if (!body || json_add_string(body, "status", streq(url, "/readyz") ? "ready" : "ok") < 0)
                return MHD_NO;
        return respond_json(c, MHD_HTTP_OK, body, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
        const char *http_version, const char *upload_data, size_t *upload_data_size, void **con_cls) {

        McpHttp *h = cls;
        HttpRequest *req = *con_cls;

        if (!req) {
                /* Headers are in: check what can be checked before reading the body. */
                if (h->shutting_down)
                        return respond_empty(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL);

                /* Probes come with the pod's address as Host; they learn nothing a caller could use. */
                if (h->server && !h->router.other && streq(method, MHD_HTTP_METHOD_GET) &&
                        (streq(url, "/healthz") || streq(url, "/readyz")))
                        return respond_health(c, url);

                const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
                const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);
                if (!mcp_http_host_allowed(h->options.allowed_hosts, host))
                        return respond_error(c, MHD_HTTP_FORBIDDEN, JSONRPC_INVALID_REQUEST,
                                "Forbidden: Host \"%s\" is not allowed", strempty(host));
                if (origin && !mcp_http_origin_allowed(h->options.allowed_hosts, origin))
                        return respond_error(c, MHD_HTTP_FORBIDDEN, JSONRPC_INVALID_REQUEST,
                                "Forbidden: Origin \"%s\" is not allowed", origin);

                McpServer *server = h->server && streq(url, h->options.endpoint) ? h->server : NULL;
                if (!server && h->router.find)
                        server = h->router.find(h->router.userdata, url);
                if (!server && h->router.other) {
                        int r = h->router.other(h->router.userdata, c, url, method);
                        if (r >= 0)
                                return (enum MHD_Result) r;
                }
                if (!server)
                        return respond_error(c, MHD_HTTP_NOT_FOUND, JSONRPC_INVALID_REQUEST, "Not Found: %s", url);

                if (h->options.front_end_token && !front_end_token_presented(h, c)) {
                        McpHttpRefusal refusal = {
                                .status = MHD_HTTP_UNAUTHORIZED,
                                .code = JSONRPC_INVALID_REQUEST,
                                .message = strdup("Unauthorized: this server answers only its front end (the "
                                                  "gateway), which presents its credential"),
                                .header = MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                .header_value = strdup("Bearer"),
                        };
                        return respond_refusal(c, &refusal, NULL);
                }

                _cleanup_(mcp_identity_unrefp) McpIdentity *identity = NULL;
                bool principal_named = false;
                if (h->options.front_end_token) {
                        const char *error = NULL;
                        int r = front_end_principal(c, &identity, &error);
                        if (r == -ENOMEM)
                                return MHD_NO;
                        if (r < 0)
                                return respond_error(c, MHD_HTTP_BAD_REQUEST, JSONRPC_INVALID_REQUEST,
                                        "Bad Request: %s", error);
                        principal_named = r > 0;
                }
                if (!identity && h->router.authenticate) {
                        McpHttpRefusal refusal = {};
                        int r = h->router.authenticate(h->router.userdata, c, &identity, &refusal);
                        if (r == 0)
                                return respond_refusal(c, &refusal, NULL);
                        if (r < 0) {
                                mcp_http_refusal_done(&refusal);
                                return respond_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, JSONRPC_INTERNAL_ERROR,
                                        "Internal error: %s", strerror(-r));
                        }
                }

                bool post = streq(method, MHD_HTTP_METHOD_POST);
                if (!post && !streq(method, MHD_HTTP_METHOD_GET) && !streq(method, MHD_HTTP_METHOD_DELETE))
                        return respond_empty(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET, POST, DELETE");

                const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
                if (streq(method, MHD_HTTP_METHOD_GET) && !accepts(accept, "text/event-stream"))
                        return respond_error(c, MHD_HTTP_NOT_ACCEPTABLE, JSONRPC_INVALID_REQUEST,
                                "Not Acceptable: the client must accept text/event-stream");
                if (post && !accepts(accept, "application/json") && !accepts(accept, "text/event-stream"))
                        return respond_error(c, MHD_HTTP_NOT_ACCEPTABLE, JSONRPC_INVALID_REQUEST,
                                "Not Acceptable: the client must accept application/json and text/event-stream");

                if (post) {
                        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
                        if (!content_type_is_json(ct))
                                return respond_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, JSONRPC_INVALID_REQUEST,
                                        "Unsupported Media Type: Content-Type must be application/json");
                        const char *cl =
                                MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
                        if (cl && strtoull(cl, NULL, 10) > h->options.max_body)
                                return respond_error(c, MHD_HTTP_CONTENT_TOO_LARGE, JSONRPC_INVALID_REQUEST,
                                        "Request body larger than %zu bytes", h->options.max_body);
                }

                /* One principal's streams and long calls must not take every connection's worth of work. */
                bool counted = false;
                if (identity && h->options.max_requests_per_principal > 0) {
                        int r = principal_load_take(h, identity->principal);
                        if (r < 0)
                                return MHD_NO;
                        if (r == 0) {
                                McpHttpRefusal refusal = {
                                        .status = MHD_HTTP_TOO_MANY_REQUESTS,
                                        .code = MCP_ERROR_RATE_LIMITED,
                                        .header = MHD_HTTP_HEADER_RETRY_AFTER,
                                        .header_value = strdup("1"),
                                };
                                if (asprintf(&refusal.message,
                                            "Too many requests open: %s has %u open (streams among them); close one",
                                            identity->principal, h->options.max_requests_per_principal) < 0)
                                        refusal.message = NULL;
                                return respond_refusal(c, &refusal, NULL);
                        }
                        counted = true;
                }

                req = request_new(h, c);
                if (!req) {
                        if (counted)
                                principal_load_release(h, identity->principal);
                        return MHD_NO;
                }
                req->server = server;
                req->counted = counted;
                req->front_end = h->options.front_end_token;
                req->principal_named = principal_named;
                req->identity = TAKE_PTR(identity);
                *con_cls = req;
                return MHD_YES;
        }

        if (*upload_data_size > 0) {
                if (append_body(req, upload_data, *upload_data_size, h->options.max_body) < 0)
                        return MHD_NO;
                *upload_data_size = 0;
                return MHD_YES;
        }

        if (h->shutting_down)
                return respond_empty(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL);

        /* Called again after a resume: the stream has something now. */
        if (req->dispatched)
                return answer_from_stream(req);
        req->dispatched = true;

        if (streq(method, MHD_HTTP_METHOD_POST))
                return handle_post(h, req);
        if (streq(method, MHD_HTTP_METHOD_GET))
                return handle_get(h, req);
        return handle_delete(h, req);
}

int mcp_http_new_routed(McpHttp **ret, sd_event *event, int listen_fd, const McpHttpOptions *options,
        const McpHttpRouter *router) {
        _cleanup_close_ int fd = listen_fd;
        _cleanup_(mcp_http_freep) McpHttp *h = new0(McpHttp, 1);
        if (!h)
                return log_oom();
        h->event = event;
        h->options = *options;
        if (router)
                h->router = *router;
        h->loads = hashmap_new();
        if (!h->loads)
                return log_oom();

        int r = http_server_new(&h->http, event, TAKE_FD(fd), &options->http, on_request, h, on_completed, h);
        if (r < 0)
                return r;

        r = sd_event_add_time_relative(event, &h->sweep_timer, CLOCK_MONOTONIC,
                MIN(options->keepalive_usec, options->session_idle_usec / 4), USEC_PER_SEC, on_sweep, h);
        if (r < 0)
                return log_error_errno(r, "Failed to add the session timer: %m");
        (void) sd_event_source_set_enabled(h->sweep_timer, SD_EVENT_ON);

        *ret = TAKE_PTR(h);
        return 0;
}

int mcp_http_new(McpHttp **ret, McpServer *server, int listen_fd, const McpHttpOptions *options) {
        McpHttp *h = NULL;
        int r = mcp_http_new_routed(&h, mcp_server_get_event(server), listen_fd, options, NULL);
        if (r < 0)
                return r;
        h->server = server;
        *ret = h;
        return 0;
}

McpHttp *mcp_http_free(McpHttp *h) {
        if (!h)
                return NULL;

        /* libmicrohttpd must not stop with suspended connections: resume them all, they end at once. */
        h->shutting_down = true;
        for (HttpRequest *req = h->requests; req; req = req->next)
                if (req->stream) {
                        req->stream->finished = true;
                        req->stream->drop_when_drained = true;
                        http_stream_wake(req->stream);
                }

        sd_event_source_disable_unref(h->sweep_timer);
        http_server_free(h->http);

        /* The sessions stay with the server, but without this transport. */
        while (h->sessions) {
                HttpSession *hs = h->sessions;
                LIST_REMOVE(h->sessions, hs);
                hs->owner = NULL;
                mcp_session_set_standalone(hs->session, NULL, NULL);
                stream_set_clear(&hs->streams);
        }
        /* Every request is gone with the server (http_server_free() completes them), and with it every load. */
        hashmap_free(h->loads);
        free(h);
        return NULL;
}

bool mcp_http_is_idle(McpHttp *h) {
        return !h->requests;
}

void mcp_http_kick(McpHttp *h) {
        if (h)
                http_server_kick(h->http);
}
