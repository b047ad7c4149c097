/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the files of the HTTP backend share: backend-http.c (calls, the transport), backend-http-session.c
 * (sessions at the remote), backend-http-list.c (tools), backend-http-endpoint.c (the endpoints, their
 * choice and health) and backend-http-resolve.c (endpoints from a name's addresses). */
#pragma once

#include "backend.h"
#include "hashmap.h"
#include "list.h"
#include "http-transfer.h"

#define SIDE_TIMEOUT_USEC (30 * USEC_PER_SEC)        /* notifications, answers, DELETEs: nobody waits for them */
#define RESUME_DELAY_USEC_DEFAULT (1 * USEC_PER_SEC) /* a stream that ended without a retry: hint */
#define RESUME_DELAY_USEC_MIN (100 * USEC_PER_MSEC)
#define STREAM_BACKOFF_USEC_MIN (1 * USEC_PER_SEC)
#define STREAM_BACKOFF_USEC_MAX (60 * USEC_PER_SEC)
#define BUSY_RETRY_AFTER_MAX 60 /* seconds: a remote's longer Retry-After is told as this */

typedef struct HttpBackend HttpBackend;
typedef struct RemoteSession RemoteSession;
typedef struct HttpCall HttpCall;
typedef struct HttpQuestion HttpQuestion;
typedef struct Listing Listing;
typedef struct HttpEndpoint HttpEndpoint;
typedef struct HttpResolve HttpResolve;

struct HttpBackend {
        Backend *backend;
        HttpEndpoint *endpoints; /* one per URL=, or per address of its name with ResolveAddresses=yes */
        char *authorization;     /* "Bearer TOKEN" for every endpoint, or NULL */
        uint64_t n_chosen;       /* endpoints chosen so far: equally loaded ones take turns */
        HttpResolve *resolves;   /* ResolveAddresses=yes: one per URL= */
        size_t n_resolves;
        sd_event_source *resolve_timer;
        Hashmap *sessions; /* gateway session id -> RemoteSession */
        HttpCall *calls;
        HttpQuestion *questions;
        Listing *listing;
        bool was_down;    /* no endpoint was up since the tools were last listed */
        unsigned next_id; /* of the gateway's own requests */
};

/* One server of the backend: its connections, its health, and the calls it holds. */
struct HttpEndpoint {
        HttpBackend *owner;
        LIST_FIELDS(HttpEndpoint);
        HttpRemote remote; /* every transfer in progress to it */
        const char *url;   /* the URL= it comes from (the configuration's string) */
        char *address;     /* resolved: the address connected to; NULL: the URL's own host */
        char *name;        /* in the log, /metrics and /readyz: the URL, with the address for the name */
        char *health_url;  /* the URL's scheme, host and port with /readyz */
        Transfer *health;  /* the check in progress */
        bool up;           /* answered its last check (and no connection to it failed since) */
        bool retired;      /* its address left the name's: no new work; freed once idle */
        bool seen;         /* among the addresses of the last resolution */
        unsigned n_calls;  /* calls on it now: the least loaded endpoint takes the next */
        uint64_t n_sent;   /* calls sent to it so far */
        uint64_t last_chosen;
};

struct RemoteSession {
        HttpBackend *owner;
        HttpEndpoint *endpoint;  /* where the session lives: all of its requests go there */
        bool moved;              /* its handshake went to another endpoint once already */
        char *id;                /* the gateway's session id */
        char *remote_id;         /* Mcp-Session-Id at the remote; NULL when it gave none */
        char *version;           /* the negotiated MCP-Protocol-Version */
        bool ready;              /* initialized: requests go out with the two above */
        Transfer *handshake;     /* initialize and notifications/initialized on the gateway's behalf */
        json_object *initialize; /* that initialize, sent again when an endpoint refused it */
        HttpCall *waiting;       /* calls that wait for the handshake, in order */
        Transfer *stream;        /* the standalone GET stream */
        char *stream_event_id;
        bool no_stream; /* the remote has none */
        sd_event_source *reconnect;
        uint64_t backoff_usec;
};

struct HttpCall {
        HttpBackend *owner;
        LIST_FIELDS(HttpCall);
        BackendCall *call;
        json_object *message;
        json_object *id; /* borrowed from message */
        bool initialize;
        HttpEndpoint *endpoint; /* where it was sent last (counted in its n_calls) */
        bool moved;             /* sent again to another endpoint after one refused it (connection, 503) */
        char *protocol_version; /* a session of /mcp: what its handshake with the remote says */
        json_object *capabilities;
        bool retried;
        uint64_t deadline;
        Transfer *transfer;
        RemoteSession *waiting_on;
        HttpCall *wait_next;
        char *last_event_id;
        sd_event_source *timer; /* resumption, or a finish that cannot happen within call() */
        json_object *pending;   /* what that finish answers */
};

static inline sd_event *event_of(HttpBackend *h) {
        return h->backend->gateway->event;
}

/* When to come back after a stream the remote ended: when it said (retry:), else after def. */
static inline uint64_t retry_delay(const Transfer *t, uint64_t def) {
        return t->events.has_retry ? MAX(t->events.retry_ms * USEC_PER_MSEC, RESUME_DELAY_USEC_MIN) : def;
}

/* backend-http-endpoint.c: the endpoints. */
int endpoint_new(HttpBackend *h, const char *url, const char *address, HttpEndpoint **ret);
void endpoint_free(HttpEndpoint *e);
/* The endpoint for new work: up and not retired, the fewest calls in progress (within one), then the one
 * chosen least recently; when none is up, the same among the others. NULL: no endpoint but avoid. */
HttpEndpoint *endpoint_choose(HttpBackend *h, const HttpEndpoint *avoid);
/* Whether work already bound to e (a session) may go on there. */
bool endpoint_usable(const HttpEndpoint *e);
/* Binds a call to e (NULL: none), for e's counters. */
void endpoint_bind_call(HttpCall *hc, HttpEndpoint *e);
/* A transfer that failed before anything was sent (the connection refused, no route, the connect timed
 * out): its endpoint is taken out at once, and the work may go elsewhere. */
bool transfer_never_sent(Transfer *t, CURLcode result);
void endpoint_failed(HttpEndpoint *e, const char *why);
void endpoint_set_up(HttpEndpoint *e, bool up);
void endpoint_retire(HttpEndpoint *e);
/* Frees retired endpoints that hold nothing any more. */
void endpoints_reap(HttpBackend *h);
json_object *http_describe(Backend *b);

/* backend-http-resolve.c: endpoints from the addresses of the URLs' names (ResolveAddresses=yes). */
int resolve_start(HttpBackend *h);
void resolve_done(HttpBackend *h);

/* backend-http.c: calls. */
void call_finish(HttpCall *hc, json_object *response, BackendFailure failure, const char *message);
int call_send(HttpCall *hc);

/* backend-http-session.c: messages of the gateway's own, and sessions at the remote. */
json_object *request_id_new(HttpBackend *h);
json_object *client_info_new(void);
json_object *initialize_new(HttpBackend *h, const char *version, json_object *capabilities);
json_object *session_not_found_new(json_object *id);
int post_delete(HttpEndpoint *e, const char *remote_id, const char *version);
int post_side(HttpBackend *h, const char *session, json_object *message);
void request_for_session(Request *rq, const RemoteSession *s);
RemoteSession *session_find(HttpBackend *h, const char *id);
RemoteSession *session_free(RemoteSession *s);
int session_new(HttpBackend *h, const char *id, HttpEndpoint *e, RemoteSession **ret);
void session_drop(RemoteSession *s, BackendFailure failure, const char *message);
void session_established(HttpEndpoint *e, const char *id, const char *remote_id, json_object *response);
/* Drops the sessions that live on e. */
void sessions_drop_on(HttpEndpoint *e, const char *why);
int handshake_start(RemoteSession *s, const char *version, json_object *capabilities);
int http_end_session(Backend *b, const char *session);

/* backend-http-list.c: the remote's tools, for /mcp. */
Listing *listing_free(Listing *l);
bool listing_uses(const Listing *l, const HttpEndpoint *e);
int http_list_tools(Backend *b);

/* backend-http-endpoint.c: health. */
void http_check_health(Backend *b);
void endpoint_check_health(HttpEndpoint *e);
