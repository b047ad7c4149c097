/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gateway's URLs: /mcp, /servers/<name>/mcp, /healthz, /readyz and /metrics (and the dashboard's, web.c). */
#include <stdio.h>

#include "aggregate.h"
#include "auth.h"
#include "backend.h"
#include "guard.h"
#include "json-util.h"
#include "log.h"
#include "mcp-session.h"
#include "monitor.h"
#include "routes.h"
#include "web.h"

static McpServer *route_find(void *userdata, const char *url) {
        Gateway *g = userdata;
        if (streq(url, "/mcp"))
                return aggregate_server(g->aggregate);
        for (size_t i = 0; i < g->n_backends; i++)
                if (streq(url, g->backends[i]->endpoint))
                        return g->backends[i]->relay;
        return NULL;
}

static int respond_text(struct MHD_Connection *c, unsigned status, const char *type, const char *text, size_t size) {
        struct MHD_Response *response = MHD_create_response_from_buffer(size, (void *) text, MHD_RESPMEM_MUST_COPY);
        if (!response)
                return MHD_NO;
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        int r = MHD_queue_response(c, status, response);
        MHD_destroy_response(response);
        return r;
}

static int respond_ready(Gateway *g, struct MHD_Connection *c) {
        _cleanup_json_ json_object *body = json_object_new_object(), *backends = json_object_new_object(),
                                   *endpoints = json_object_new_object();
        if (!body || !backends || !endpoints)
                return MHD_NO;
        bool ready = true;
        for (size_t i = 0; i < g->n_backends; i++) {
                Backend *b = g->backends[i];
                ready = ready && b->up;
                (void) json_add_string(backends, b->config->name,
                        !b->up                                                 ? "down"
                                : b->config->type == BACKEND_DBUS && !b->owner ? "activatable"
                                                                               : "up");
                if (b->transport->describe)
                        (void) json_add(endpoints, b->config->name, b->transport->describe(b));
        }
        (void) json_add_string(body, "status", ready ? "ready" : "not ready");
        (void) json_add(body, "backends", TAKE_PTR(backends));
        (void) json_add(body, "endpoints", TAKE_PTR(endpoints));
        const char *text = json_to_string(body);
        return respond_text(c, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "application/json", text,
                strlen(text));
}

static int route_other(void *userdata, struct MHD_Connection *c, const char *url, const char *method) {
        Gateway *g = userdata;
        bool get = streq(method, MHD_HTTP_METHOD_GET) || streq(method, MHD_HTTP_METHOD_HEAD);

        int w = web_route(g->web, c, url, method); /* /, /web/, /api/v1/ */
        if (w >= 0)
                return w;

        bool metadata = streq(url, "/.well-known/oauth-protected-resource") ||
                streq(url, "/.well-known/oauth-protected-resource/mcp");
        if (!streq(url, "/healthz") && !streq(url, "/readyz") && !streq(url, "/metrics") && !metadata)
                return -1;
        if (!get) {
                struct MHD_Response *response = MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);
                if (!response)
                        return MHD_NO;
                MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
                int r = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, response);
                MHD_destroy_response(response);
                return r;
        }

        if (streq(url, "/healthz"))
                return respond_text(c, MHD_HTTP_OK, "text/plain", "ok\n", 3);
        if (metadata) {
                _cleanup_json_ json_object *m = gateway_auth_resource_metadata(g->auth);
                if (!m)
                        return MHD_NO;
                const char *text = json_to_string(m);
                return respond_text(c, MHD_HTTP_OK, "application/json", text, strlen(text));
        }
        if (streq(url, "/readyz")) {
                for (size_t i = 0; i < g->n_backends; i++)
                        backend_check_health(g->backends[i]); /* for the next probe */
                return respond_ready(g, c);
        }

        monitor_kick(g->monitor); /* new figures of the servers, for the next scrape */
        metrics_sessions(g->metrics, "/mcp", mcp_server_n_sessions(aggregate_server(g->aggregate)));
        for (size_t i = 0; i < g->n_backends; i++)
                if (g->backends[i]->relay)
                        metrics_sessions(g->metrics, g->backends[i]->endpoint,
                                mcp_server_n_sessions(g->backends[i]->relay));
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        if (metrics_render(g->metrics, &text, &size) < 0)
                return MHD_NO;
        return respond_text(c, MHD_HTTP_OK, METRICS_CONTENT_TYPE, text, size);
}

const McpHttpRouter *routes_router(Gateway *g, McpHttpRouter *router) {
        *router = (McpHttpRouter){
                .find = route_find,
                .other = route_other,
                .authenticate = gateway_auth_authenticate,
                .authorize = guard_authorize, /* gateway_auth_authorize(), then rate limits */
                .userdata = g,
        };
        return router;
}
