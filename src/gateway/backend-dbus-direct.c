/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* D-Bus backends' direct connections: asked of the server that owns the name (org.aios.MCP1.Connect, which
 * hands a socket to its front end only), used for the calls while they last, and asked for again when one
 * ends while the server runs. The broker stays for activation, the name's owner, health and catalog. */
#include <fcntl.h>
#include <unistd.h>

#include "backend-dbus-internal.h"
#include "bus-direct.h"
#include "log.h"
#include "mcp-bus.h"
#include "metrics.h"

/* A connection that ended while its server still owns the name is asked for again after this. */
#define DIRECT_RETRY_USEC (1 * USEC_PER_SEC)

static void direct_retry_later(Backend *b);

static int on_direct_gone(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Backend *b = userdata;
        log_info("Backend %s: its direct connection ended; calls go through the bus until there is another.",
                b->config->name);
        dbus_direct_close(b);
        direct_retry_later(b);
        return 0;
}

static int direct_take(Backend *b, int fd) {
        DbusBackend *d = b->transport_data;
        Gateway *g = b->gateway;
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;

        int r = bus_direct_connect(g->event, fd, &bus);
        if (r >= 0)
                r = dbus_routing_install(g, bus, &d->direct_client, &d->direct_signals);
        if (r >= 0)
                r = bus_direct_on_disconnect(bus, &d->direct_gone, on_direct_gone, b);
        if (r < 0) {
                d->direct_client = sd_bus_slot_unref(d->direct_client);
                d->direct_signals = sd_bus_slot_unref(d->direct_signals);
                d->direct_gone = sd_bus_slot_unref(d->direct_gone);
                (void) sd_bus_detach_event(bus);
                return r;
        }
        d->direct = TAKE_PTR(bus);
        metrics_backend_direct(g->metrics, b->config->name, true);
        log_info("Backend %s: calls go over a direct connection to %s.", b->config->name, b->owner);
        return 0;
}

static int on_connect_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Backend *b = userdata;
        DbusBackend *d = b->transport_data;
        d->direct_request = sd_bus_slot_unref(d->direct_request);

        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e) {
                /* An older server does not know Connect; a server that does not take us for its front end says
                 * no: both are called through the broker, and not asked again until another owns the name. */
                if (sd_bus_error_has_names(e, SD_BUS_ERROR_UNKNOWN_METHOD, SD_BUS_ERROR_UNKNOWN_INTERFACE,
                            SD_BUS_ERROR_UNKNOWN_OBJECT, SD_BUS_ERROR_ACCESS_DENIED, SD_BUS_ERROR_NOT_SUPPORTED)) {
                        log_info("Backend %s: no direct connection (%s); calling it through the bus.", b->config->name,
                                strempty(e->message));
                        free(d->direct_refused_by);
                        d->direct_refused_by = b->owner ? strdup(b->owner) : NULL;
                } else if (sd_bus_error_has_names(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER, SD_BUS_ERROR_SERVICE_UNKNOWN) &&
                        !d->direct)
                        /* The owner we knew left while the broker was away (it never told us): not running. */
                        dbus_owner_forget(b);
                else {
                        log_info("Backend %s: no direct connection for now (%s); calling it through the bus.",
                                b->config->name, strempty(e->message));
                        direct_retry_later(b);
                }
                return 0;
        }

        int fd;
        int r = sd_bus_message_read(m, "h", &fd);
        if (r >= 0) {
                fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                r = fd < 0 ? -errno : direct_take(b, fd);
        }
        if (r < 0)
                log_warning_errno(r, "Backend %s: failed to take its direct connection, calling it through the bus: %m",
                        b->config->name);
        return 0;
}

void dbus_direct_open(Backend *b) {
        DbusBackend *d = b->transport_data;
        if (!b->gateway->config->direct_connections || !b->owner || d->direct || d->direct_request ||
                streq_ptr(d->direct_refused_by, b->owner))
                return;

        /* To the unique name the broker says owns the server's name: that is who hands the socket over. No
         * timeout of sd-bus's, as a forgotten call would stay pending at the bus. */
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(bus_of(b), &m, b->owner, b->config->object_path, MCP_BUS_INTERFACE,
                "Connect");
        if (r >= 0)
                r = sd_bus_call_async(bus_of(b), &d->direct_request, m, on_connect_reply, b, UINT64_MAX);
        if (r < 0)
                log_debug_errno(r, "Backend %s: failed to ask for a direct connection: %m", b->config->name);
}

static int on_direct_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Backend *b = userdata;
        DbusBackend *d = b->transport_data;
        d->direct_retry = sd_event_source_disable_unref(d->direct_retry);
        dbus_direct_open(b);
        return 0;
}

static void direct_retry_later(Backend *b) {
        DbusBackend *d = b->transport_data;
        if (d->direct_retry || !b->gateway->config->direct_connections)
                return;
        int r = sd_event_add_time_relative(b->gateway->event, &d->direct_retry, CLOCK_MONOTONIC, DIRECT_RETRY_USEC, 0,
                on_direct_retry, b);
        if (r < 0)
                log_debug_errno(r, "Backend %s: failed to schedule asking for a direct connection: %m",
                        b->config->name);
}

void dbus_direct_close(Backend *b) {
        DbusBackend *d = b->transport_data;
        d->direct_request = sd_bus_slot_unref(d->direct_request);
        d->direct_retry = sd_event_source_disable_unref(d->direct_retry);
        if (!d->direct)
                return;
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = TAKE_PTR(d->direct);
        if (d->health_slot && sd_bus_slot_get_bus(d->health_slot) == bus) {
                /* Its Ping will not be answered now: the next check goes another way. */
                d->health_slot = sd_bus_slot_unref(d->health_slot);
                d->ping_timer = sd_event_source_disable_unref(d->ping_timer);
        }
        d->direct_client = sd_bus_slot_unref(d->direct_client);
        d->direct_signals = sd_bus_slot_unref(d->direct_signals);
        d->direct_gone = sd_bus_slot_unref(d->direct_gone);
        (void) sd_bus_detach_event(bus);
        dbus_direct_calls_lost(b, bus);
        metrics_backend_direct(b->gateway->metrics, b->config->name, false);
}
