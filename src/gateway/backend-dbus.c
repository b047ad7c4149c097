/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* D-Bus backends: org.aios.MCP1.Call with the call's context, and what comes back on the side (unicast
 * signals, org.aios.MCPClient1 calls), routed to the call it belongs to by its tag. */
#include <stdio.h>

#include "backend.h"
#include "bus-context.h"
#include "log.h"
#include "mcp-bus.h"

typedef struct DbusBackend {
        sd_bus_slot *owner_match;
        sd_bus_slot *owner_query;
        sd_bus_slot *health_slot;
        sd_bus_slot *list_slot;
} DbusBackend;

static sd_bus *bus_of(Backend *b) {
        return b->gateway->bus;
}

/* --- calls ----------------------------------------------------------------------------------------- */

static int on_call_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        BackendCall *c = userdata;
        c->transport_data = sd_bus_slot_unref(c->transport_data);

        const sd_bus_error *e = sd_bus_message_get_error(reply);
        if (e) {
                BackendFailure failure =
                        sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY) && strstr(strempty(e->message), "disconnected") ? BACKEND_GONE :
                        sd_bus_error_has_names(e, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_TIMEOUT) ? BACKEND_TIMEOUT :
                                                                                                 BACKEND_UNAVAILABLE;
                backend_call_finish(c, NULL, failure, e->message ?: e->name);
                return 0;
        }

        const char *text;
        json_object *response = NULL;
        if (sd_bus_message_read(reply, "s", &text) < 0)
                backend_call_finish(c, NULL, BACKEND_UNAVAILABLE, "its answer is not a string");
        else if (!isempty(text) && json_parse_strict(text, strlen(text), &response, NULL) < 0)
                backend_call_finish(c, NULL, BACKEND_UNAVAILABLE, "its answer is not JSON");
        else
                backend_call_finish(c, response, BACKEND_OK, NULL);
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

static int dbus_call(BackendCall *c, json_object *message, const char *principal, const char *protocol_version,
        json_object *capabilities) {
        Backend *b = c->backend;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_slot *slot = NULL;

        int r = sd_bus_message_new_method_call(bus_of(b), &m, b->config->bus_name, b->config->object_path,
                MCP_BUS_INTERFACE, "Call");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", json_to_string(message));
        if (r >= 0)
                r = append_context(m, c, principal, protocol_version, capabilities);
        if (r >= 0)
                r = sd_bus_call_async(bus_of(b), &slot, m, on_call_reply, c, b->config->timeout_usec);
        if (r < 0)
                return r;
        c->transport_data = slot;
        return 0;
}

static int send_notify(Backend *b, json_object *notification, const char *session, const char *tag) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(bus_of(b), &m, b->config->bus_name, b->config->object_path,
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
        return sd_bus_call_async(bus_of(b), NULL, m, NULL, NULL, 0);
}

static void dbus_cancel(BackendCall *c, json_object *notification) {
        c->transport_data = sd_bus_slot_unref(c->transport_data);
        if (notification)
                (void) send_notify(c->backend, notification, c->session, NULL);
        else if (!c->session) {
                /* The stateless wire: the server finds the call by its tag. */
                _cleanup_json_ json_object *n = json_tokener_parse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{}}");
                if (n)
                        (void) send_notify(c->backend, n, NULL, c->tag);
        }
}

static int dbus_notify(Backend *b, const char *session, json_object *notification) {
        return send_notify(b, notification, session, NULL);
}

static int dbus_end_session(Backend *b, const char *session) {
        if (!b->owner)
                return 0; /* not running: it has no sessions to end, and must not be started for this */
        return sd_bus_call_method_async(bus_of(b), NULL, b->config->bus_name, b->config->object_path, MCP_BUS_INTERFACE,
                "EndSession", NULL, NULL, "s", session);
}

/* --- what comes back on the side ------------------------------------------------------------------- */

typedef struct DbusQuestion {
        BackendQuestion question;
        sd_bus_message *message; /* the server's MCPClient1.Call */
} DbusQuestion;

static void dbus_question_answer(BackendQuestion *q, json_object *response) {
        DbusQuestion *d = (DbusQuestion *) q;
        _cleanup_json_ json_object *r = response;
        (void) sd_bus_reply_method_return(d->message, "s", r ? json_to_string(r) : "");
        sd_bus_message_unref(d->message);
        free(d);
}

static Backend *backend_by_owner(Gateway *g, const char *sender) {
        for (size_t i = 0; i < g->n_backends; i++)
                if (streq_ptr(g->backends[i]->owner, sender))
                        return g->backends[i];
        return NULL;
}

/* A call's side messages are accepted only from the server it went to. */
static BackendCall *call_from(Gateway *g, const char *tag, const char *sender) {
        BackendCall *c = backend_call_find(g, tag);
        if (!c || c->backend->transport != &backend_dbus_transport || !streq_ptr(c->backend->owner, sender))
                return NULL;
        return c;
}

static int read_context(sd_bus_message *m, const char **ret_tag, const char **ret_session) {
        const BusContextField fields[] = {
                { "call", ret_tag },
                { "session", ret_session },
        };
        return bus_context_read(m, fields, ret_session ? 2 : 1);
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
        if (sd_bus_message_read(m, "ss", &session, &text) < 0 || read_context(m, &tag, NULL) < 0)
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
        r = read_context(m, &tag, &session);
        if (r < 0)
                return r;

        BackendCall *c = call_from(g, tag, sd_bus_message_get_sender(m));
        if (!c || !c->ops->ask)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "No call of yours is in progress with that tag.");

        _cleanup_json_ json_object *request = NULL;
        if (json_parse_strict(text, strlen(text), &request, NULL) < 0 || !json_get_string(request, "method"))
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "The request is not a JSON-RPC request.");

        DbusQuestion *q = new0(DbusQuestion, 1);
        if (!q)
                return -ENOMEM;
        q->question.answer = dbus_question_answer;
        q->message = sd_bus_message_ref(m);
        r = c->ops->ask(c, &q->question, request, c->userdata);
        if (r < 0) {
                sd_bus_message_unref(q->message);
                free(q);
                return r;
        }
        return 1; /* answered later */
}

