/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The answer to one POST (or a session's GET stream): JSON, or SSE events kept for Last-Event-ID replay. */
#pragma once

#include <microhttpd.h>

#include "http-server.h"
#include "json-util.h"
#include "list.h"
#include "mcp-identity.h"
#include "mcp-server.h"

typedef struct HttpStream HttpStream;
typedef struct StreamSet StreamSet;

typedef enum StreamMode {
        STREAM_UNDECIDED, /* nothing produced yet */
        STREAM_JSON,      /* the reply came first: one application/json body */
        STREAM_SSE,       /* a message came before the reply: text/event-stream */
} StreamMode;

typedef struct SseEvent SseEvent;

struct HttpStream {
        unsigned n_ref;
        HttpServer *server;
        StreamSet *owner;        /* the session's streams; NULL without a session */
        LIST_FIELDS(HttpStream); /* in owner->streams */
        unsigned index;          /* 0 is the session's standalone GET stream */
        size_t buffer_max;

        StreamMode mode;
        bool sse_allowed; /* the client accepts text/event-stream */
        bool json_allowed;
        bool prime;             /* send an id-only priming event first (2025-11-25) */
        bool finished;          /* the exchange is done; no more events will come */
        bool drop_when_drained; /* server-initiated close: end this connection once everything is written */
        uint64_t retry_ms;

        json_object *reply; /* STREAM_JSON: the body */
        McpExchange *exchange;

        uint64_t next_seq;
        SseEvent *first, *last, *next_to_send;
        size_t next_offset;
        size_t n_bytes;

        struct MHD_Connection *connection; /* attached connection, if any */
        bool suspended;

        McpIdentity *identity; /* who the requests of this stream come from, or NULL */
};

struct StreamSet {
        HttpStream *streams; /* newest first */
        unsigned next_index;
        unsigned n_kept; /* of them, those no connection reads, the standalone one aside */
};

int http_stream_new(HttpStream **ret, HttpServer *server, StreamSet *owner, bool standalone, size_t buffer_max);
HttpStream *http_stream_ref(HttpStream *st);
HttpStream *http_stream_unref(HttpStream *st);
DEFINE_TRIVIAL_CLEANUP_FUNC(HttpStream *, http_stream_unref);
/* Removes the stream from its owner (it stays alive while referenced). */
void http_stream_forget(HttpStream *st);
HttpStream *stream_set_find(StreamSet *set, unsigned index);
void stream_set_clear(StreamSet *set);
/* Forgets all but the newest max streams that no connection reads. */
void stream_set_prune(StreamSet *set, unsigned max);

/* The engine's sink on a stream. */
extern const McpSinkOps http_stream_sink_ops;
/* The same for a request of the front end (it presented its credential): without a principal it is the front
 * end's own, and lists show it every entry (its catalog); with one it named (identity->backend set), the
 * shipped rules (scope-rules.h) decide what the principal is shown and may use. */
extern const McpSinkOps http_stream_front_end_sink_ops;
extern const McpSinkOps http_stream_principal_sink_ops;
/* Appends a message as an SSE event (switching the stream to SSE) and wakes the connection. */
int http_stream_push(HttpStream *st, json_object *message);

/* Connection side. */
void http_stream_attach(HttpStream *st, struct MHD_Connection *connection);
void http_stream_detach(HttpStream *st);
void http_stream_suspend(HttpStream *st);
void http_stream_wake(HttpStream *st);
/* Replays from after the event id ("<stream>-<seq>"); -ENOENT when that event is not known. */
int http_stream_parse_event_id(const char *id, unsigned *ret_index, uint64_t *ret_seq);
int http_stream_seek(HttpStream *st, uint64_t after_seq);
/* Whether everything was written and nothing more will come. */
bool http_stream_drained(HttpStream *st);
/* A response reading the stream's events as text/event-stream. */
struct MHD_Response *http_stream_response_new(HttpStream *st);
/* Queues a comment line that keeps proxies and the connection alive. */
void http_stream_keepalive(HttpStream *st);
