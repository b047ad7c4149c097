/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmicrohttpd driven from sd-event: its epoll fd as an io source, its timeouts as a timer source. */
#pragma once

#include <microhttpd.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef struct HttpServer HttpServer;

typedef struct HttpServerOptions {
        unsigned connection_limit;        /* open connections at once */
        unsigned per_ip_connection_limit; /* from one source address; 0: none (capped at connection_limit) */
        unsigned idle_timeout_sec;        /* a connection with no traffic is closed after this */
        unsigned head_timeout_sec;        /* a new connection's first request head is complete within this */
        size_t connection_memory;         /* per connection, for headers and buffers */
        unsigned reserve;                 /* connections beyond connection_limit kept for reserved_paths */
        char **reserved_paths;            /* health checks (GET) answered on the reserve; NULL: no reserve */
        const char *tls_cert_pem;         /* HTTPS with this certificate (chain) and key; NULL: plain HTTP. */
        const char *tls_key_pem;          /* Both must outlive the server. */
} HttpServerOptions;

#define HTTP_SERVER_OPTIONS_DEFAULT                                                                                    \
        ((HttpServerOptions){                                                                                          \
                .connection_limit = 1024,                                                                              \
                .per_ip_connection_limit = 256,                                                                        \
                .idle_timeout_sec = 60,                                                                                \
                .head_timeout_sec = 10,                                                                                \
                .connection_memory = 32 * 1024,                                                                        \
                .reserve = 8,                                                                                          \
        })

/* Serves on listen_fd (taken) with handler and completed callbacks as libmicrohttpd has them. */
int http_server_new(HttpServer **ret, sd_event *event, int listen_fd, const HttpServerOptions *options,
        MHD_AccessHandlerCallback handler, void *handler_cls, MHD_RequestCompletedCallback completed,
        void *completed_cls);
HttpServer *http_server_free(HttpServer *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(HttpServer *, http_server_free);

/* Lets libmicrohttpd work after something outside it changed its state (a resumed connection). */
void http_server_kick(HttpServer *h);

/* The listening socket: the one passed by systemd (socket activation), else a new one bound to address
 * ("127.0.0.1:8080", "[::1]:8080", ":8080" for all addresses). Returns the fd or a negative errno, logged. */
int http_listen_fd(const char *address);
/* The local (AF_UNIX) listening socket: the one passed by systemd, else a new one at path (made reachable
 * for everyone: the peer's credentials tell who connects). -ENOENT when there is none to have. */
int http_local_listen_fd(const char *path);
/* Formats the address a listening socket is bound to, for the log. */
int http_socket_describe(int fd, char *buf, size_t size);
/* Whether an address as http_listen_fd() takes it names a loopback address: 1 or 0 (also for ":PORT", all
 * addresses), or -EINVAL when it does not parse. */
int http_address_is_loopback(const char *address);
/* Whether the socket is bound to a loopback address (127.0.0.0/8, ::1, or an IPv4-mapped 127.x) or is an
 * AF_UNIX socket: 1 or 0, or a negative errno. */
int http_socket_is_loopback(int fd);
