/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* D-Bus backends: org.aios.MCP1.Call with the call's context, over the server's direct connection or within
 * the broker's budget of pending replies, and what comes back on the side (signals, org.aios.MCPClient1
 * calls), routed to the call it belongs to by its tag. The server's name, health and catalog are watched in
 * backend-dbus-watch.c, its direct connection kept in backend-dbus-direct.c. */
#include <stdio.h>

#include "backend-dbus-internal.h"
#include "bus-budget.h"
#include "bus-context.h"
#include "log.h"
#include "mcp-bus.h"
#include "metrics.h"

/* What a server answers while it stops (mcp-bus.c): the call was not done. */
#define BUS_ERROR_STOPPING "org.aios.MCP1.Error.Stopping"

/* One org.aios.MCP1.Call on the bus. It lives until its reply comes, also when the gateway stopped waiting
 * for it (call is NULL then): until then the bus counts it against the connection. */
typedef struct DbusCall {
        DbusBackend *owner;
        BackendCall *call;
        sd_bus_slot *slot;
        sd_event_source *timer; /* TimeoutSec= */
        char *sent_to;          /* the unique name that had the bus name when it was sent; NULL: activating */
        sd_bus *bus;            /* where it went: the broker's connection or the server's direct one */
        char tag[32];
        bool long_lived;
        bool direct;
} DbusCall;

/* --- the bus's budget ------------------------------------------------------------------------------ */

static unsigned n_owed(Backend *b) {
        DbusBackend *d = b->transport_data;
        return d ? d->n_owed_broker : 0;
}

/* Whether b may send one more Call: over a direct connection within MaxInFlightPerBackend=, through the broker
 * also counting the replies the bus still owes each D-Bus backend. */
static bool may_send(Backend *b, bool long_lived) {
        Gateway *g = b->gateway;
        DbusBackend *d = b->transport_data;
        if (d->direct)
                return bus_budget_allows_direct((unsigned) hashmap_size(d->calls), d->n_long_lived,
                        g->config->max_in_flight, long_lived);
        _cleanup_free_ unsigned *owed = new0(unsigned, MAX(g->n_backends, 1U));
        if (!owed)
                return false;
        size_t n = 0, self = 0;
        for (size_t i = 0; i < g->n_backends; i++) {
                Backend *o = g->backends[i];
                if (o->transport != &backend_dbus_transport)
                        continue;
                if (o == b)
                        self = n;
                owed[n++] = n_owed(o);
        }
        if (n == 0) /* b is not among them yet (being set up): it alone */
                owed[n++] = n_owed(b);
        return bus_budget_allows(owed, n, self, d->n_long_lived, g->config->max_in_flight, long_lived);
}

/* --- calls ----------------------------------------------------------------------------------------- */

static DbusCall *dbus_call_free(DbusCall *dc) {
        if (!dc)
                return NULL;
        hashmap_remove(dc->owner->calls, dc->tag);
        if (dc->long_lived)
                dc->owner->n_long_lived--;
        if (!dc->direct)
                dc->owner->n_owed_broker--;
        if (dc->call)
                dc->call->transport_data = NULL;
        sd_bus_slot_unref(dc->slot);
        sd_bus_unref(dc->bus);
        sd_event_source_disable_unref(dc->timer);
        free(dc->sent_to);
        free(dc);
        return NULL;
}

/* The gateway no longer waits for dc's reply; the bus still does, so dc stays until it comes. */
static BackendCall *dbus_call_detach(DbusCall *dc) {
        BackendCall *c = TAKE_PTR(dc->call);
        if (c)
                c->transport_data = NULL;
        dc->timer = sd_event_source_disable_unref(dc->timer);
        return c;
}

