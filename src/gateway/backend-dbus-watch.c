/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* D-Bus backends: who owns the server's name (NameOwnerChanged), whether it answers (Peer.Ping within 2 s)
 * or can be started (ListActivatableNames), and what it offers (Describe, which starts it when it is
 * activatable). A server the bus can start keeps its catalog while it is not running. */
#include <stdio.h>

#include "backend-dbus-internal.h"
#include "log.h"
#include "mcp-bus.h"

/* A running server answers Peer.Ping from its bus library at once; one that does not within this is down. */
#define PING_TIMEOUT_USEC (2 * USEC_PER_SEC)

static void set_owner(Backend *b, const char *owner) {
        DbusBackend *d = b->transport_data;
        owner = isempty(owner) ? NULL : owner;
        if (streq_ptr(b->owner, owner))
                return;
        _cleanup_free_ char *old = TAKE_PTR(b->owner);
        b->owner = owner ? strdup(owner) : NULL;
        log_debug("Backend %s: %s is %s.", b->config->name, b->config->bus_name, b->owner ?: "not running");
        if (old) {
                /* The direct connection was the old server's. */
                dbus_direct_close(b);
                dbus_calls_lost(b, old);
        }
        if (b->owner) {
                backend_set_up(b, true);
                dbus_direct_open(b);
        } else {
                /* Whether the bus can start it again decides whether its tools stay on /mcp: a server that
                 * exits when idle keeps them; one that is gone for good takes them away. */
                d->recheck = true;
                dbus_check_health(b);
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
        else if (sd_bus_message_is_method_error(m, SD_BUS_ERROR_NAME_HAS_NO_OWNER) && !d->direct)
                /* Asked again after the broker came back: the owner we knew is not on it. A server still on
                 * its direct connection keeps it until that ends. */
                set_owner(b, NULL);
        return 0;
}

void dbus_owner_forget(Backend *b) {
        set_owner(b, NULL);
}

void dbus_broker_lost(Backend *b) {
        DbusBackend *d = b->transport_data;
        dbus_watch_stop(d);
        d->recheck = false;
        d->relist = false;
        d->direct_request = sd_bus_slot_unref(d->direct_request);
}

/* The check in flight is answered: another one was asked for meanwhile (the owner changed). */
static void health_checked(Backend *b) {
        DbusBackend *d = b->transport_data;
        d->health_slot = sd_bus_slot_unref(d->health_slot);
        d->ping_timer = sd_event_source_disable_unref(d->ping_timer);
        if (d->recheck)
                dbus_check_health(b);
}

static int on_ping(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Backend *b = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e)
                log_debug("Backend %s does not answer: %s", b->config->name, strempty(e->message));
        if (b->owner) /* else it left meanwhile, and whether the bus can start it decides */
                backend_set_up(b, !e);
        health_checked(b);
        return 0;
}

static int on_ping_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Backend *b = userdata;
        DbusBackend *d = b->transport_data;
        d->ping_timer = sd_event_source_disable_unref(d->ping_timer);
        /* Down until it answers; the Ping stays pending (the bus counts it until then), so that a stopped
         * server is not sent one more on every check. */
        log_debug("Backend %s did not answer a Ping within %llu s.", b->config->name,
                (unsigned long long) (PING_TIMEOUT_USEC / USEC_PER_SEC));
        backend_set_up(b, false);
        return 0;
}

static int on_activatable(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Backend *b = userdata;
        bool found = false;
        if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_enter_container(m, 'a', "s") >= 0) {
                const char *name;
                while (sd_bus_message_read(m, "s", &name) > 0)
                        found = found || streq(name, b->config->bus_name);
        }
        b->activatable = found;
        if (b->owner)
                backend_set_up(b, true); /* it started while we asked */
        else if (found) {
                backend_set_up(b, true);
                /* Nothing lists what it offers until it runs: a call to its name starts it. */
                if (!b->catalog)
                        (void) dbus_list_tools(b);
        } else {
                /* Gone, and nothing will start it: its tools leave /mcp until it is back. */
                backend_set_up(b, false);
                if (b->catalog || !b->listed)
                        backend_catalog_listed(b, NULL);
        }
        health_checked(b);
        return 0;
}

