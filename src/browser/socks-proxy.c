/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The browser's SOCKS5 proxy: every connection the browser makes, checked against the origin policy. */
#include <arpa/inet.h>
#include <ctype.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "list.h"
#include "log.h"
#include "socks-proxy.h"

#define SOCKS_BUFFER 16384
#define SOCKS_MAX_ADDRESSES 16

int socks_parse_greeting(const uint8_t *buf, size_t n) {
        if (n < 1)
                return 0;
        if (buf[0] != 5)
                return -EPROTO;
        if (n < 2)
                return 0;
        if (buf[1] == 0)
                return -EPROTO;
        if (n < 2 + (size_t) buf[1])
                return 0;
        for (size_t i = 0; i < buf[1]; i++)
                if (buf[2 + i] == 0x00)
                        return 2 + buf[1];
        return -EPERM;
}

int socks_parse_request(const uint8_t *buf, size_t n, SocksRequest *ret, uint8_t *ret_reply) {
        *ret_reply = SOCKS_REPLY_FAILURE;
        if (n < 4)
                return n >= 1 && buf[0] != 5 ? -EPROTO : 0;
        if (buf[0] != 5 || buf[2] != 0)
                return -EPROTO;
        if (buf[1] != 0x01) {
                *ret_reply = SOCKS_REPLY_COMMAND_NOT_SUPPORTED; /* BIND, UDP ASSOCIATE, anything else */
                return -EOPNOTSUPP;
        }
        SocksRequest r = { .command = buf[1] };
        size_t at = 4;
        switch (buf[3]) {
        case 0x01:
                if (n < at + 4 + 2)
                        return 0;
                inet_ntop(AF_INET, buf + at, r.host, sizeof(r.host));
                at += 4;
                break;
        case 0x04:
                if (n < at + 16 + 2)
                        return 0;
                inet_ntop(AF_INET6, buf + at, r.host, sizeof(r.host));
                at += 16;
                break;
        case 0x03: {
                if (n < at + 1)
                        return 0;
                size_t len = buf[at];
                if (len == 0)
                        return -EPROTO;
                if (n < at + 1 + len + 2)
                        return 0;
                for (size_t i = 0; i < len; i++) {
                        uint8_t ch = buf[at + 1 + i];
                        if (!isalnum(ch) && ch != '-' && ch != '.' && ch != '_')
                                return -EPROTO; /* not a host name (no spaces, NULs, slashes, ...) */
                        r.host[i] = (char) tolower(ch);
                }
                r.host[len] = 0;
                r.is_name = true;
                at += 1 + len;
                break;
        }
        default:
                *ret_reply = SOCKS_REPLY_ADDRESS_NOT_SUPPORTED;
                return -EOPNOTSUPP;
        }
        r.port = (unsigned) buf[at] << 8 | buf[at + 1];
        if (r.port == 0)
                return -EPROTO;
        *ret = r;
        return (int) (at + 2);
}

static bool address_is_link_local(const char *host) {
        struct in_addr a4;
        struct in6_addr a6;
        if (inet_pton(AF_INET, host, &a4) == 1)
                return (ntohl(a4.s_addr) >> 16) == 0xa9fe; /* 169.254.0.0/16 */
        if (inet_pton(AF_INET6, host, &a6) == 1) {
                if (IN6_IS_ADDR_LINKLOCAL(&a6))
                        return true;
                if (IN6_IS_ADDR_V4MAPPED(&a6))
                        return a6.s6_addr[12] == 169 && a6.s6_addr[13] == 254;
        }
        return false;
}

