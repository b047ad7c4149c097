/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-connection limits of the HTTP server: a deadline for request heads, connections kept in reserve for
 * health checks, request framing checks, and ending connections libmicrohttpd cannot move forward. */
#pragma once

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct HttpConn HttpConn;

typedef struct HttpConnSet {
        HttpConn *conns;
        unsigned n;
        unsigned limit;          /* connections beyond this many are the reserve */
        uint64_t head_usec;      /* a new connection's first request head is complete within this */
        uint64_t keepalive_usec; /* a later request's head, counted from the end of the previous one */
        char **reserved_paths;   /* what a reserve connection may ask for (GET or HEAD) */
        bool tls;                /* the sockets carry TLS: nothing can be written to them past libmicrohttpd */
} HttpConnSet;

/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION, with the set as cls. */
void http_conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
        enum MHD_ConnectionNotificationCode code);

/* The first call of the handler for a request, when its head is in. Returns an MHD_Result when it answered
 * the request itself (a refusal), or -1 to let the handler go on. */
int http_conn_request_start(HttpConnSet *set, struct MHD_Connection *c, const char *url, const char *method);
/* The handler took body bytes. */
void http_conn_body_progress(struct MHD_Connection *c);
/* The request ended (libmicrohttpd's request-completed callback). */
void http_conn_request_done(HttpConnSet *set, struct MHD_Connection *c, uint64_t now);

/* Ends the connections whose request head is overdue, with 408. Returns how many. */
unsigned http_conn_sweep(HttpConnSet *set, uint64_t now);
/* libmicrohttpd asks to run again at once but nothing moves: ends, with 400, the chunked uploads that made
 * no progress since the previous call and have bytes waiting in the socket (any, when strict). */
unsigned http_conn_end_stalled(HttpConnSet *set, bool strict);