void dbus_check_health(Backend *b) {
        DbusBackend *d = b->transport_data;
        if (d->health_slot) {
                d->recheck = d->recheck || !b->owner;
                return; /* the last check has not come back yet */
        }
        d->recheck = false;

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;
        if (b->owner) {
                /* A running server answers Peer.Ping from its bus library; no MCP work is done. Our own timer
                 * says when it is late; sd-bus's would forget the call while the bus still counts it. Over
                 * the direct connection while there is one: that is where the calls go. */
                sd_bus *via = d->direct ?: bus_of(b);
                r = sd_bus_message_new_method_call(via, &m, d->direct ? NULL : b->owner, "/",
                        "org.freedesktop.DBus.Peer", "Ping");
                if (r >= 0)
                        r = sd_bus_call_async(via, &d->health_slot, m, on_ping, b, UINT64_MAX);
                if (r >= 0)
                        r = sd_event_add_time_relative(b->gateway->event, &d->ping_timer, CLOCK_MONOTONIC,
                                PING_TIMEOUT_USEC, 0, on_ping_timeout, b);
        } else
                /* A stopped server is up when the bus can start it on the next call. */
                r = sd_bus_call_method_async(bus_of(b), &d->health_slot, "org.freedesktop.DBus",
                        "/org/freedesktop/DBus", "org.freedesktop.DBus", "ListActivatableNames", on_activatable, b,
                        NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to check backend %s: %m", b->config->name);
}

static int on_catalog(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Backend *b = userdata;
        DbusBackend *d = b->transport_data;
        d->list_slot = sd_bus_slot_unref(d->list_slot);

        const sd_bus_error *e = sd_bus_message_get_error(m);
        json_object *catalog = NULL;
        const char *text;
        if (e) {
                log_warning("Failed to list what %s offers: %s", b->config->name, strempty(e->message));
                /* A server that cannot be reached or started offers nothing; one that stopped or was busy
                 * offers what it offered, and is asked again when it runs. */
                if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER) ||
                        startswith_ptr(e->name, "org.freedesktop.DBus.Error.Spawn."))
                        backend_catalog_listed(b, NULL);
        } else if (sd_bus_message_read(m, "s", &text) < 0 ||
                json_parse_strict(text, strlen(text), &catalog, NULL) < 0 || !json_get_array(catalog, "tools")) {
                json_object_put(catalog);
                log_warning("Backend %s described itself in a form that is not a catalog.", b->config->name);
                backend_catalog_listed(b, NULL);
        } else
                backend_catalog_listed(b, catalog);

        if (d->relist) {
                d->relist = false;
                (void) dbus_list_tools(b);
        }
        return 0;
}

int dbus_list_tools(Backend *b) {
        DbusBackend *d = b->transport_data;
        if (d->list_slot) {
                d->relist = true; /* one Describe at a time: a stopped server is not sent one per change */
                return 0;
        }
        /* To the bus name, so that an activatable server is started for it; no timeout of sd-bus's, as a
         * forgotten call would stay pending at the bus. */
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(bus_of(b), &m, b->config->bus_name, b->config->object_path,
                MCP_BUS_INTERFACE, "Describe");
        if (r < 0)
                return r;
        return sd_bus_call_async(bus_of(b), &d->list_slot, m, on_catalog, b, UINT64_MAX);
}

int dbus_watch_start(Backend *b) {
        DbusBackend *d = b->transport_data;
        _cleanup_free_ char *match = NULL;
        if (asprintf(&match,
                    "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                    "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
                    b->config->bus_name) < 0)
                return log_oom();
        int r = sd_bus_add_match_async(bus_of(b), &d->owner_match, match, on_owner_changed, NULL, b);
        if (r >= 0)
                r = sd_bus_call_method_async(bus_of(b), &d->owner_query, "org.freedesktop.DBus",
                        "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner", on_get_owner, b, "s",
                        b->config->bus_name);
        if (r < 0)
                return log_error_errno(r, "Failed to watch %s: %m", b->config->bus_name);
        return 0;
}

void dbus_watch_stop(DbusBackend *d) {
        d->owner_match = sd_bus_slot_unref(d->owner_match);
        d->owner_query = sd_bus_slot_unref(d->owner_query);
        d->health_slot = sd_bus_slot_unref(d->health_slot);
        d->ping_timer = sd_event_source_disable_unref(d->ping_timer);
        d->list_slot = sd_bus_slot_unref(d->list_slot);
}
