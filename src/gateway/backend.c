/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* D-Bus backends: calls to org.aios.MCP1 with their context, and what comes back on the side (signals and
 * org.aios.MCPClient1 calls), routed to the call it belongs to by its tag. */
#include <inttypes.h>
#include <stdio.h>

#include "backend.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcp-bus.h"
#include "mcp-session.h" /* now_usec() */

#define HEALTH_TIMEOUT_USEC (2 * USEC_PER_SEC)

struct BackendCall {
        Backend *backend;
        char tag[32];
        char *session;
        sd_bus_slot *slot;
        const BackendCallOps *ops;
        void *userdata;
        uint64_t started;
};

static BackendCall *backend_call_free(BackendCall *c) {
        if (!c)
                return NULL;
        Gateway *g = c->backend->gateway;
        hashmap_remove(g->calls, c->tag);
        c->backend->n_in_flight--;
        metrics_in_flight_add(g->metrics, c->backend->config->name, -1);
        sd_bus_slot_unref(c->slot);
        free(c->session);
        free(c);
        return NULL;
}

static int on_call_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        BackendCall *c = userdata;
        _cleanup_json_ json_object *response = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;

        const sd_bus_error *e = sd_bus_message_get_error(reply);
        if (e)
                (void) sd_bus_error_copy(&error, e);
        else {
                const char *text;
                if (sd_bus_message_read(reply, "s", &text) < 0)
                        (void) sd_bus_error_set(&error, SD_BUS_ERROR_INVALID_SIGNATURE, "The backend's answer is not a string.");
                else if (!isempty(text) && json_parse_strict(text, strlen(text), &response, NULL) < 0)
                        (void) sd_bus_error_set(&error, SD_BUS_ERROR_FAILED, "The backend's answer is not JSON.");
        }

        const BackendCallOps *ops = c->ops;
        void *u = c->userdata;
        /* The call is done before its owner hears of it, so that the owner can start the next one. */
        c->slot = sd_bus_slot_unref(c->slot);
        ops->reply(c, TAKE_PTR(response), sd_bus_error_is_set(&error) ? &error : NULL, u);
        backend_call_free(c);
        sd_bus_error_free(&error);
        return 0;
}

static int append_context(sd_bus_message *m, const BackendCall *c, const char *principal, const char *protocol_version,
        json_object *capabilities) {
        int r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "{sv}", "call", "s", c->tag);
        if (r >= 0 && c->session)
                r = sd_bus_message_append(m, "{sv}", "session", "s", c->session);
        if (r >= 0 && principal)
                r = sd_bus_message_append(m, "{sv}", "principal", "s", principal);
        if (r >= 0 && protocol_version)
                r = sd_bus_message_append(m, "{sv}", "protocol_version", "s", protocol_version);
        if (r >= 0 && protocol_version && capabilities)
                r = sd_bus_message_append(m, "{sv}", "client_capabilities", "s", json_to_string(capabilities));
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

int backend_call(Backend *b, json_object *message, const char *session, const char *principal,
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
        if (session && !(c->session = strdup(session))) {
                free(c);
                return -ENOMEM;
        }
        int r = hashmap_put(g->calls, c->tag, c);
        if (r < 0) {
                free(c->session);
                free(c);
                return r;
        }
        b->n_in_flight++;
        metrics_in_flight_add(g->metrics, b->config->name, +1);

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        r = sd_bus_message_new_method_call(g->bus, &m, b->config->bus_name, b->config->object_path, MCP_BUS_INTERFACE,
                "Call");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", json_to_string(message));
        if (r >= 0)
                r = append_context(m, c, principal, protocol_version, capabilities);
        if (r >= 0)
                r = sd_bus_call_async(g->bus, &c->slot, m, on_call_reply, c, b->config->timeout_usec);
        if (r < 0) {
                backend_call_free(c);
                return r;
        }
        if (ret)
                *ret = c;
        return 0;
}

static int send_notify(Backend *b, json_object *notification, const char *session, const char *tag) {
        Gateway *g = b->gateway;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(g->bus, &m, b->config->bus_name, b->config->object_path,
                MCP_BUS_INTERFACE, "Notify");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", json_to_string(notification));
        if (r < 0)
                return r;
        if (session)
                r = sd_bus_message_append(m, "a{sv}", 1, "session", "s", session);
        else
                r = sd_bus_message_append(m, "a{sv}", 1, "call", "s", strempty(tag));
        if (r < 0)
                return r;
        return sd_bus_call_async(g->bus, NULL, m, NULL, NULL, 0);
}

int backend_notify(Backend *b, const char *session, json_object *notification) {
        return send_notify(b, notification, session, NULL);
}