static BackendFailure failure_of(DbusCall *dc, const sd_bus_error *e) {
        Backend *b = dc->owner->backend;
        if (sd_bus_error_has_name(e, BUS_ERROR_STOPPING))
                return BACKEND_GONE;
        /* On a direct connection, which has no broker to expire calls, NoReply is sd-bus's word for the
         * connection ending: the server left. */
        if (dc->direct && sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY))
                return BACKEND_GONE;
        /* The bus answers NoReply for a server that left without answering (NameOwnerChanged told us it
         * left), and for a call it expired itself. */
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY))
                return dc->sent_to && !streq_ptr(dc->sent_to, b->owner) ? BACKEND_GONE : BACKEND_TIMEOUT;
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_TIMEOUT))
                return BACKEND_TIMEOUT;
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_LIMITS_EXCEEDED))
                return BACKEND_BUSY;
        /* ServiceUnknown, NameHasNoOwner, Spawn.*, AccessDenied, Disconnected, ...: not reachable. */
        return BACKEND_UNAVAILABLE;
}

static int on_call_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        DbusCall *dc = userdata;
        BackendCall *c = dbus_call_detach(dc);
        BackendFailure failure = BACKEND_OK;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        if (e)
                failure = failure_of(dc, e);
        dbus_call_free(dc); /* the bus owes nothing more */
        if (!c)
                return 0; /* the answer to a call the gateway gave up on: the server has stopped its work */

        if (e) {
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

static int on_call_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        DbusCall *dc = userdata;
        if (dc->call)
                backend_call_time_out(dc->call); /* cancels it here, which detaches dc */
        return 0;
}

/* The server that had b's name left: the calls it had not answered never will be. Their replies are still
 * owed by the bus (it sends NoReply for each), so they stay counted until then. */
void dbus_calls_lost(Backend *b, const char *old_owner) {
        DbusBackend *d = b->transport_data;
        for (;;) {
                DbusCall *dc, *found = NULL;
                size_t i = 0;
                while (!found && hashmap_iterate(d->calls, &i, (void **) &dc, NULL))
                        if (dc->call && streq_ptr(dc->sent_to, old_owner))
                                found = dc;
                if (!found)
                        return;
                backend_call_finish(dbus_call_detach(found), NULL, BACKEND_GONE, NULL);
        }
}

void dbus_direct_calls_lost(Backend *b, sd_bus *bus) {
        DbusBackend *d = b->transport_data;
        for (;;) {
                DbusCall *dc, *found = NULL;
                size_t i = 0;
                while (!found && hashmap_iterate(d->calls, &i, (void **) &dc, NULL))
                        if (dc->bus == bus)
                                found = dc;
                if (!found)
                        return;
                /* Nothing owes its reply any more: the connection is gone. */
                BackendCall *c = dbus_call_detach(found);
                dbus_call_free(found);
                if (c)
                        backend_call_finish(c, NULL, BACKEND_GONE, NULL);
        }
}

/* Where calls to b go: its server's direct connection while there is one, else the broker, to its name. */
static sd_bus *route_of(Backend *b, const char **ret_destination) {
        DbusBackend *d = b->transport_data;
        *ret_destination = d->direct ? NULL : b->config->bus_name;
        return d->direct ?: bus_of(b);
}

