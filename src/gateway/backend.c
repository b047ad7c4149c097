/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Backends: what every transport shares — calls in flight with their tags, limits, metrics and health. */
#include <inttypes.h>
#include <stdio.h>

#include "backend.h"
#include "json-value.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcp-session.h" /* now_usec() */

static BackendCall *backend_call_free(BackendCall *c) {
        if (!c)
                return NULL;
        Gateway *g = c->backend->gateway;
        hashmap_remove(g->calls, c->tag);
        c->backend->n_in_flight--;
        metrics_in_flight_add(g->metrics, c->backend->config->name, -1);
        free(c->session);
        free(c->request_id);
        free(c->principal);
        free(c->scopes);
        free(c);
        return NULL;
}

BackendCall *backend_call_find(Gateway *g, const char *tag) {
        return tag ? hashmap_get(g->calls, tag) : NULL;
}

int backend_call(Backend *b, json_object *message, const char *session, const BackendCaller *caller,
        const char *protocol_version, json_object *capabilities, const BackendCallOps *ops, void *userdata,
        BackendCall **ret) {
        Gateway *g = b->gateway;

        if (b->n_in_flight >= g->config->max_in_flight)
                return -EBUSY;

        BackendCall *c = new0(BackendCall, 1);
        if (!c)
                return -ENOMEM;
        c->backend = b;
        c->ops = ops;
        c->userdata = userdata;
        c->started = now_usec();
        snprintf(c->tag, sizeof(c->tag), "%" PRIu64, ++g->next_tag);
        /* A listen stream lasts as long as its client wants it; everything else has TimeoutSec=. */
        c->long_lived = streq_ptr(json_get_string(message, "method"), "subscriptions/listen");
        json_object *id = NULL;
        if (json_object_object_get_ex(message, "id", &id) && !(c->request_id = strdup(json_to_string(id)))) {
                free(c);
                return -ENOMEM;
        }
        if (session && !(c->session = strdup(session))) {
                free(c->request_id);
                free(c);
                return -ENOMEM;
        }
        int r = hashmap_put(g->calls, c->tag, c);
        if (r < 0) {
                free(c->session);
                free(c->request_id);
                free(c);
                return r;
        }
        b->n_in_flight++;
        metrics_in_flight_add(g->metrics, b->config->name, +1);

        if (caller &&
                ((caller->principal && !(c->principal = strdup(caller->principal))) ||
                        (caller->scopes && !(c->scopes = strdup(caller->scopes))))) {
                backend_call_free(c);
                return -ENOMEM;
        }

        r = b->transport->call(c, message, caller, protocol_version, capabilities);
        if (r < 0) {
                backend_call_free(c);
                return r;
        }
        if (ret)
                *ret = c;
        return 0;
}

void backend_call_finish(BackendCall *c, json_object *response, BackendFailure failure, const char *message) {
        c->ops->reply(c, response, failure, message, c->userdata);
        backend_call_free(c);
}

/* notifications/cancelled as the backend knows the call: on the session wire it names the request's id; the
 * stateless wire has no ids to name, and the transport names the call its own way (its tag). */
static json_object *cancel_notification_new(const BackendCall *c, const char *reason) {
        _cleanup_json_ json_object *params = json_object_new_object(), *id = NULL;
        if (!params || json_add_string(params, "reason", reason) < 0)
                return NULL;
        if (c->session) {
                if (!c->request_id || json_parse_strict(c->request_id, strlen(c->request_id), &id, NULL) < 0 ||
                        json_add(params, "requestId", TAKE_PTR(id)) < 0)
                        return NULL;
        }
        return jsonrpc_notification_new("notifications/cancelled", TAKE_PTR(params));
}

void backend_call_cancel(BackendCall *c) {
        if (!c)
                return;
        _cleanup_json_ json_object *n = cancel_notification_new(c, "The client cancelled the request or went away.");
        c->backend->transport->cancel(c, n);
        backend_call_free(c);
}

void backend_call_time_out(BackendCall *c) {
        /* Timed-out work must not carry on unseen: the server is told to stop, as for a client that left. */
        _cleanup_json_ json_object *n = cancel_notification_new(c, "The gateway stopped waiting for the answer.");
        c->backend->transport->cancel(c, n);
        backend_call_finish(c, NULL, BACKEND_TIMEOUT, NULL);
}

int backend_notify(Backend *b, const char *session, json_object *notification) {
        return b->transport->notify(b, session, notification);
}

int backend_end_session(Backend *b, const char *session) {
        return b->transport->end_session(b, session);
}

void backend_check_health(Backend *b) {
        b->transport->check_health(b);
}

int backend_list_tools(Backend *b) {
        return b->transport->list_tools(b);
}

void backend_set_up(Backend *b, bool up) {
        if (b->up != up)
                log_info("Backend %s is %s.", b->config->name, up ? "up" : "down");
        b->up = up;
        metrics_backend_up(b->gateway->metrics, b->config->name, up);
}

void backend_catalog_listed(Backend *b, json_object *catalog) {
        /* The same catalog again (a server started again after its idle exit) changes nothing for /mcp's
         * clients: no list_changed for them. */
        b->listed = true;
        if (catalog && b->catalog && json_equal(catalog, b->catalog)) {
                json_object_put(catalog);
                return;
        }
        json_object_put(b->catalog);
        json_object_put(b->tools);
        b->catalog = catalog;
        b->tools = NULL;
        if (catalog) {
                /* Unreachable or not: what it offers is what it listed last, or nothing. */
                json_object *tools = json_get_array(catalog, "tools");
                b->tools = tools ? json_object_get(tools) : json_object_new_array();
                log_debug("Backend %s offers %zu tools.", b->config->name, json_object_array_length(b->tools));
        }
        gateway_tools_listed(b->gateway, b);
}

void backend_tools_listed(Backend *b, json_object *tools) {
        json_object *catalog = NULL;
        if (tools) {
                catalog = json_object_new_object();
                if (!catalog || json_add(catalog, "tools", tools) < 0) {
                        json_object_put(catalog);
                        catalog = NULL;
                }
        }
        backend_catalog_listed(b, catalog);
}

int backend_new(Gateway *g, const BackendConfig *config, Backend **ret) {
        Backend *b = new0(Backend, 1);
        if (!b)
                return log_oom();
        b->gateway = g;
        b->config = config;
        b->transport = config->type == BACKEND_HTTP ? &backend_http_transport : &backend_dbus_transport;
        if (asprintf(&b->endpoint, "/servers/%s/mcp", config->name) < 0) {
                free(b);
                return log_oom();
        }
        metrics_backend_up(g->metrics, config->name, false);

        int r = b->transport->init(b);
        if (r < 0) {
                backend_free(b);
                return r;
        }
        *ret = b;
        return 0;
}

Backend *backend_free(Backend *b) {
        if (!b)
                return NULL;
        if (b->transport_data)
                b->transport->done(b);
        json_object_put(b->tools);
        json_object_put(b->catalog);
        free(b->owner);
        free(b->endpoint);
        free(b);
        return NULL;
}
