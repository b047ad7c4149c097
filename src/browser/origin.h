/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The origin policy: which URLs a page may load, navigate to or send requests to. Pure functions. */
#pragma once

#include <stdbool.h>

#include "macro.h"

/* A URL's parts as the policy sees them: scheme lower-case, host lower-case (IPv6 in brackets), port explicit
 * or the scheme's default. */
typedef struct OriginParts {
        char scheme[16];
        char host[256];
        unsigned port;
} OriginParts;

/* Parses an absolute URL with an authority (http, https, ws, wss, ftp...). -EINVAL when it has none or is
 * malformed (a user:password@ part is skipped, not refused). */
int origin_parse(const char *url, OriginParts *ret);

/* Whether pattern matches: "https://example.com" (that scheme, host and default port), "https://example.com:8443",
 * "http://127.0.0.1:*" (any port), "example.com" (http and https, any port), "*.example.org" (its subdomains,
 * http and https, any port), the same after a scheme ("https" "://" "*.example.org"), "*" (everything). */
bool origin_pattern_matches(const char *pattern, const OriginParts *o);
/* Whether a pattern is one of those forms. */
bool origin_pattern_is_valid(const char *pattern);

/* Whether host names this machine from inside: localhost and *.localhost, 127.0.0.0/8, ::1, 0.0.0.0, ::, the
 * IPv4-mapped forms of those, or one of the addresses in host_addresses (NULL-terminated, the host's own
 * interface addresses in their textual form; may be NULL). */
bool origin_host_is_loopback(const char *host, char *const *host_addresses);

typedef enum OriginVerdict {
        ORIGIN_ALLOWED,
        ORIGIN_SCHEME,      /* file:, chrome:, devtools:, javascript:, ... */
        ORIGIN_BLOCKED,     /* a Block= pattern matched */
        ORIGIN_NOT_ALLOWED, /* Allow= is not empty and none matched */
        ORIGIN_LOOPBACK,    /* the host itself, and AllowLoopback=no */
        ORIGIN_MALFORMED,
} OriginVerdict;

typedef struct OriginPolicy {
        char **allow; /* empty: every origin not blocked */
        char **block;
        bool allow_loopback;
        char **host_addresses;
} OriginPolicy;

/* The verdict on a request's URL (what the browser is about to fetch). about:blank, about:srcdoc, data: and
 * blob: load nothing from the network and are allowed here; navigation refuses data: separately. */
OriginVerdict origin_check(const OriginPolicy *p, const char *url);
/* A sentence for the verdict, for tool errors and the network log. */
const char *origin_verdict_to_string(OriginVerdict v);
