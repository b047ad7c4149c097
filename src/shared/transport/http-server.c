/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmicrohttpd on sd-event, the way systemd-journal-remote drives it, plus the listening socket. */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include "http-conn.h"
#include "http-server.h"
#include "log.h"

/* Runs in a row that libmicrohttpd asks for at once with nothing come in: it is stuck on a connection. */
#define SPINS_MAX 64U
/* While stuck, it runs this often instead, and the next check comes sooner. */
#define STALLED_RUN_USEC (10 * USEC_PER_MSEC)
#define STALLED_SPINS_MAX 10U
/* Resumed connections wait for the loop's other work of normal priority (the answers still to read off
 * the bus), so that one run sends them all; after this many resumes they go first again. */
#define KICKS_BATCH_MAX 64U

struct HttpServer {
        sd_event *event;
        struct MHD_Daemon *daemon;
        sd_event_source *io_source;
        sd_event_source *timer_source;
        sd_event_source *kick_source;
        sd_event_source *head_timer;
        HttpConnSet conns;
        MHD_AccessHandlerCallback handler;
        void *handler_cls;
        MHD_RequestCompletedCallback completed;
        void *completed_cls;
        unsigned spins;  /* runs in a row asked for at once without io or a kick */
        unsigned stalls; /* checks in a row that found libmicrohttpd stuck */
        unsigned kicks;  /* resumes since the last run */
        bool kicked;
};

static void mhd_log(void *arg, const char *format, va_list ap) {
        char buf[512];
        vsnprintf(buf, sizeof(buf), format, ap);
        buf[strcspn(buf, "\n")] = 0;
        log_debug("libmicrohttpd: %s", buf);
}

static void arm_timer(HttpServer *h, uint64_t usec, uint64_t accuracy) {
        uint64_t now;
        (void) sd_event_now(h->event, CLOCK_MONOTONIC, &now);
        (void) sd_event_source_set_time_accuracy(h->timer_source, accuracy);
        (void) sd_event_source_set_time(h->timer_source, now + usec);
        (void) sd_event_source_set_enabled(h->timer_source, SD_EVENT_ONESHOT);
}

static void http_server_run(HttpServer *h, bool woken) {
        woken = woken || h->kicked;
        h->kicked = false;
        if (h->kicks >= KICKS_BATCH_MAX)
                (void) sd_event_source_set_priority(h->kick_source, SD_EVENT_PRIORITY_NORMAL + 1);
        h->kicks = 0;

        unsigned open = h->conns.n;
        if (MHD_run(h->daemon) != MHD_YES)
                log_debug("MHD_run() failed.");
        /* At its connection limit libmicrohttpd stops watching the listening socket, and takes it back only
         * at the start of a run: after connections closed, one more run, or waiting clients wait forever. */
        if (h->conns.n < open)
                (void) sd_event_source_set_enabled(h->kick_source, SD_EVENT_ONESHOT);

        /* Request heads are checked every second while there are connections. */
        if (h->conns.n > 0 && sd_event_source_get_enabled(h->head_timer, NULL) == 0) {
                (void) sd_event_source_set_time_relative(h->head_timer, USEC_PER_SEC);
                (void) sd_event_source_set_enabled(h->head_timer, SD_EVENT_ONESHOT);
        }

        /* MHD_get_timeout() is relative milliseconds; sd-event wants absolute CLOCK_MONOTONIC microseconds. */
        MHD_UNSIGNED_LONG_LONG timeout_ms;
        if (MHD_get_timeout(h->daemon, &timeout_ms) != MHD_YES) {
                (void) sd_event_source_set_enabled(h->timer_source, SD_EVENT_OFF);
                return;
        }
        if (timeout_ms == 0) {
                /* Work is waiting (a resumed connection): run again as soon as the loop is free. But when it
                 * keeps asking with nothing come in, a connection is stuck (a chunked body whose chunk line does
                 * not fit the read buffer, which libmicrohttpd 0.9.75 neither reads on nor refuses): end it,
                 * and meanwhile run at a pace that leaves the loop to everything else. */
                h->spins = woken ? 0 : h->spins + 1;
                if (h->spins >= (h->stalls > 0 ? STALLED_SPINS_MAX : SPINS_MAX)) {
                        unsigned n = http_conn_end_stalled(&h->conns, h->stalls > 0);
                        if (n > 0)
                                log_info("Closed %u HTTP connection(s) whose chunked body could not be read on.", n);
                        h->stalls++;
                        h->spins = 0;
                }
                if (h->stalls > 0) {
                        arm_timer(h, STALLED_RUN_USEC, USEC_PER_MSEC);
                        return;
                }
                (void) sd_event_source_set_enabled(h->kick_source, SD_EVENT_ONESHOT);
                return;
        }
        h->spins = h->stalls = 0;
        /* Otherwise the timeout is a connection's idle limit, in seconds: the timer's default accuracy
         * (250 ms) is fine, and lets sd-event leave its timerfd alone while requests come and go. */
        arm_timer(h, (uint64_t) timeout_ms * USEC_PER_MSEC, USEC_PER_SEC / 4);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        http_server_run(userdata, true);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        http_server_run(userdata, false);
        return 0;
}

