/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the unit tools' own system bus connection, opened lazily, and their JobRemoved subscription. */
#include <systemd/sd-bus.h>

#include "log.h"
#include "mcp-bus.h"
#include "mcp-request.h"
#include "systemd-bus.h"

/* The engine gives handlers no bus connection, and a server may serve HTTP only: the unit tools open a
 * system bus connection of their own on first use, on the server's event loop, and keep it for the life of
 * the process (reopened if the bus dropped it). Being their own, it also keeps systemd's job signals, which
 * reach every subscribed connection, off the connection that serves MCP. */
static sd_bus *units_bus;
static sd_bus_slot *units_job_removed;

static int on_subscribed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e)
                log_warning("Failed to subscribe to systemd's signals, unit jobs will time out: %s",
                        strempty(e->message));
        return 0;
}

int units_bus_get(McpRequest *req, sd_bus **ret) {
        if (units_bus && sd_bus_is_open(units_bus) > 0) {
                *ret = units_bus;
                return 0;
        }
        units_job_removed = sd_bus_slot_unref(units_job_removed);
        units_bus = sd_bus_flush_close_unref(units_bus);

        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r = bus_open_system_attached(mcp_request_get_event(req), &bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        /* The match and Subscribe go out before any job is started on this connection, and the bus and
         * systemd handle one connection's messages in order: no JobRemoved can slip past. */
        r = sd_bus_match_signal_async(bus, &units_job_removed, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER,
                "JobRemoved", on_job_removed, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch systemd's jobs: %m");
        r = sd_bus_call_method_async(bus, NULL, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe",
                on_subscribed, NULL, NULL);
        if (r < 0) {
                units_job_removed = sd_bus_slot_unref(units_job_removed);
                return log_error_errno(r, "Failed to subscribe to systemd's signals: %m");
        }
        *ret = units_bus = TAKE_PTR(bus);
        return 0;
}
