/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Matching URLs against the administrator's origin patterns, and recognising the host's own addresses. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "origin.h"

static unsigned default_port(const char *scheme) {
        if (streq(scheme, "http") || streq(scheme, "ws"))
                return 80;
        if (streq(scheme, "https") || streq(scheme, "wss"))
                return 443;
        if (streq(scheme, "ftp"))
                return 21;
        return 0;
}

int origin_parse(const char *url, OriginParts *ret) {
        OriginParts o = {};
        const char *colon = strchr(url, ':');
        if (!colon || colon == url || (size_t) (colon - url) >= sizeof(o.scheme))
                return -EINVAL;
        for (const char *p = url; p < colon; p++) {
                if (!isalnum((unsigned char) *p) && *p != '+' && *p != '-' && *p != '.')
                        return -EINVAL;
                o.scheme[p - url] = tolower((unsigned char) *p);
        }
        if (colon[1] != '/' || colon[2] != '/')
                return -EINVAL;
        const char *auth = colon + 3;
        size_t auth_len = strcspn(auth, "/?#");
        /* user:password@ */
        const char *at = memrchr(auth, '@', auth_len);
        if (at) {
                auth_len -= at + 1 - auth;
                auth = at + 1;
        }
        if (auth_len == 0)
                return -EINVAL;
        const char *host_end;
        if (auth[0] == '[') {
                const char *close = memchr(auth, ']', auth_len);
                if (!close)
                        return -EINVAL;
                host_end = close + 1;
        } else {
                const char *c = memchr(auth, ':', auth_len);
                host_end = c ?: auth + auth_len;
        }
        size_t host_len = host_end - auth;
        if (host_len == 0 || host_len >= sizeof(o.host))
                return -EINVAL;
        for (size_t i = 0; i < host_len; i++)
                o.host[i] = tolower((unsigned char) auth[i]);
        /* A trailing dot names the same host. */
        if (host_len > 1 && o.host[host_len - 1] == '.')
                o.host[host_len - 1] = 0;
        o.port = default_port(o.scheme);
        if (host_end < auth + auth_len) {
                if (*host_end != ':')
                        return -EINVAL;
                const char *digits = host_end + 1;
                size_t n = auth + auth_len - digits;
                if (n > 0) {
                        if (n > 5 || strspn(digits, "0123456789") < n)
                                return -EINVAL;
                        char buf[6] = {};
                        memcpy(buf, digits, n);
                        unsigned long v = strtoul(buf, NULL, 10);
                        if (v == 0 || v > 65535)
                                return -EINVAL;
                        o.port = v;
                }
        }
        *ret = o;
        return 0;
}

static bool host_in_domain(const char *host, const char *domain) {
        size_t h = strlen(host), d = strlen(domain);
        return h > d + 1 && host[h - d - 1] == '.' && strcasecmp(host + h - d, domain) == 0;
}

/* The pattern's parts: scheme (empty: http and https), host or "*.domain", port (0: default, -1: any). */
static int pattern_split(const char *pattern, char scheme[static 16], char host[static 256], long *port) {
        const char *rest = pattern;
        scheme[0] = 0;
        const char *sep = strstr(pattern, "://");
        if (sep) {
                size_t n = sep - pattern;
                if (n == 0 || n >= 16)
                        return -EINVAL;
                for (size_t i = 0; i < n; i++) {
                        if (!isalpha((unsigned char) pattern[i]))
                                return -EINVAL;
                        scheme[i] = tolower((unsigned char) pattern[i]);
                }
                scheme[n] = 0;
                rest = sep + 3;
        }
        size_t n;
        if (rest[0] == '[') {
                const char *close = strchr(rest, ']');
                if (!close)
                        return -EINVAL;
                n = close + 1 - rest;
        } else
                n = strcspn(rest, ":/");
        if (n == 0 || n >= 256)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                host[i] = tolower((unsigned char) rest[i]);
        host[n] = 0;
        if (strchr(host + 1, '*') || (host[0] == '*' && host[1] && host[1] != '.'))
                return -EINVAL;
        const char *p = rest + n;
        *port = 0;
        if (*p == ':') {
                p++;
                if (streq(p, "*") || streq(p, "*/"))
                        *port = -1;
                else {
                        char *end;
                        unsigned long v = strtoul(p, &end, 10);
                        if (end == p || v == 0 || v > 65535 || (*end && !streq(end, "/")))
                                return -EINVAL;
                        *port = v;
                }
        } else if (*p && !streq(p, "/"))
                return -EINVAL;
        if (!sep && *port == 0)
                *port = -1; /* a bare host: any port */
        return 0;
}

bool origin_pattern_is_valid(const char *pattern) {
        char scheme[16], host[256];
        long port;
        return pattern && (streq(pattern, "*") || pattern_split(pattern, scheme, host, &port) >= 0);
}