static int on_kick(sd_event_source *s, void *userdata) {
        http_server_run(userdata, false);
        return 0;
}

static int on_head_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        HttpServer *h = userdata;
        /* The shutdowns wake libmicrohttpd through its epoll fd; it closes the connections then. */
        (void) http_conn_sweep(&h->conns, usec);
        if (h->conns.n > 0) {
                (void) sd_event_source_set_time_relative(s, USEC_PER_SEC);
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        return 0;
}

void http_server_kick(HttpServer *h) {
        /* Resuming signals MHD's own eventfd, which wakes the io source too; running soon from a defer
         * source spares one wake-up of the loop. */
        h->kicked = true;
        if (++h->kicks == KICKS_BATCH_MAX)
                (void) sd_event_source_set_priority(h->kick_source, SD_EVENT_PRIORITY_NORMAL);
        (void) sd_event_source_set_enabled(h->kick_source, SD_EVENT_ONESHOT);
}

/* libmicrohttpd's callbacks pass through here first, for the limits of http-conn.c. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
        const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls) {
        HttpServer *h = cls;

        if (!*con_cls && *upload_data_size == 0) {
                /* Its head is in (the application sets *con_cls on this first call, or answers at once). */
                int r = http_conn_request_start(&h->conns, c, url, method);
                if (r >= 0)
                        return (enum MHD_Result) r;
        } else if (*upload_data_size > 0)
                http_conn_body_progress(c);
        return h->handler(h->handler_cls, c, url, method, version, upload_data, upload_data_size, con_cls);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
        HttpServer *h = cls;
        if (h->completed)
                h->completed(h->completed_cls, c, con_cls, toe);
        uint64_t now;
        (void) sd_event_now(h->event, CLOCK_MONOTONIC, &now);
        http_conn_request_done(&h->conns, c, now);
}

