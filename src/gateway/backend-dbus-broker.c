/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gateway's connection to the broker: its routing and bus name, and when the broker goes away, calls go on
 * over the servers' direct connections while the gateway connects to it again every second; then every D-Bus
 * backend's name is watched anew. */
#include "backend-dbus-internal.h"
#include "bus-direct.h"
#include "log.h"
#include "mcp-bus.h"

#define GATEWAY_BUS_NAME "org.aios.Gateway1"
#define BROKER_RETRY_USEC (1 * USEC_PER_SEC)

static void broker_retry_later(Gateway *g);

static int on_name_acquired(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e)
                log_warning("Failed to own %s, going on without it: %s", GATEWAY_BUS_NAME, strempty(e->message));
        return 0;
}

/* Its calls were answered by sd-bus already (NoReply) when the connection ended. */
static int on_broker_gone(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Gateway *g = userdata;
        log_warning("Lost the system bus: calls go on over the servers' direct connections; connecting to the "
                    "bus again every second.");
        broker_retry_later(g);
        return 0;
}

int backend_dbus_broker_attach(Gateway *g) {
        int r = backend_dbus_routing_install(g);
        if (r < 0)
                return r;
        r = sd_bus_request_name_async(g->bus, NULL, GATEWAY_BUS_NAME, 0, on_name_acquired, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to request %s: %m", GATEWAY_BUS_NAME);
        r = bus_direct_on_disconnect(g->bus, &g->bus_gone, on_broker_gone, g);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the system bus connection: %m");
        return 0;
}

static int on_broker_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Gateway *g = userdata;
        g->bus_retry = sd_event_source_disable_unref(g->bus_retry);

        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r = bus_open_system_attached(g->event, &bus);
        if (r < 0) {
                log_debug_errno(r, "The system bus is not back yet: %m");
                broker_retry_later(g);
                return 0;
        }

        /* What hung on the old connection goes with it; the direct connections stay. */
        for (size_t i = 0; i < g->n_backends; i++)
                if (g->backends[i]->transport == &backend_dbus_transport)
                        dbus_broker_lost(g->backends[i]);
        g->client_object = sd_bus_slot_unref(g->client_object);
        g->signal_match = sd_bus_slot_unref(g->signal_match);
        g->bus_gone = sd_bus_slot_unref(g->bus_gone);
        (void) sd_bus_detach_event(g->bus);
        sd_bus_close_unref(g->bus);
        g->bus = TAKE_PTR(bus);

        r = backend_dbus_broker_attach(g);
        if (r < 0) {
                /* Without the routing it is of no use: drop it and try again. */
                (void) sd_bus_close(g->bus);
                broker_retry_later(g);
                return 0;
        }
        for (size_t i = 0; i < g->n_backends; i++)
                if (g->backends[i]->transport == &backend_dbus_transport)
                        (void) dbus_watch_start(g->backends[i]);
        log_info("Connected to the system bus again.");
        return 0;
}

static void broker_retry_later(Gateway *g) {
        if (g->bus_retry)
                return;
        int r = sd_event_add_time_relative(g->event, &g->bus_retry, CLOCK_MONOTONIC, BROKER_RETRY_USEC, 0,
                on_broker_retry, g);
        if (r < 0)
                log_warning_errno(r, "Failed to schedule connecting to the system bus again: %m");
}