OriginVerdict socks_check_destination(const OriginPolicy *p, const char *host, unsigned port) {
        static const char *const schemes[] = { "http", "https", "ws", "wss" };
        OriginParts o = { .port = port };
        if (strlen(host) + 3 > sizeof(o.host))
                return ORIGIN_MALFORMED;
        if (strchr(host, ':'))
                snprintf(o.host, sizeof(o.host), "[%s]", host);
        else
                strcpy(o.host, host);
        for (char *c = o.host; *c; c++)
                *c = (char) tolower((unsigned char) *c);

        FOREACH_ELEMENT(scheme, schemes) {
                strcpy(o.scheme, *scheme);
                for (size_t i = 0; p->block && p->block[i]; i++)
                        if (origin_pattern_matches(p->block[i], &o))
                                return ORIGIN_BLOCKED;
        }
        if (!p->allow_loopback && (origin_host_is_loopback(o.host, p->host_addresses) || address_is_link_local(host)))
                return ORIGIN_LOOPBACK;
        if (!p->allow || !p->allow[0])
                return ORIGIN_ALLOWED;
        FOREACH_ELEMENT(scheme, schemes) {
                strcpy(o.scheme, *scheme);
                for (size_t i = 0; p->allow[i]; i++)
                        if (origin_pattern_matches(p->allow[i], &o))
                                return ORIGIN_ALLOWED;
        }
        return ORIGIN_NOT_ALLOWED;
}

OriginVerdict socks_check_address(const OriginPolicy *p, const struct sockaddr *sa) {
        char text[INET6_ADDRSTRLEN];
        if (sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, text, sizeof(text));
        else if (sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr, text, sizeof(text));
        else
                return ORIGIN_MALFORMED;
        if (p->allow_loopback)
                return ORIGIN_ALLOWED;
        if (address_is_link_local(text))
                return ORIGIN_LOOPBACK;
        if (sa->sa_family == AF_INET6) {
                char bracketed[INET6_ADDRSTRLEN + 2];
                snprintf(bracketed, sizeof(bracketed), "[%s]", text);
                return origin_host_is_loopback(bracketed, p->host_addresses) ? ORIGIN_LOOPBACK : ORIGIN_ALLOWED;
        }
        return origin_host_is_loopback(text, p->host_addresses) ? ORIGIN_LOOPBACK : ORIGIN_ALLOWED;
}

/* --- name resolution, by a thread per lookup ------------------------------------------------------------ */

/* What a lookup thread sends back over its socket, in one datagram. */
typedef struct LookupResult {
        int error; /* getaddrinfo()'s EAI_*, 0 on success */
        unsigned n;
        struct sockaddr_storage addresses[SOCKS_MAX_ADDRESSES];
} LookupResult;

typedef struct Lookup {
        int fd;
        char host[256];
        unsigned port;
} Lookup;

static void *lookup_thread(void *userdata) {
        Lookup *l = userdata;
        LookupResult result = {};
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *list = NULL;
        result.error = getaddrinfo(l->host, NULL, &hints, &list);
        for (struct addrinfo *i = list; i && result.n < SOCKS_MAX_ADDRESSES; i = i->ai_next) {
                if ((i->ai_family != AF_INET && i->ai_family != AF_INET6) ||
                        i->ai_addrlen > sizeof(struct sockaddr_storage))
                        continue;
                struct sockaddr_storage *a = &result.addresses[result.n++];
                memcpy(a, i->ai_addr, i->ai_addrlen);
                if (a->ss_family == AF_INET)
                        ((struct sockaddr_in *) a)->sin_port = htons(l->port);
                else
                        ((struct sockaddr_in6 *) a)->sin6_port = htons(l->port);
        }
        if (list)
                freeaddrinfo(list);
        (void) send(l->fd, &result, sizeof(result), MSG_NOSIGNAL); /* fails when the connection went away */
        safe_close(l->fd);
        free(l);
        return NULL;
}

/* Starts resolving host; the answer comes on the returned fd (SOCK_SEQPACKET, close-on-exec). */
static int lookup_start(const char *host, unsigned port) {
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) < 0)
                return -errno;
        Lookup *l = calloc(1, sizeof(Lookup));
        if (!l) {
                safe_close(pair[0]);
                safe_close(pair[1]);
                return -ENOMEM;
        }
        *l = (Lookup){ .fd = pair[1], .port = port };
        snprintf(l->host, sizeof(l->host), "%s", host);
        pthread_attr_t attr;
        pthread_t thread;
        int r = -pthread_attr_init(&attr);
        if (r >= 0) {
                (void) pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                r = -pthread_create(&thread, &attr, lookup_thread, l);
                pthread_attr_destroy(&attr);
        }
        if (r < 0) {
                safe_close(pair[0]);
                safe_close(pair[1]);
                free(l);
                return r;
        }
        return pair[0];
}