static int append_context(sd_bus_message *m, const BackendCall *c, const BackendCaller *caller,
        const char *protocol_version, json_object *capabilities) {
        int r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "{sv}", "call", "s", c->tag);
        if (r >= 0 && c->session)
                r = sd_bus_message_append(m, "{sv}", "session", "s", c->session);
        /* The server takes these from the gateway's user only; the scopes name backends as configured here. */
        if (r >= 0 && caller && caller->principal)
                r = sd_bus_message_append(m, "{sv}", "principal", "s", caller->principal);
        if (r >= 0 && caller && caller->scopes)
                r = sd_bus_message_append(m, "{sv}", "scopes", "s", caller->scopes);
        if (r >= 0 && caller && caller->principal)
                r = sd_bus_message_append(m, "{sv}", "backend", "s", c->backend->config->name);
        if (r >= 0 && caller && caller->pid > 0) {
                char process[64];
                snprintf(process, sizeof(process), "%d %u", (int) caller->pid, (unsigned) caller->uid);
                r = sd_bus_message_append(m, "{sv}", "process", "s", process);
        }
        if (r >= 0 && protocol_version)
                r = sd_bus_message_append(m, "{sv}", "protocol_version", "s", protocol_version);
        if (r >= 0 && protocol_version && capabilities)
                r = sd_bus_message_append(m, "{sv}", "client_capabilities", "s", json_to_string(capabilities));
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static int dbus_call(BackendCall *c, json_object *message, const BackendCaller *caller, const char *protocol_version,
        json_object *capabilities) {
        Backend *b = c->backend;
        DbusBackend *d = b->transport_data;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

        if (!may_send(b, c->long_lived))
                return -EBUSY;

        const char *destination;
        sd_bus *via = route_of(b, &destination);
        int r = sd_bus_message_new_method_call(via, &m, destination, b->config->object_path, MCP_BUS_INTERFACE, "Call");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", json_to_string(message));
        if (r >= 0)
                r = append_context(m, c, caller, protocol_version, capabilities);
        if (r < 0)
                return r;

        DbusCall *dc = new0(DbusCall, 1);
        if (!dc)
                return -ENOMEM;
        dc->owner = d;
        memcpy(dc->tag, c->tag, sizeof(dc->tag));
        if ((b->owner && !(dc->sent_to = strdup(b->owner))) || hashmap_put(d->calls, dc->tag, dc) < 0) {
                free(dc->sent_to);
                free(dc);
                return -ENOMEM;
        }
        dc->long_lived = c->long_lived;
        d->n_long_lived += dc->long_lived;
        dc->bus = sd_bus_ref(via);
        dc->direct = via != bus_of(b);
        d->n_owed_broker += !dc->direct;
        metrics_bus_call(b->gateway->metrics, b->config->name, dc->direct);

        /* No timeout of sd-bus's: when the gateway gives up it tells the server, whose answer frees the
         * bus's pending reply; a call sd-bus forgot would stay pending at the bus for good. */
        r = sd_bus_call_async(via, &dc->slot, m, on_call_reply, dc, UINT64_MAX);
        if (r >= 0 && !c->long_lived)
                r = sd_event_add_time_relative(b->gateway->event, &dc->timer, CLOCK_MONOTONIC, b->config->timeout_usec,
                        0, on_call_timeout, dc);
        if (r < 0) {
                dbus_call_free(dc);
                return r;
        }
        dc->call = c;
        c->transport_data = dc;
        return 0;
}

/* Over via (the connection the call went on), or the backend's route when NULL. */
static int send_notify(Backend *b, sd_bus *via, json_object *notification, const char *session, const char *tag) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        const char *destination;
        sd_bus *route = route_of(b, &destination);
        if (via && via != route)
                destination = via == bus_of(b) ? b->config->bus_name : NULL;
        else
                via = route;
        int r = sd_bus_message_new_method_call(via, &m, destination, b->config->object_path, MCP_BUS_INTERFACE,
                "Notify");
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
        return sd_bus_call_async(via, NULL, m, NULL, NULL, 0);
}

static void dbus_cancel(BackendCall *c, json_object *notification) {
        DbusCall *dc = c->transport_data;
        /* The server matches a cancellation to the call by the connection it came on. */
        _cleanup_(sd_bus_unrefp) sd_bus *via = dc ? sd_bus_ref(dc->bus) : NULL;
        if (dc)
                (void) dbus_call_detach(dc); /* its reply is still owed, and comes once the server stopped */
        /* Sessions name the request by its id; the stateless wire by the call's tag. */
        if (notification)
                (void) send_notify(c->backend, via, notification, c->session, c->tag);
}

