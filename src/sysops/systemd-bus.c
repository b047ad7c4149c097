/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the server's context: the unit tools' own system bus connection, opened lazily, and the unit policy. */
#include <systemd/sd-bus.h>

#include "log.h"
#include "mcp-bus.h"
#include "mcp-request.h"
#include "systemd-bus.h"

int sysops_context_init(SysopsContext *ctx) {
        *ctx = (SysopsContext){};
        return unit_policy_from_environment(&ctx->policy);
}

void sysops_context_done(SysopsContext *ctx) {
        ctx->job_removed = sd_bus_slot_unref(ctx->job_removed);
        ctx->bus = sd_bus_flush_close_unref(ctx->bus);
        ctx->policy = unit_policy_free(ctx->policy);
}

SysopsContext *sysops_context_of(McpRequest *req) {
        SysopsContext *ctx = mcp_server_get_userdata(mcp_request_get_server(req));
        assert(ctx);
        return ctx;
}

static int on_subscribed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e)
                log_warning("Failed to subscribe to systemd's signals, unit jobs will time out: %s",
                        strempty(e->message));
        return 0;
}

/* The engine gives handlers no bus connection, and a server may serve HTTP only: the unit tools open a
 * system bus connection of their own on first use, on the server's event loop, and keep it for the life of
 * the process (reopened if the bus dropped it). Being their own, it also keeps systemd's job signals, which
 * reach every subscribed connection, off the connection that serves MCP. */
int sysops_bus_get(SysopsContext *ctx, sd_event *event, sd_bus **ret) {
        if (ctx->bus && sd_bus_is_open(ctx->bus) > 0) {
                *ret = ctx->bus;
                return 0;
        }
        ctx->job_removed = sd_bus_slot_unref(ctx->job_removed);
        ctx->bus = sd_bus_flush_close_unref(ctx->bus);

        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r = bus_open_system_attached(event, &bus);
        if (r < 0) {
                /* Once, not on every call: a server run with --no-bus or without a bus says it at its first. */
                if (ctx->bus_failed)
                        return log_debug_errno(r, "Failed to connect to the system bus: %m");
                ctx->bus_failed = true;
                return log_warning_errno(r,
                        "Failed to connect to the system bus, the unit tools answer that they "
                        "cannot reach systemd: %m");
        }
        ctx->bus_failed = false;
        /* The match and Subscribe go out before any job is started on this connection, and the bus and
         * systemd handle one connection's messages in order: no JobRemoved can slip past. */
        r = sd_bus_match_signal_async(bus, &ctx->job_removed, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER,
                "JobRemoved", sysops_on_job_removed, NULL, ctx);
        if (r < 0)
                return log_error_errno(r, "Failed to watch systemd's jobs: %m");
        r = sd_bus_call_method_async(bus, NULL, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe",
                on_subscribed, NULL, NULL);
        if (r < 0) {
                ctx->job_removed = sd_bus_slot_unref(ctx->job_removed);
                return log_error_errno(r, "Failed to subscribe to systemd's signals: %m");
        }
        *ret = ctx->bus = TAKE_PTR(bus);
        return 0;
}