/* --- connections ---------------------------------------------------------------------------------------- */

typedef enum ConnState {
        CONN_GREETING,
        CONN_REQUEST,
        CONN_RESOLVING,
        CONN_CONNECTING,
        CONN_RELAYING,
} ConnState;

/* One direction of a relayed connection. */
typedef struct Flow {
        uint8_t buf[SOCKS_BUFFER];
        size_t len;
        bool eof;  /* its source ended */
        bool shut; /* its destination was told (shutdown SHUT_WR) */
} Flow;

typedef struct Conn Conn;

struct SocksProxy {
        sd_event *event;
        const OriginPolicy *policy;
        int fd;
        unsigned port;
        sd_event_source *source;
        Conn *conns;
        unsigned n_conns;
        uint64_t refused;
};

struct Conn {
        SocksProxy *proxy;
        ConnState state;
        int client, remote, lookup;
        sd_event_source *client_source, *remote_source, *lookup_source;
        uint8_t in[600]; /* the greeting and the request */
        size_t in_len;
        SocksRequest request;
        struct sockaddr_storage addresses[SOCKS_MAX_ADDRESSES];
        unsigned n_addresses, next_address;
        int error;     /* why the last address could not be connected to */
        Flow up, down; /* client to remote, remote to client */
        LIST_FIELDS(Conn);
};

static void conn_free(Conn *c) {
        LIST_REMOVE(c->proxy->conns, c);
        c->proxy->n_conns--;
        sd_event_source_disable_unref(c->client_source);
        sd_event_source_disable_unref(c->remote_source);
        sd_event_source_disable_unref(c->lookup_source);
        safe_close(c->client);
        safe_close(c->remote);
        safe_close(c->lookup);
        free(c);
}

static void conn_reply_and_close(Conn *c, uint8_t code) {
        const uint8_t reply[10] = { 5, code, 0, 1 };
        (void) send(c->client, reply, sizeof(reply), MSG_NOSIGNAL);
        conn_free(c);
}

static void conn_refuse(Conn *c, uint8_t code, const char *why) {
        c->proxy->refused++;
        log_debug("SOCKS: refused a connection to %s:%u: %s", c->request.host[0] ? c->request.host : "(none)",
                c->request.port, why);
        conn_reply_and_close(c, code);
}

static int set_events(sd_event_source *s, uint32_t events) {
        if (events == 0)
                return sd_event_source_set_enabled(s, SD_EVENT_OFF);
        int r = sd_event_source_set_io_events(s, events);
        return r < 0 ? r : sd_event_source_set_enabled(s, SD_EVENT_ON);
}

/* Which events each side waits for now, and the half-closes due; frees the connection once both ends ended. */
static int conn_update(Conn *c) {
        if (c->up.eof && c->up.len == 0 && !c->up.shut) {
                (void) shutdown(c->remote, SHUT_WR);
                c->up.shut = true;
        }
        if (c->down.eof && c->down.len == 0 && !c->down.shut) {
                (void) shutdown(c->client, SHUT_WR);
                c->down.shut = true;
        }
        if (c->up.shut && c->down.shut) {
                conn_free(c);
                return 0;
        }
        uint32_t client = 0, remote = 0;
        if (!c->up.eof && c->up.len < SOCKS_BUFFER)
                client |= EPOLLIN;
        if (c->up.len > 0)
                remote |= EPOLLOUT;
        if (!c->down.eof && c->down.len < SOCKS_BUFFER)
                remote |= EPOLLIN;
        if (c->down.len > 0)
                client |= EPOLLOUT;
        int r = set_events(c->client_source, client);
        if (r >= 0)
                r = set_events(c->remote_source, remote);
        if (r < 0)
                conn_free(c);
        return r;
}