static const sd_bus_vtable client_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Call", SD_BUS_ARGS("s", request, "a{sv}", context), SD_BUS_RESULT("s", response),
                method_client_call, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int backend_dbus_routing_install(Gateway *g) {
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

/* --- owner, health, tools -------------------------------------------------------------------------- */

static void set_owner(Backend *b, const char *owner) {
        if (streq_ptr(b->owner, isempty(owner) ? NULL : owner))
                return;
        free(b->owner);
        b->owner = isempty(owner) ? NULL : strdup(owner);
        log_debug("Backend %s: %s is %s.", b->config->name, b->config->bus_name, b->owner ?: "not running");
        if (b->owner)
                backend_set_up(b, true);
        else if (!b->activatable) {
                /* Gone, and nothing will start it: its tools leave /mcp until it is back. */
                backend_set_up(b, false);
                backend_catalog_listed(b, NULL);
        }
        gateway_backend_changed(b->gateway, b);
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *name, *old_owner, *new_owner;
        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0)
                set_owner(userdata, new_owner);
        return 0;
}

static int on_get_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Backend *b = userdata;
        DbusBackend *d = b->transport_data;
        d->owner_query = sd_bus_slot_unref(d->owner_query);
        const char *owner;
        if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_read(m, "s", &owner) >= 0)
                set_owner(b, owner);
        return 0;
}

static int on_ping(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Backend *b = userdata;
        DbusBackend *d = b->transport_data;
        d->health_slot = sd_bus_slot_unref(d->health_slot);
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e)
                log_debug("Backend %s does not answer: %s", b->config->name, strempty(e->message));
        backend_set_up(b, !e);
        return 0;
}

static int on_activatable(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Backend *b = userdata;
        DbusBackend *d = b->transport_data;
        d->health_slot = sd_bus_slot_unref(d->health_slot);
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

static void dbus_check_health(Backend *b) {
        DbusBackend *d = b->transport_data;
        if (d->health_slot)
                return; /* the last check has not come back yet */

        int r;
        if (b->owner)
                /* A running server answers Peer.Ping from its bus library; no MCP work is done. */
                r = sd_bus_call_method_async(bus_of(b), &d->health_slot, b->owner, "/", "org.freedesktop.DBus.Peer", "Ping",
                        on_ping, b, NULL);
        else
                /* A stopped server is up when the bus can start it on the next call. */
                r = sd_bus_call_method_async(bus_of(b), &d->health_slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                        "org.freedesktop.DBus", "ListActivatableNames", on_activatable, b, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to check backend %s: %m", b->config->name);
}

static int on_catalog(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Backend *b = userdata;
        DbusBackend *d = b->transport_data;
        d->list_slot = sd_bus_slot_unref(d->list_slot);

        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e) {
                log_warning("Failed to list what %s offers: %s", b->config->name, strempty(e->message));
                backend_catalog_listed(b, NULL);
                return 0;
        }
        const char *text;
        json_object *catalog = NULL;
        if (sd_bus_message_read(m, "s", &text) < 0 || json_parse_strict(text, strlen(text), &catalog, NULL) < 0 ||
            !json_get_array(catalog, "tools")) {
                json_object_put(catalog);
                log_warning("Backend %s described itself in a form that is not a catalog.", b->config->name);
                backend_catalog_listed(b, NULL);
                return 0;
        }
        backend_catalog_listed(b, catalog);
        return 0;
}

static int dbus_list_tools(Backend *b) {
        DbusBackend *d = b->transport_data;
        d->list_slot = sd_bus_slot_unref(d->list_slot);
        return sd_bus_call_method_async(bus_of(b), &d->list_slot, b->config->bus_name, b->config->object_path,
                MCP_BUS_INTERFACE, "Describe", on_catalog, b, NULL);
}

static int dbus_init(Backend *b) {
        DbusBackend *d = new0(DbusBackend, 1);
        if (!d)
                return log_oom();
        b->transport_data = d;

        _cleanup_free_ char *match = NULL;
        if (asprintf(&match, "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                             "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'", b->config->bus_name) < 0)
                return log_oom();
        int r = sd_bus_add_match_async(bus_of(b), &d->owner_match, match, on_owner_changed, NULL, b);
        if (r >= 0)
                r = sd_bus_call_method_async(bus_of(b), &d->owner_query, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                        "org.freedesktop.DBus", "GetNameOwner", on_get_owner, b, "s", b->config->bus_name);
        if (r < 0)
                return log_error_errno(r, "Failed to watch %s: %m", b->config->bus_name);
        return 0;
}

static void dbus_done(Backend *b) {
        DbusBackend *d = b->transport_data;
        sd_bus_slot_unref(d->owner_match);
        sd_bus_slot_unref(d->owner_query);
        sd_bus_slot_unref(d->health_slot);
        sd_bus_slot_unref(d->list_slot);
        free(d);
        b->transport_data = NULL;
}

const BackendTransport backend_dbus_transport = {
        .init = dbus_init,
        .done = dbus_done,
        .call = dbus_call,
        .cancel = dbus_cancel,
        .notify = dbus_notify,
        .end_session = dbus_end_session,
        .check_health = dbus_check_health,
        .list_tools = dbus_list_tools,
};