int http_server_new(HttpServer **ret, sd_event *event, int listen_fd, const HttpServerOptions *o,
        MHD_AccessHandlerCallback handler, void *handler_cls, MHD_RequestCompletedCallback completed,
        void *completed_cls) {

        assert(ret);
        assert(event);
        assert(listen_fd >= 0);
        assert(o);

        _cleanup_close_ int fd = listen_fd;
        _cleanup_(http_server_freep) HttpServer *h = new0(HttpServer, 1);
        if (!h)
                return log_oom();
        h->event = sd_event_ref(event);
        h->handler = handler;
        h->handler_cls = handler_cls;
        h->completed = completed;
        h->completed_cls = completed_cls;
        unsigned reserve = o->reserved_paths ? o->reserve : 0;
        unsigned idle = o->idle_timeout_sec > 0 ? o->idle_timeout_sec : UINT_MAX / 2;
        h->conns = (HttpConnSet){
                .limit = o->connection_limit,
                .head_usec = (uint64_t) MIN(o->head_timeout_sec > 0 ? o->head_timeout_sec : idle, idle) * USEC_PER_SEC,
                .keepalive_usec = (uint64_t) idle * USEC_PER_SEC,
                .reserved_paths = o->reserved_paths,
                .tls = o->tls_cert_pem && o->tls_key_pem,
        };
        /* The reserve is open to every source: a client holding its share must not shut out the health checks
         * that come from the same address (all of them, on loopback). */
        unsigned per_ip =
                o->per_ip_connection_limit > 0 ? MIN(o->per_ip_connection_limit, o->connection_limit) + reserve : 0;

        bool tls = o->tls_cert_pem && o->tls_key_pem;
        if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
                return log_error_errno(EOPNOTSUPP, "This libmicrohttpd has no TLS support.");
        struct MHD_OptionItem tls_options[] = {
                { MHD_OPTION_HTTPS_MEM_KEY, 0, (void *) o->tls_key_pem },
                { MHD_OPTION_HTTPS_MEM_CERT, 0, (void *) o->tls_cert_pem },
                { MHD_OPTION_END, 0, NULL },
        };

        h->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO | (tls ? MHD_USE_TLS : 0),
                0, NULL, NULL, on_request, h, MHD_OPTION_ARRAY, tls ? tls_options : tls_options + 2,
                MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                MHD_OPTION_NOTIFY_CONNECTION, http_conn_notify, &h->conns, MHD_OPTION_CONNECTION_LIMIT,
                o->connection_limit + reserve, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
                MHD_OPTION_CONNECTION_TIMEOUT, o->idle_timeout_sec, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                o->connection_memory, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1,
                MHD_OPTION_END);
        if (!h->daemon)
                return log_error_errno(EINVAL, "Failed to start the HTTP server%s.",
                        tls ? " (is the TLS certificate and key a matching PEM pair?)" : "");
        TAKE_FD(fd); /* MHD closes it when it stops */

        const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info)
                return log_error_errno(EINVAL, "libmicrohttpd has no epoll fd.");

        int r = sd_event_add_io(event, &h->io_source, info->epoll_fd, EPOLLIN, on_io, h);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the HTTP server: %m");
        r = sd_event_add_time(event, &h->timer_source, CLOCK_MONOTONIC, UINT64_MAX, 0, on_timer, h);
        if (r < 0)
                return log_error_errno(r, "Failed to add the HTTP timer: %m");
        r = sd_event_add_defer(event, &h->kick_source, on_kick, h);
        if (r < 0)
                return log_error_errno(r, "Failed to add the HTTP defer source: %m");
        (void) sd_event_source_set_enabled(h->kick_source, SD_EVENT_OFF);
        (void) sd_event_source_set_priority(h->kick_source, SD_EVENT_PRIORITY_NORMAL + 1);
        r = sd_event_add_time(event, &h->head_timer, CLOCK_MONOTONIC, UINT64_MAX, USEC_PER_SEC / 4, on_head_timer, h);
        if (r < 0)
                return log_error_errno(r, "Failed to add the HTTP request head timer: %m");
        (void) sd_event_source_set_enabled(h->head_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(h->io_source, "http-io");
        (void) sd_event_source_set_description(h->timer_source, "http-timer");

        *ret = TAKE_PTR(h);
        return 0;
}

HttpServer *http_server_free(HttpServer *h) {
        if (!h)
                return NULL;
        sd_event_source_disable_unref(h->io_source);
        sd_event_source_disable_unref(h->timer_source);
        sd_event_source_disable_unref(h->kick_source);
        sd_event_source_disable_unref(h->head_timer);
        if (h->daemon)
                MHD_stop_daemon(h->daemon);
        sd_event_unref(h->event);
        free(h);
        return NULL;
}

static int parse_address(const char *address, struct sockaddr_storage *ss, socklen_t *len) {
        const char *colon = strrchr(address, ':');
        if (!colon)
                return -EINVAL;

        char *end;
        unsigned long port = strtoul(colon + 1, &end, 10);
        if (*end || colon[1] == 0 || port > 65535)
                return -EINVAL;

        _cleanup_free_ char *host = strndup(address, colon - address);
        if (!host)
                return -ENOMEM;

        memset(ss, 0, sizeof(*ss));
        if (host[0] == '[') {
                size_t l = strlen(host);
                if (l < 2 || host[l - 1] != ']')
                        return -EINVAL;
                host[l - 1] = 0;
                struct sockaddr_in6 *sa = (struct sockaddr_in6 *) ss;
                sa->sin6_family = AF_INET6;
                sa->sin6_port = htons(port);
                if (inet_pton(AF_INET6, host + 1, &sa->sin6_addr) != 1)
                        return -EINVAL;
                *len = sizeof(*sa);
                return 0;
        }

        struct sockaddr_in *sa = (struct sockaddr_in *) ss;
        sa->sin_family = AF_INET;
        sa->sin_port = htons(port);
        if (isempty(host))
                sa->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
                return -EINVAL;
        *len = sizeof(*sa);
        return 0;
}