/* Reads from fd into the flow it feeds, writes to fd from the flow it drains. */
static int conn_pump(int fd, uint32_t revents, Flow *from, Flow *to) {
        if ((revents & (EPOLLIN | EPOLLHUP)) && !from->eof && from->len < SOCKS_BUFFER) {
                ssize_t n = recv(fd, from->buf + from->len, SOCKS_BUFFER - from->len, MSG_DONTWAIT);
                if (n < 0 && errno != EAGAIN && errno != EINTR)
                        return -errno;
                if (n == 0)
                        from->eof = true;
                else if (n > 0)
                        from->len += n;
        }
        if ((revents & EPOLLOUT) && to->len > 0) {
                ssize_t n = send(fd, to->buf, to->len, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0 && errno != EAGAIN && errno != EINTR)
                        return -errno;
                if (n > 0) {
                        memmove(to->buf, to->buf + n, to->len - n);
                        to->len -= n;
                }
        }
        if ((revents & EPOLLERR) && !(revents & (EPOLLIN | EPOLLOUT)))
                return -ECONNRESET;
        return 0;
}

static int on_remote(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static void conn_connect_next(Conn *c) {
        int error = c->error ?: EHOSTUNREACH;
        while (c->next_address < c->n_addresses) {
                struct sockaddr_storage *a = &c->addresses[c->next_address++];
                socklen_t len = a->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
                c->remote_source = sd_event_source_disable_unref(c->remote_source);
                c->remote = safe_close(c->remote);
                c->remote = socket(a->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
                if (c->remote < 0) {
                        error = errno;
                        continue;
                }
                if (connect(c->remote, (struct sockaddr *) a, len) < 0 && errno != EINPROGRESS) {
                        error = errno;
                        continue;
                }
                if (sd_event_add_io(c->proxy->event, &c->remote_source, c->remote, EPOLLOUT, on_remote, c) < 0)
                        break;
                c->state = CONN_CONNECTING;
                return;
        }
        log_debug("SOCKS: no connection to %s:%u: %s", c->request.host, c->request.port, strerror(error));
        conn_reply_and_close(c,
                error == ECONNREFUSED           ? SOCKS_REPLY_CONNECTION_REFUSED
                        : error == ENETUNREACH  ? SOCKS_REPLY_NETWORK_UNREACHABLE
                        : error == EHOSTUNREACH ? SOCKS_REPLY_HOST_UNREACHABLE
                                                : SOCKS_REPLY_FAILURE);
}

static int on_remote(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Conn *c = userdata;
        if (c->state == CONN_CONNECTING) {
                int error = 0;
                socklen_t len = sizeof(error);
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
                        error = errno;
                if (error != 0) {
                        c->error = error;
                        conn_connect_next(c);
                        return 0;
                }
                const uint8_t reply[10] = { 5, SOCKS_REPLY_SUCCEEDED, 0, 1 };
                if (send(c->client, reply, sizeof(reply), MSG_NOSIGNAL | MSG_DONTWAIT) != sizeof(reply)) {
                        conn_free(c);
                        return 0;
                }
                c->state = CONN_RELAYING;
                (void) conn_update(c);
                return 0;
        }
        if (conn_pump(fd, revents, &c->down, &c->up) < 0) {
                conn_free(c);
                return 0;
        }
        (void) conn_update(c);
        return 0;
}

static int on_lookup(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Conn *c = userdata;
        LookupResult result;
        ssize_t n = recv(fd, &result, sizeof(result), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        c->lookup_source = sd_event_source_disable_unref(c->lookup_source);
        c->lookup = safe_close(c->lookup);
        if (n != sizeof(result) || result.error != 0 || result.n == 0) {
                log_debug("SOCKS: %s does not resolve: %s", c->request.host,
                        n == sizeof(result) && result.error ? gai_strerror(result.error) : "no address");
                conn_reply_and_close(c, SOCKS_REPLY_HOST_UNREACHABLE);
                return 0;
        }
        /* Every address must pass: a name with one loopback address among public ones is refused. */
        for (unsigned i = 0; i < result.n; i++) {
                OriginVerdict v = socks_check_address(c->proxy->policy, (struct sockaddr *) &result.addresses[i]);
                if (v != ORIGIN_ALLOWED) {
                        conn_refuse(c, SOCKS_REPLY_NOT_ALLOWED, "it resolves to an address of this machine");
                        return 0;
                }
        }
        memcpy(c->addresses, result.addresses, sizeof(result.addresses));
        c->n_addresses = result.n;
        conn_connect_next(c);
        return 0;
}

static void conn_on_request(Conn *c) {
        OriginVerdict v = socks_check_destination(c->proxy->policy, c->request.host, c->request.port);
        if (v != ORIGIN_ALLOWED) {
                conn_refuse(c, SOCKS_REPLY_NOT_ALLOWED, origin_verdict_to_string(v));
                return;
        }
        (void) set_events(c->client_source, 0);
        if (c->request.is_name) {
                c->state = CONN_RESOLVING;
                c->lookup = lookup_start(c->request.host, c->request.port);
                if (c->lookup < 0 ||
                        sd_event_add_io(c->proxy->event, &c->lookup_source, c->lookup, EPOLLIN, on_lookup, c) < 0) {
                        conn_reply_and_close(c, SOCKS_REPLY_FAILURE);
                        return;
                }
                return;
        }
        struct sockaddr_storage *a = &c->addresses[0];
        struct sockaddr_in *a4 = (struct sockaddr_in *) a;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *) a;
        if (inet_pton(AF_INET, c->request.host, &a4->sin_addr) == 1) {
                a4->sin_family = AF_INET;
                a4->sin_port = htons(c->request.port);
        } else if (inet_pton(AF_INET6, c->request.host, &a6->sin6_addr) == 1) {
                a6->sin6_family = AF_INET6;
                a6->sin6_port = htons(c->request.port);
        }
        c->n_addresses = 1;
        conn_connect_next(c);
}

static int on_client(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Conn *c = userdata;
        if (c->state == CONN_RELAYING) {
                if (conn_pump(fd, revents, &c->up, &c->down) < 0) {
                        conn_free(c);
                        return 0;
                }
                (void) conn_update(c);
                return 0;
        }

        ssize_t n = recv(fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                conn_free(c);
                return 0;
        }
        c->in_len += n;
        if (c->state == CONN_GREETING) {
                int k = socks_parse_greeting(c->in, c->in_len);
                if (k == 0)
                        return 0;
                if (k < 0) {
                        c->proxy->refused++;
                        log_debug("SOCKS: refused a greeting: %s",
                                k == -EPERM ? "no method without authentication" : "not SOCKS5");
                        const uint8_t reply[2] = { 5, 0xff };
                        (void) send(c->client, reply, sizeof(reply), MSG_NOSIGNAL);
                        conn_free(c);
                        return 0;
                }
                const uint8_t reply[2] = { 5, 0 };
                if (send(c->client, reply, sizeof(reply), MSG_NOSIGNAL | MSG_DONTWAIT) != sizeof(reply)) {
                        conn_free(c);
                        return 0;
                }
                memmove(c->in, c->in + k, c->in_len - k);
                c->in_len -= k;
                c->state = CONN_REQUEST;
        }
        uint8_t code;
        int k = socks_parse_request(c->in, c->in_len, &c->request, &code);
        if (k == 0 && c->in_len < sizeof(c->in))
                return 0;
        if (k <= 0) {
                conn_refuse(c, code, k == -EOPNOTSUPP ? "not a CONNECT to an address or a name" : "malformed request");
                return 0;
        }
        /* What the client sent beyond the request (it should have waited for the reply) goes to the remote. */
        memcpy(c->up.buf, c->in + k, c->in_len - k);
        c->up.len = c->in_len - k;
        conn_on_request(c);
        return 0;
}

/* The user owning the other end of an accepted loopback connection, asked of the kernel (sock_diag), whose
 * answer comes within the request. */
static int peer_uid(int fd, const struct sockaddr_in *peer, uid_t *ret) {
        struct sockaddr_in local;
        socklen_t len = sizeof(local);
        if (getsockname(fd, (struct sockaddr *) &local, &len) < 0)
                return -errno;
        _cleanup_close_ int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (nl < 0)
                return -errno;
        struct {
                struct nlmsghdr h;
                struct inet_diag_req_v2 r;
        } req = {
                .h = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST },
                .r = { .sdiag_family = AF_INET,
                        .sdiag_protocol = IPPROTO_TCP,
                        .idiag_states = UINT32_MAX,
                        .id = { .idiag_sport = peer->sin_port,
                                .idiag_dport = local.sin_port,
                                .idiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE } } },
        };
        memcpy(req.r.id.idiag_src, &peer->sin_addr, 4);
        memcpy(req.r.id.idiag_dst, &local.sin_addr, 4);
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        if (sendto(nl, &req, sizeof(req), 0, (struct sockaddr *) &kernel, sizeof(kernel)) < 0)
                return -errno;
        union {
                struct nlmsghdr h;
                uint8_t buf[1024];
        } answer;
        ssize_t n = recv(nl, &answer, sizeof(answer), MSG_DONTWAIT);
        if (n < 0)
                return -errno;
        if ((size_t) n < NLMSG_LENGTH(sizeof(struct inet_diag_msg)) || answer.h.nlmsg_type != SOCK_DIAG_BY_FAMILY)
                return -ENOENT;
        *ret = ((const struct inet_diag_msg *) NLMSG_DATA(&answer.h))->idiag_uid;
        return 0;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        SocksProxy *p = userdata;
        struct sockaddr_in peer;
        socklen_t len = sizeof(peer);
        int client = accept4(fd, (struct sockaddr *) &peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0)
                return 0;
        /* Only the server's own user (the browser's) may use the proxy. */
        uid_t uid;
        int r = peer_uid(client, &peer, &uid);
        if (r < 0 || uid != geteuid()) {
                if (r < 0)
                        log_debug_errno(r, "SOCKS: refused a connection whose owner is unknown: %m");
                else
                        log_debug("SOCKS: refused a connection of uid %u.", (unsigned) uid);
                p->refused++;
                safe_close(client);
                return 0;
        }
        if (p->n_conns >= SOCKS_MAX_CONNECTIONS) {
                log_debug("SOCKS: %u connections open; refusing another.", p->n_conns);
                p->refused++;
                safe_close(client);
                return 0;
        }
        Conn *c = calloc(1, sizeof(Conn));
        if (!c) {
                safe_close(client);
                return 0;
        }
        *c = (Conn){ .proxy = p, .client = client, .remote = -EBADF, .lookup = -EBADF };
        LIST_PREPEND(p->conns, c);
        p->n_conns++;
        if (sd_event_add_io(p->event, &c->client_source, client, EPOLLIN, on_client, c) < 0)
                conn_free(c);
        return 0;
}

