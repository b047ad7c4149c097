/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the files of the HTTP backend share: backend-http.c (calls, the transport), backend-http-session.c
 * (sessions at the remote) and backend-http-list.c (tools and health). */
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

typedef struct HttpBackend HttpBackend;
typedef struct RemoteSession RemoteSession;
typedef struct HttpCall HttpCall;
typedef struct HttpQuestion HttpQuestion;
typedef struct Listing Listing;

struct HttpBackend {
        Backend *backend;
        HttpRemote remote; /* every transfer in progress */
        Hashmap *sessions; /* gateway session id -> RemoteSession */
        HttpCall *calls;
        HttpQuestion *questions;
        Listing *listing;
        Transfer *health;
        bool was_down;    /* a health check failed since the tools were last listed */
        unsigned next_id; /* of the gateway's own requests */
};

struct RemoteSession {
        HttpBackend *owner;
        char *id;            /* the gateway's session id */
        char *remote_id;     /* Mcp-Session-Id at the remote; NULL when it gave none */
        char *version;       /* the negotiated MCP-Protocol-Version */
        bool ready;          /* initialized: requests go out with the two above */
        Transfer *handshake; /* initialize and notifications/initialized on the gateway's behalf */
        HttpCall *waiting;   /* calls that wait for the handshake, in order */
        Transfer *stream;    /* the standalone GET stream */
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

/* backend-http.c: calls. */
void call_finish(HttpCall *hc, json_object *response, BackendFailure failure, const char *message);
int call_send(HttpCall *hc);

/* backend-http-session.c: messages of the gateway's own, and sessions at the remote. */
json_object *request_id_new(HttpBackend *h);
json_object *client_info_new(void);
json_object *initialize_new(HttpBackend *h, const char *version, json_object *capabilities);
json_object *session_not_found_new(json_object *id);
int post_delete(HttpBackend *h, const char *remote_id, const char *version);
int post_side(HttpBackend *h, const char *session, json_object *message);
void request_for_session(Request *rq, const RemoteSession *s);
RemoteSession *session_find(HttpBackend *h, const char *id);
RemoteSession *session_free(RemoteSession *s);
int session_new(HttpBackend *h, const char *id, RemoteSession **ret);
void session_drop(RemoteSession *s, BackendFailure failure, const char *message);
void session_established(HttpBackend *h, const char *id, const char *remote_id, json_object *response);
int handshake_start(RemoteSession *s, const char *version, json_object *capabilities);
int http_end_session(Backend *b, const char *session);

/* backend-http-list.c: the remote's tools, for /mcp, and its health. */
Listing *listing_free(Listing *l);
int http_list_tools(Backend *b);
void http_check_health(Backend *b);
