/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-connection limits of the HTTP server: libmicrohttpd 0.9.75 resets a connection's idle timer on every
 * byte and has no deadline for a request head, and with an external event loop it asks to run again at once,
 * for as long as the connection timeout, when a chunk line does not fit its read buffer. What it cannot do
 * itself is done here, from its callbacks. */
#include <stdio.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "http-conn.h"
#include "list.h"
#include "log.h"
#include "macro.h"

struct HttpConn {
        HttpConnSet *set;
        LIST_FIELDS(HttpConn);
        struct MHD_Connection *connection;
        uint64_t head_deadline; /* CLOCK_MONOTONIC µs; UINT64_MAX while a request is handled */
        bool reserve;           /* beyond the limit: health checks only */
        bool chunked;           /* a chunked body is being read */
        bool ended;
        unsigned progress;      /* handler calls with body bytes */
        unsigned progress_mark; /* progress when the loop last stalled */
};

static uint64_t monotonic_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static HttpConn *conn_of(struct MHD_Connection *c) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return info ? info->socket_context : NULL;
}

static int conn_fd(HttpConn *conn) {
        const union MHD_ConnectionInfo *info =
                MHD_get_connection_info(conn->connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        return info ? info->connect_fd : -1;
}

void http_conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
        enum MHD_ConnectionNotificationCode code) {
        HttpConnSet *set = cls;

        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
                HttpConn *conn = new0(HttpConn, 1);
                if (!conn)
                        return; /* then it goes without limits of its own; libmicrohttpd's still hold */
                conn->set = set;
                conn->connection = c;
                conn->reserve = set->n >= set->limit;
                conn->head_deadline = monotonic_usec() + set->head_usec;
                LIST_PREPEND(set->conns, conn);
                set->n++;
                *socket_context = conn;
                return;
        }

        HttpConn *conn = *socket_context;
        if (!conn)
                return;
        LIST_REMOVE(set->conns, conn);
        set->n--;
        free(conn);
        *socket_context = NULL;
}

/* The JSON-RPC error body of a refusal, as the MCP endpoints answer theirs; message is one of ours. */
static int error_body(char *buf, size_t size, const char *message) {
        return snprintf(buf, size, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"%s\"}}",
                message);
}

/* Ends a connection from outside libmicrohttpd's handler: the answer goes straight to the socket (nothing of
 * this request was answered yet; over TLS there is no answer), and the shutdown makes libmicrohttpd close it
 * at its next run. */
static void conn_end(HttpConn *conn, const char *status, const char *message) {
        if (conn->ended)
                return;
        conn->ended = true;

        int fd = conn_fd(conn);
        if (fd < 0)
                return;
        char body[256], buf[512];
        int b = error_body(body, sizeof(body), message);
        int l = snprintf(buf, sizeof(buf),
                "HTTP/1.1 %s\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                status, b, body);
        if (!conn->set->tls && b > 0 && (size_t) b < sizeof(body) && l > 0 && (size_t) l < sizeof(buf))
                (void) send(fd, buf, l, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void) shutdown(fd, SHUT_RDWR);
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *message) {
        char body[256];
        (void) error_body(body, sizeof(body), message);
        struct MHD_Response *response = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
        if (!response)
                return MHD_NO;
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
        enum MHD_Result r = MHD_queue_response(c, status, response);
        MHD_destroy_response(response);
        return r;
}

typedef struct HeaderCount {
        unsigned transfer_encoding;
        unsigned content_length;
} HeaderCount;

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
        HeaderCount *n = cls;
        if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
                n->transfer_encoding++;
        else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
                n->content_length++;
        return MHD_YES;
}

static bool path_reserved(char **paths, const char *url) {
        for (char **p = paths; p && *p; p++)
                if (streq(*p, url))
                        return true;
        return false;
}

int http_conn_request_start(HttpConnSet *set, struct MHD_Connection *c, const char *url, const char *method) {
        HttpConn *conn = conn_of(c);
        if (conn) {
                conn->head_deadline = UINT64_MAX;
                conn->chunked = false;
                conn->progress = conn->progress_mark = 0;
        }

        if (conn && conn->reserve &&
                !((streq(method, MHD_HTTP_METHOD_GET) || streq(method, MHD_HTTP_METHOD_HEAD)) &&
                        path_reserved(set->reserved_paths, url)))
                return respond(c, MHD_HTTP_SERVICE_UNAVAILABLE, "Too many connections; try again later");

        /* Framing the way RFC 9112 6.3 wants it, so that no body is read in a way a proxy in front would not:
         * one Transfer-Encoding, which is chunked, and no Content-Length beside it. libmicrohttpd would read
         * "chunked, identity" as a body that ends when the connection does. */
        HeaderCount n = {};
        (void) MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &n);
        const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
        if (n.transfer_encoding > 1 || (te && strcasecmp(te, "chunked") != 0))
                return respond(c, MHD_HTTP_BAD_REQUEST, "Bad Request: the only Transfer-Encoding accepted is chunked");
        if (te && n.content_length > 0)
                return respond(c, MHD_HTTP_BAD_REQUEST, "Bad Request: Transfer-Encoding and Content-Length together");
        if (n.content_length > 1)
                return respond(c, MHD_HTTP_BAD_REQUEST, "Bad Request: more than one Content-Length");

        if (conn)
                conn->chunked = te != NULL;
        return -1;
}

void http_conn_body_progress(struct MHD_Connection *c) {
        HttpConn *conn = conn_of(c);
        if (conn)
                conn->progress++;
}

void http_conn_request_done(HttpConnSet *set, struct MHD_Connection *c, uint64_t now) {
        HttpConn *conn = conn_of(c);
        if (!conn)
                return;
        conn->chunked = false;
        conn->head_deadline = now + set->keepalive_usec;
        /* A reserve connection serves one health check and goes, so that the reserve is there for the next. */
        if (conn->reserve) {
                int fd = conn_fd(conn);
                conn->ended = true;
                if (fd >= 0)
                        (void) shutdown(fd, SHUT_RDWR);
        }
}

unsigned http_conn_sweep(HttpConnSet *set, uint64_t now) {
        unsigned n = 0;
        for (HttpConn *conn = set->conns; conn; conn = conn->next)
                if (!conn->ended && now > conn->head_deadline) {
                        log_debug("Closing a connection whose request head took longer than its deadline.");
                        conn_end(conn, "408 Request Timeout", "Request Timeout: the request head took too long");
                        n++;
                }
        return n;
}

unsigned http_conn_end_stalled(HttpConnSet *set, bool strict) {
        unsigned n = 0;
        for (HttpConn *conn = set->conns; conn; conn = conn->next) {
                if (conn->ended || !conn->chunked)
                        continue;
                bool moved = conn->progress != conn->progress_mark;
                conn->progress_mark = conn->progress;
                if (moved)
                        continue;

                /* A chunk line libmicrohttpd cannot hold leaves the rest of the request in the socket. */
                char byte;
                int fd = conn_fd(conn);
                if (!strict && (fd < 0 || recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0))
                        continue;
                log_debug("Closing a connection whose chunked body cannot be read on (a chunk line too long).");
                conn_end(conn, "400 Bad Request", "Bad Request: a chunk line longer than the server reads");
                n++;
        }
        return n;
}