static int dbus_notify(Backend *b, const char *session, json_object *notification) {
        return send_notify(b, NULL, notification, session, NULL);
}

static int dbus_end_session(Backend *b, const char *session) {
        if (!b->owner)
                return 0; /* not running: it has no sessions to end, and must not be started for this */
        const char *destination;
        sd_bus *via = route_of(b, &destination);
        return sd_bus_call_method_async(via, NULL, destination, b->config->object_path, MCP_BUS_INTERFACE, "EndSession",
                NULL, NULL, "s", session);
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

/* Whether m came from b's server: from the unique name that owns its name on the broker, or on its direct
 * connection, which only that server has the other end of. */
static bool message_from(Backend *b, sd_bus_message *m) {
        DbusBackend *d = b->transport_data;
        sd_bus *bus = sd_bus_message_get_bus(m);
        if (b->transport != &backend_dbus_transport || !d)
                return false;
        if (bus == bus_of(b))
                return streq_ptr(b->owner, sd_bus_message_get_sender(m));
        return bus == d->direct;
}

static Backend *backend_of_message(Gateway *g, sd_bus_message *m) {
        for (size_t i = 0; i < g->n_backends; i++)
                if (message_from(g->backends[i], m))
                        return g->backends[i];
        return NULL;
}

/* A call's side messages are accepted only from the server it went to. */
static BackendCall *call_from(Gateway *g, const char *tag, sd_bus_message *m) {
        BackendCall *c = backend_call_find(g, tag);
        if (!c || !message_from(c->backend, m))
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

        if (sd_bus_message_is_signal(m, MCP_BUS_INTERFACE, "CloseStream")) {
                const char *session, *tag;
                uint64_t retry_ms;
                if (sd_bus_message_read(m, "sst", &session, &tag, &retry_ms) < 0)
                        return 0;
                BackendCall *c = call_from(g, tag, m);
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
                BackendCall *c = call_from(g, tag, m);
                if (c && c->ops->notify)
                        c->ops->notify(c, notification, c->userdata);
                return 0;
        }
        Backend *b = backend_of_message(g, m);
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

        BackendCall *c = call_from(g, tag, m);
        if (!c || !c->ops->ask)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                        "No call of yours is in progress with that tag.");

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

int dbus_routing_install(Gateway *g, sd_bus *bus, sd_bus_slot **ret_object, sd_bus_slot **ret_match) {
        int r = sd_bus_add_object_vtable(bus, ret_object, MCP_CLIENT_BUS_PATH, MCP_CLIENT_BUS_INTERFACE, client_vtable,
                g);
        if (r < 0)
                return log_error_errno(r, "Failed to export %s: %m", MCP_CLIENT_BUS_PATH);
        /* The servers' signals are unicast to us; this match lets them through to the callback (on a direct
         * connection it is sd-bus's own, and every signal there is the server's). */
        r = sd_bus_add_match_async(bus, ret_match,
                "type='signal',interface='" MCP_BUS_INTERFACE "',path='" MCP_BUS_PATH "'", on_signal, NULL, g);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the servers' signals: %m");
        return 0;
}

int backend_dbus_routing_install(Gateway *g) {
        return dbus_routing_install(g, g->bus, &g->client_object, &g->signal_match);
}

static int dbus_init(Backend *b) {
        DbusBackend *d = new0(DbusBackend, 1);
        if (!d)
                return log_oom();
        d->backend = b;
        b->transport_data = d;
        d->calls = hashmap_new();
        if (!d->calls)
                return log_oom();
        return dbus_watch_start(b);
}

static void dbus_done(Backend *b) {
        DbusBackend *d = b->transport_data;
        dbus_direct_close(b);
        free(d->direct_refused_by);
        DbusCall *dc;
        size_t i = 0;
        while (hashmap_iterate(d->calls, &i, (void **) &dc, NULL))
                dbus_call_free(dc);
        hashmap_free(d->calls);
        dbus_watch_stop(d);
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