bool origin_pattern_matches(const char *pattern, const OriginParts *o) {
        if (streq(pattern, "*"))
                return true;
        char scheme[16], host[256];
        long port;
        if (pattern_split(pattern, scheme, host, &port) < 0)
                return false;
        if (scheme[0]) {
                if (!streq(scheme, o->scheme))
                        return false;
        } else if (!streq(o->scheme, "http") && !streq(o->scheme, "https") && !streq(o->scheme, "ws") &&
                !streq(o->scheme, "wss"))
                return false;
        if (port == 0) {
                if (o->port != default_port(scheme[0] ? scheme : o->scheme))
                        return false;
        } else if (port > 0 && (unsigned) port != o->port)
                return false;
        if (streq(host, "*"))
                return true;
        if (host[0] == '*')
                return host_in_domain(o->host, host + 2);
        return streq(host, o->host);
}

bool origin_host_is_loopback(const char *host, char *const *host_addresses) {
        char bare[256];
        size_t n = strlen(host);
        if (n >= sizeof(bare))
                return false;
        if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
                memcpy(bare, host + 1, n - 2);
                bare[n - 2] = 0;
        } else
                strcpy(bare, host);

        if (strcasecmp(bare, "localhost") == 0 || host_in_domain(bare, "localhost"))
                return true;

        struct in_addr a4;
        struct in6_addr a6;
        if (inet_pton(AF_INET6, bare, &a6) == 1) {
                if (IN6_IS_ADDR_LOOPBACK(&a6) || IN6_IS_ADDR_UNSPECIFIED(&a6))
                        return true;
                if (IN6_IS_ADDR_V4MAPPED(&a6) || IN6_IS_ADDR_V4COMPAT(&a6)) {
                        memcpy(&a4, &a6.s6_addr[12], 4);
                        char text[INET_ADDRSTRLEN];
                        inet_ntop(AF_INET, &a4, text, sizeof(text));
                        return origin_host_is_loopback(text, host_addresses);
                }
                char canonical[INET6_ADDRSTRLEN];
                inet_ntop(AF_INET6, &a6, canonical, sizeof(canonical));
                for (size_t i = 0; host_addresses && host_addresses[i]; i++)
                        if (streq(host_addresses[i], canonical))
                                return true;
                return false;
        }
        /* inet_aton, as URL parsers do, reads 127.1, 0x7f.0.0.1 and 2130706433 too. */
        if (strspn(bare, "0123456789abcdefxABCDEFX.") == strlen(bare) && inet_aton(bare, &a4) == 1) {
                uint32_t v = ntohl(a4.s_addr);
                if ((v >> 24) == 127 || v == 0)
                        return true;
                char canonical[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, &a4, canonical, sizeof(canonical));
                for (size_t i = 0; host_addresses && host_addresses[i]; i++)
                        if (streq(host_addresses[i], canonical))
                                return true;
        }
        return false;
}

OriginVerdict origin_check(const OriginPolicy *p, const char *url) {
        if (streq(url, "about:blank") || streq(url, "about:srcdoc") || startswith_ptr(url, "data:") ||
                startswith_ptr(url, "blob:"))
                return ORIGIN_ALLOWED;
        OriginParts o;
        if (origin_parse(url, &o) < 0) {
                /* Schemes without an authority that are not the harmless ones above: javascript:, chrome:... */
                const char *colon = strchr(url, ':');
                return colon && colon > url ? ORIGIN_SCHEME : ORIGIN_MALFORMED;
        }
        if (!streq(o.scheme, "http") && !streq(o.scheme, "https") && !streq(o.scheme, "ws") && !streq(o.scheme, "wss"))
                return ORIGIN_SCHEME;
        for (size_t i = 0; p->block && p->block[i]; i++)
                if (origin_pattern_matches(p->block[i], &o))
                        return ORIGIN_BLOCKED;
        if (!p->allow_loopback && origin_host_is_loopback(o.host, p->host_addresses))
                return ORIGIN_LOOPBACK;
        if (!p->allow || !p->allow[0])
                return ORIGIN_ALLOWED;
        for (size_t i = 0; p->allow[i]; i++)
                if (origin_pattern_matches(p->allow[i], &o))
                        return ORIGIN_ALLOWED;
        return ORIGIN_NOT_ALLOWED;
}

const char *origin_verdict_to_string(OriginVerdict v) {
        switch (v) {
        case ORIGIN_ALLOWED:
                return "allowed";
        case ORIGIN_SCHEME:
                return "its scheme is not one a page may load (only http, https, ws and wss)";
        case ORIGIN_BLOCKED:
                return "its origin is blocked by the administrator (browser.conf [Origins] Block=)";
        case ORIGIN_NOT_ALLOWED:
                return "its origin is not among those the administrator allows (browser.conf [Origins] Allow=)";
        case ORIGIN_LOOPBACK:
                return "it names this machine (loopback or one of its own addresses), which pages may not reach "
                       "(browser.conf [Origins] AllowLoopback=no)";
        case ORIGIN_MALFORMED:
        default:
                return "it is not a URL the browser can load";
        }
}