void backend_call_cancel(BackendCall *c, const char *request_id) {
        if (!c)
                return;

        /* Session wire: notifications/cancelled with the request's id; stateless: the call's tag names it. */
        _cleanup_json_ json_object *params = json_object_new_object(), *id = NULL;
        if (params && request_id && json_parse_strict(request_id, strlen(request_id), &id, NULL) >= 0 &&
            json_add(params, "requestId", TAKE_PTR(id)) >= 0 &&
            json_add_string(params, "reason", "The client cancelled the request or went away.") >= 0) {
                _cleanup_json_ json_object *n = jsonrpc_notification_new("notifications/cancelled", TAKE_PTR(params));
                if (n)
                        (void) send_notify(c->backend, n, c->session, c->tag);
        }
        backend_call_free(c);
}

int backend_end_session(Backend *b, const char *session) {
        Gateway *g = b->gateway;
        if (!b->owner)
                return 0; /* not running: it has no sessions to end, and must not be started for this */
        return sd_bus_call_method_async(g->bus, NULL, b->config->bus_name, b->config->object_path, MCP_BUS_INTERFACE,
                "EndSession", NULL, NULL, "s", session);
}

int backend_call_answer(sd_bus_message *question, json_object *response) {
        _cleanup_json_ json_object *r = response;
        return sd_bus_reply_method_return(question, "s", r ? json_to_string(r) : "");
}

/* --- what comes back on the side ------------------------------------------------------------------- */

static Backend *backend_by_owner(Gateway *g, const char *sender) {
        for (size_t i = 0; i < g->n_backends; i++)
                if (streq_ptr(g->backends[i]->owner, sender))
                        return g->backends[i];
        return NULL;
}

/* A call's side messages are accepted only from the backend it went to. */
static BackendCall *call_from(Gateway *g, const char *tag, const char *sender) {
        BackendCall *c = tag ? hashmap_get(g->calls, tag) : NULL;
        if (!c || !streq_ptr(c->backend->owner, sender))
                return NULL;
        return c;
}

static int read_tag(sd_bus_message *m, const char **ret_tag, const char **ret_session) {
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key;
                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                if (streq(key, "call") || (ret_session && streq(key, "session")))
                        r = sd_bus_message_read(m, "v", "s", streq(key, "call") ? ret_tag : ret_session);
                else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Gateway *g = userdata;
        const char *sender = sd_bus_message_get_sender(m);

        if (sd_bus_message_is_signal(m, MCP_BUS_INTERFACE, "CloseStream")) {
                const char *session, *tag;
                uint64_t retry_ms;
                if (sd_bus_message_read(m, "sst", &session, &tag, &retry_ms) < 0)
                        return 0;
                BackendCall *c = call_from(g, tag, sender);
                if (c && c->ops->close_stream)
                        c->ops->close_stream(c, retry_ms, c->userdata);
                return 0;
        }
        if (!sd_bus_message_is_signal(m, MCP_BUS_INTERFACE, "Notification"))
                return 0;

        const char *session, *text, *tag = NULL;
        if (sd_bus_message_read(m, "ss", &session, &text) < 0 || read_tag(m, &tag, NULL) < 0)
                return 0;
        _cleanup_json_ json_object *notification = NULL;
        if (json_parse_strict(text, strlen(text), &notification, NULL) < 0)
                return 0;

        if (tag) {
                BackendCall *c = call_from(g, tag, sender);
                if (c && c->ops->notify)
                        c->ops->notify(c, notification, c->userdata);
                return 0;
        }
        Backend *b = backend_by_owner(g, sender);
        if (b && !isempty(session))
                gateway_session_notify(g, b, session, notification);
        return 0;
}

static int method_client_call(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Gateway *g = userdata;
        const char *text, *tag = NULL, *session = NULL;

        int r = sd_bus_message_read(m, "s", &text);
        if (r < 0)
                return r;
        r = read_tag(m, &tag, &session);
        if (r < 0)
                return r;

        BackendCall *c = call_from(g, tag, sd_bus_message_get_sender(m));
        if (!c || !c->ops->ask)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                        "No call of yours is in progress with that tag.");

        _cleanup_json_ json_object *request = NULL;
        if (json_parse_strict(text, strlen(text), &request, NULL) < 0 || !json_get_string(request, "method"))
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "The request is not a JSON-RPC request.");

        r = c->ops->ask(c, m, request, c->userdata);
        if (r < 0)
                return r;
        return 1; /* answered later, with backend_call_answer() */
}