int http_listen_fd(const char *address) {
        int n = sd_listen_fds(true);
        if (n < 0)
                return log_error_errno(n, "Failed to read the sockets passed by systemd: %m");
        for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++)
                if (sd_is_socket(fd, AF_INET, SOCK_STREAM, 1) > 0 || sd_is_socket(fd, AF_INET6, SOCK_STREAM, 1) > 0)
                        return fd;
        for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++)
                if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) > 0)
                        return fd;
        if (n > 0)
                return log_error_errno(EINVAL, "None of the %d sockets passed by systemd is a listening stream socket.",
                        n);

        struct sockaddr_storage ss;
        socklen_t len;
        int r = parse_address(address, &ss, &len);
        if (r < 0)
                return log_error_errno(r, "Invalid listen address \"%s\": expected HOST:PORT, [IPV6]:PORT or :PORT.",
                        address);

        _cleanup_close_ int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create a socket: %m");
        int one = 1;
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *) &ss, len) < 0)
                return log_error_errno(errno, "Failed to bind to %s: %m", address);
        if (listen(fd, SOMAXCONN) < 0)
                return log_error_errno(errno, "Failed to listen on %s: %m", address);
        return TAKE_FD(fd);
}

int http_socket_describe(int fd, char *buf, size_t size) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        char host[INET6_ADDRSTRLEN];

        if (getsockname(fd, (struct sockaddr *) &ss, &len) < 0)
                return -errno;
        if (ss.ss_family == AF_INET6) {
                struct sockaddr_in6 *sa = (struct sockaddr_in6 *) &ss;
                inet_ntop(AF_INET6, &sa->sin6_addr, host, sizeof(host));
                snprintf(buf, size, "[%s]:%u", host, ntohs(sa->sin6_port));
        } else if (ss.ss_family == AF_INET) {
                struct sockaddr_in *sa = (struct sockaddr_in *) &ss;
                inet_ntop(AF_INET, &sa->sin_addr, host, sizeof(host));
                snprintf(buf, size, "%s:%u", host, ntohs(sa->sin_port));
        } else
                return -EAFNOSUPPORT;
        return 0;
}

int http_socket_is_loopback(int fd) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        if (getsockname(fd, (struct sockaddr *) &ss, &len) < 0)
                return -errno;
        if (ss.ss_family == AF_UNIX)
                return 1;
        if (ss.ss_family == AF_INET)
                return (ntohl(((struct sockaddr_in *) &ss)->sin_addr.s_addr) >> 24) == 127;
        if (ss.ss_family == AF_INET6) {
                const struct in6_addr *a = &((struct sockaddr_in6 *) &ss)->sin6_addr;
                if (IN6_IS_ADDR_LOOPBACK(a))
                        return 1;
                return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
        }
        return 0;
}

int http_address_is_loopback(const char *address) {
        const char *colon = strrchr(address, ':');
        if (!colon)
                return -EINVAL;
        size_t n = (size_t) (colon - address);
        char host[INET6_ADDRSTRLEN + 2];
        if (n >= sizeof(host))
                return -EINVAL;
        memcpy(host, address, n);
        host[n] = 0;
        if (n == 0)
                return 0; /* every address */
        struct in_addr a4;
        struct in6_addr a6;
        if (inet_pton(AF_INET, host, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) == 127;
        if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
                host[n - 1] = 0;
                if (inet_pton(AF_INET6, host + 1, &a6) == 1)
                        return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
        }
        return -EINVAL;
}

int http_local_listen_fd(const char *path) {
        int n = sd_listen_fds(false);
        if (n < 0)
                return log_error_errno(n, "Failed to read the sockets passed by systemd: %m");
        if (n > 0) {
                for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++)
                        if (sd_is_socket(fd, AF_UNIX, SOCK_STREAM, 1) > 0)
                                return fd;
                return -ENOENT; /* systemd decides which sockets there are */
        }
        if (!path)
                return -ENOENT;

        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa.sun_path))
                return log_error_errno(ENAMETOOLONG, "The socket path %s is too long.", path);
        strcpy(sa.sun_path, path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create a socket: %m");
        (void) unlink(path); /* a socket left by an earlier run */
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return log_error_errno(errno, "Failed to bind to %s: %m", path);
        /* Anyone may connect: the peer's credentials say who it is. */
        if (chmod(path, 0666) < 0)
                return log_error_errno(errno, "Failed to make %s reachable: %m", path);
        if (listen(fd, SOMAXCONN) < 0)
                return log_error_errno(errno, "Failed to listen on %s: %m", path);
        return TAKE_FD(fd);
}