int socks_proxy_new(sd_event *event, const OriginPolicy *policy, SocksProxy **ret) {
        SocksProxy *p = calloc(1, sizeof(SocksProxy));
        if (!p)
                return -ENOMEM;
        *p = (SocksProxy){ .event = sd_event_ref(event), .policy = policy };
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);
        int r = 0;
        p->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (p->fd < 0 || bind(p->fd, (struct sockaddr *) &a, sizeof(a)) < 0 || listen(p->fd, 64) < 0 ||
                getsockname(p->fd, (struct sockaddr *) &a, &len) < 0)
                r = -errno;
        if (r >= 0)
                r = sd_event_add_io(event, &p->source, p->fd, EPOLLIN, on_accept, p);
        if (r < 0) {
                socks_proxy_free(p);
                return r;
        }
        p->port = ntohs(a.sin_port);
        *ret = p;
        return 0;
}

SocksProxy *socks_proxy_free(SocksProxy *p) {
        if (!p)
                return NULL;
        while (p->conns)
                conn_free(p->conns);
        sd_event_source_disable_unref(p->source);
        safe_close(p->fd);
        sd_event_unref(p->event);
        free(p);
        return NULL;
}

unsigned socks_proxy_port(const SocksProxy *p) {
        return p->port;
}

uint64_t socks_proxy_refused(const SocksProxy *p) {
        return p->refused;
}
