/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The browser's SOCKS5 proxy (RFC 1928: no authentication, CONNECT only), the origin policy's second layer.
 *
 * Chromium's request interception does not pause WebSockets, and it checks a URL's host as written, not the
 * addresses a name resolves to. So the browser is started with every connection, loopback included, sent
 * through this proxy on a loopback port of the server's own: each CONNECT's host and port are checked against
 * the policy, a name is resolved here (off the event loop, by a thread of its own) and refused when any of its
 * addresses is loopback, link-local, unspecified or one of the host's own (unless AllowLoopback=yes); then
 * both directions are copied through bounded buffers. */
#pragma once

#include <stdint.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "origin.h"

#define SOCKS_MAX_CONNECTIONS 256

/* RFC 1928's reply codes. */
enum {
        SOCKS_REPLY_SUCCEEDED = 0x00,
        SOCKS_REPLY_FAILURE = 0x01,
        SOCKS_REPLY_NOT_ALLOWED = 0x02,
        SOCKS_REPLY_NETWORK_UNREACHABLE = 0x03,
        SOCKS_REPLY_HOST_UNREACHABLE = 0x04,
        SOCKS_REPLY_CONNECTION_REFUSED = 0x05,
        SOCKS_REPLY_COMMAND_NOT_SUPPORTED = 0x07,
        SOCKS_REPLY_ADDRESS_NOT_SUPPORTED = 0x08,
};

/* The client's greeting (VER NMETHODS METHODS...): the bytes it took, 0 when more are needed, -EPROTO when it
 * is not SOCKS5, -EPERM when it does not offer "no authentication". */
int socks_parse_greeting(const uint8_t *buf, size_t n);

typedef struct SocksRequest {
        uint8_t command;
        char host[256]; /* a name, or an address in its textual form (IPv6 without brackets) */
        bool is_name;
        unsigned port;
} SocksRequest;

/* The request (VER CMD RSV ATYP DST.ADDR DST.PORT): the bytes it took, 0 when more are needed, -EPROTO when
 * malformed (the reply code to send in *ret_reply), -EOPNOTSUPP for a command other than CONNECT or an address
 * type other than IPv4, a name or IPv6 (*ret_reply says which). */
int socks_parse_request(const uint8_t *buf, size_t n, SocksRequest *ret, uint8_t *ret_reply);

/* Whether the policy lets a page connect to host:port: refused when a Block= pattern matches it for http,
 * https, ws or wss, or when it names this machine and loopback is not allowed; allowed when Allow= is empty or
 * one of its patterns matches it for one of those schemes. */
OriginVerdict socks_check_destination(const OriginPolicy *p, const char *host, unsigned port);
/* Whether a resolved address may be connected to: ORIGIN_LOOPBACK for loopback, link-local, unspecified and
 * the host's own addresses unless loopback is allowed. */
OriginVerdict socks_check_address(const OriginPolicy *p, const struct sockaddr *sa);

typedef struct SocksProxy SocksProxy;

/* Listens on 127.0.0.1 on a port the kernel picks. The policy is the caller's and must outlive the proxy. */
int socks_proxy_new(sd_event *event, const OriginPolicy *policy, SocksProxy **ret);
SocksProxy *socks_proxy_free(SocksProxy *p);
unsigned socks_proxy_port(const SocksProxy *p);
/* Connections refused so far (by the policy, or malformed). */
uint64_t socks_proxy_refused(const SocksProxy *p);