static const sd_bus_vtable client_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Call", SD_BUS_ARGS("s", request, "a{sv}", context), SD_BUS_RESULT("s", response),
                method_client_call, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int backend_routing_install(Gateway *g) {
        int r = sd_bus_add_object_vtable(g->bus, &g->client_object, MCP_CLIENT_BUS_PATH, MCP_CLIENT_BUS_INTERFACE,
                client_vtable, g);
        if (r < 0)
                return log_error_errno(r, "Failed to export %s: %m", MCP_CLIENT_BUS_PATH);
        /* The servers' signals are unicast to us; this match lets them through to the callback. */
        r = sd_bus_add_match_async(g->bus, &g->signal_match,
                "type='signal',interface='" MCP_BUS_INTERFACE "',path='" MCP_BUS_PATH "'", on_signal, NULL, g);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the servers' signals: %m");
        return 0;
}

/* --- owner and health ------------------------------------------------------------------------------- */

static void backend_set_up(Backend *b, bool up) {
        if (b->up != up)
                log_info("Backend %s is %s.", b->config->name, up ? "up" : "down");
        b->up = up;
        metrics_backend_up(b->gateway->metrics, b->config->name, up);
}

static void backend_set_owner(Backend *b, const char *owner) {
        if (streq_ptr(b->owner, isempty(owner) ? NULL : owner))
                return;
        free(b->owner);
        b->owner = isempty(owner) ? NULL : strdup(owner);
        log_debug("Backend %s: %s is %s.", b->config->name, b->config->bus_name, b->owner ? b->owner : "not running");
        if (!b->owner && !b->activatable)
                backend_set_up(b, false);
        if (b->owner)
                backend_set_up(b, true);
        gateway_backend_changed(b->gateway, b);
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *name, *old_owner, *new_owner;
        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0)
                backend_set_owner(userdata, new_owner);
        return 0;
}

static int on_get_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Backend *b = userdata;
        b->owner_query = sd_bus_slot_unref(b->owner_query);
        const char *owner;
        if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_read(m, "s", &owner) >= 0)
                backend_set_owner(userdata, owner);
        return 0;
}

static int on_health_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Backend *b = userdata;
        b->health_slot = sd_bus_slot_unref(b->health_slot);
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e)
                log_debug("Backend %s does not answer: %s", b->config->name, strempty(e->message));
        backend_set_up(b, !e);
        return 0;
}

static int on_activatable(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Backend *b = userdata;
        b->health_slot = sd_bus_slot_unref(b->health_slot);
        bool found = false;
        if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_enter_container(m, 'a', "s") >= 0) {
                const char *name;
                while (sd_bus_message_read(m, "s", &name) > 0)
                        found = found || streq(name, b->config->bus_name);
        }
        b->activatable = found;
        backend_set_up(b, found || b->owner); /* it may have started while we asked */
        return 0;
}

void backend_check_health(Backend *b) {
        Gateway *g = b->gateway;
        if (b->health_slot)
                return; /* the last check has not come back yet */

        int r;
        if (b->owner)
                /* A running server answers Peer.Ping from its bus library; no MCP work is done. */
                r = sd_bus_call_method_async(g->bus, &b->health_slot, b->owner, "/", "org.freedesktop.DBus.Peer", "Ping",
                        on_health_reply, b, NULL);
        else
                /* A stopped server is up when the bus can start it on the next call. */
                r = sd_bus_call_method_async(g->bus, &b->health_slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                        "org.freedesktop.DBus", "ListActivatableNames", on_activatable, b, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to check backend %s: %m", b->config->name);
}

int backend_new(Gateway *g, const BackendConfig *config, Backend **ret) {
        Backend *b = new0(Backend, 1);
        if (!b)
                return log_oom();
        b->gateway = g;
        b->config = config;
        if (asprintf(&b->endpoint, "/servers/%s/mcp", config->name) < 0) {
                free(b);
                return log_oom();
        }

        _cleanup_free_ char *match = NULL;
        if (asprintf(&match, "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                             "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'", config->bus_name) < 0) {
                backend_free(b);
                return log_oom();
        }
        int r = sd_bus_add_match_async(g->bus, &b->owner_match, match, on_owner_changed, NULL, b);
        if (r >= 0)
                r = sd_bus_call_method_async(g->bus, &b->owner_query, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                        "org.freedesktop.DBus", "GetNameOwner", on_get_owner, b, "s", config->bus_name);
        if (r < 0) {
                backend_free(b);
                return log_error_errno(r, "Failed to watch %s: %m", config->bus_name);
        }
        metrics_backend_up(g->metrics, config->name, false);
        *ret = b;
        return 0;
}

Backend *backend_free(Backend *b) {
        if (!b)
                return NULL;
        sd_bus_slot_unref(b->owner_match);
        sd_bus_slot_unref(b->owner_query);
        sd_bus_slot_unref(b->health_slot);
        sd_bus_slot_unref(b->list_slot);
        json_object_put(b->tools);
        free(b->owner);
        free(b->endpoint);
        free(b);
        return NULL;
}
