/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dashboard's responses: the headers every one carries, JSON bodies, and the same-origin check. */
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "json-util.h"
#include "web.h"

/* Scripts, styles, fetches and workers from the gateway alone; images and audio of tool results also from
 * data: and blob: URLs the page makes; no plugins, no framing, forms post nowhere else. */
#define WEB_CSP                                                                                                        \
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "                        \
        "media-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "                   \
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

void web_add_security_headers(struct MHD_Response *r) {
        MHD_add_response_header(r, "Content-Security-Policy", WEB_CSP);
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(r, "X-Frame-Options", "DENY");
        MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
        MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
}

int web_respond(struct MHD_Connection *c, unsigned status, struct MHD_Response *r) {
        if (!r)
                return MHD_NO;
        web_add_security_headers(r);
        int k = MHD_queue_response(c, status, r);
        MHD_destroy_response(r);
        return k;
}

int web_respond_json(struct MHD_Connection *c, unsigned status, json_object *body) {
        const char *text = json_to_string(body);
        struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *) text, MHD_RESPMEM_MUST_COPY);
        if (!r)
                return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        return web_respond(c, status, r);
}

int web_respond_error(struct MHD_Connection *c, unsigned status, const char *format, ...) {
        _cleanup_free_ char *message = NULL;
        va_list ap;
        va_start(ap, format);
        int k = vasprintf(&message, format, ap);
        va_end(ap);
        if (k < 0)
                return MHD_NO;
        _cleanup_json_ json_object *body = json_object_new_object();
        if (!body || json_add_string(body, "error", message) < 0)
                return MHD_NO;
        return web_respond_json(c, status, body);
}

int web_respond_empty(struct MHD_Connection *c, unsigned status, const char *allow) {
        struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);
        if (!r)
                return MHD_NO;
        if (allow)
                MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        return web_respond(c, status, r);
}

bool web_same_origin(struct MHD_Connection *c) {
        const char *site = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
        if (site && !streq(site, "same-origin"))
                return false;
        const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);
        if (!origin)
                return true;
        /* Either scheme: behind a proxy that terminates TLS (TLS=off) the page's origin is https://. */
        const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        const char *rest = startswith_ptr(origin, "https://") ? origin + 8
                : startswith_ptr(origin, "http://")           ? origin + 7
                                                              : NULL;
        return host && rest && strcasecmp(rest, host) == 0;
}
