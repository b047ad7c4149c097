/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: one unit tool call to systemd, from the handler to the answer. */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"
#include "mcp-content.h"
#include "mcp-request.h"
#include "units-internal.h"
#include "units-walk.h"

void unit_call_unwait(UnitCall *c) {
        if (!c->waiting)
                return;
        if (c->waiting_prev)
                c->waiting_prev->waiting_next = c->waiting_next;
        else
                c->ctx->waiting = c->waiting_next;
        if (c->waiting_next)
                c->waiting_next->waiting_prev = c->waiting_prev;
        c->waiting_next = c->waiting_prev = NULL;
        c->waiting = false;
}

void unit_call_free(UnitCall *c) {
        if (!c)
                return;
        mcp_request_on_cancel(c->req, NULL, NULL);
        unit_call_unwait(c);
        sd_bus_slot_unref(c->slot);
        FOREACH_ELEMENT(q, c->queries)
        sd_bus_slot_unref(q->slot);
        unit_walk_free(c->walk);
        sd_event_source_disable_unref(c->timeout);
        sd_bus_unref(c->bus);
        mcp_request_unref(c->req);
        json_object_put(c->result);
        free(c->unit);
        free(c->unit_path);
        free(c->job_path);
        free(c);
}

/* The client went away, cancelled, or the gateway gave up on the call: the call to systemd is dropped, and a
 * job it queued is cancelled, so that work the client was told nothing about does not go on silently. A job
 * already running is taken out of the queue, but what it started (a process) goes on, as with systemctl
 * cancel; so does a job systemd has not named yet (its StartUnit call still out). */
static void on_cancel(McpRequest *req, void *userdata) {
        UnitCall *c = userdata;
        if (c->waiting && c->job_path) {
                int r = sd_bus_call_method_async(c->bus, NULL, "org.freedesktop.systemd1", c->job_path,
                        "org.freedesktop.systemd1.Job", "Cancel", NULL, NULL, NULL);
                if (r < 0)
                        log_warning_errno(r, "Failed to cancel the job %s of a cancelled call: %m", c->job_path);
                else
                        log_info("Cancelled the job %s (%s of %s): its call was cancelled.", c->job_path,
                                unit_actions[c->action].name, strempty(c->unit));
        }
        unit_call_free(c);
}

/* Returns 1 with the call in *ret, 0 when the request was answered already (no bus), or a negative errno. */
int unit_call_new(McpRequest *req, const char *unit, UnitCall **ret) {
        SysopsContext *ctx = sysops_context_of(req);
        sd_bus *bus = NULL;
        int r = sysops_bus_get(ctx, mcp_request_get_event(req), &bus);
        if (r < 0)
                return mcp_request_reply_tool_error(req,
                        "Cannot reach systemd: failed to connect to the system bus: %s", strerror(-r));

        _cleanup_(unit_call_freep) UnitCall *c = new0(UnitCall, 1);
        if (!c)
                return -ENOMEM;
        c->req = mcp_request_ref(req);
        c->ctx = ctx;
        c->bus = sd_bus_ref(bus);
        if (unit && !(c->unit = strdup(unit)))
                return -ENOMEM;
        c->result = json_object_new_object();
        if (!c->result)
                return -ENOMEM;
        mcp_request_on_cancel(req, on_cancel, c);
        *ret = TAKE_PTR(c);
        return 1;
}

/* Answers with a tool error and ends the call. */
_printf_(2, 3) void unit_call_fail(UnitCall *c, const char *format, ...) {
        _cleanup_free_ char *text = NULL;
        va_list ap;
        va_start(ap, format);
        int r = vasprintf(&text, format, ap);
        va_end(ap);
        if (r < 0)
                (void) mcp_request_reply_tool_error(c->req, "Out of memory.");
        else
                (void) mcp_request_reply_tool_error(c->req, "%s", text);
        unit_call_free(c);
}

/* Answers with the result built so far (as structuredContent and as its JSON text), and ends the call. */
void unit_call_finish(UnitCall *c, bool is_error, const char *note) {
        json_object *result = TAKE_PTR(c->result);
        json_object *text = mcp_content_text(json_to_string(result));
        json_object *content = note ? JSON_ARRAY(text, mcp_content_text(note)) : JSON_ARRAY(text);
        (void) mcp_request_reply_content(c->req, content, result, is_error);
        unit_call_free(c);
}

/* What a failed call to systemd tells the caller. */
void unit_call_fail_bus(UnitCall *c, const sd_bus_error *e, const char *what) {
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                unit_call_fail(c,
                        "Cannot reach systemd on the system bus (%s): this tool needs a host booted "
                        "with systemd.",
                        strempty(e->message));
        else if (sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED) ||
                sd_bus_error_has_name(e, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
                unit_call_fail(c,
                        "systemd refused to %s: %s. systemd checks the server's own user with polkit; a rule must "
                        "allow it (polkit/50-aios.rules).",
                        what, strempty(e->message));
        else if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit"))
                unit_call_fail(c, "No unit %s is loaded or known.", strempty(c->unit));
        else
                unit_call_fail(c, "Failed to %s: %s", what, strempty(e->message));
}

/* Calls a method of systemd. Interactive authorization stays off: systemd's polkit check is for the
 * server's user, for whom nobody can type a password; the caller's own check came before the tool ran. */
int sysops_systemd_call(UnitCall *c, const char *path, const char *interface, const char *method,
        sd_bus_message_handler_t callback, uint64_t usec, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(c->bus, &m, SYSTEMD_SERVICE, path, interface, method);
        if (r < 0)
                return r;
        r = sd_bus_message_set_allow_interactive_authorization(m, false);
        if (r < 0)
                return r;
        if (types) {
                va_list ap;
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0)
                        return r;
        }
        c->slot = sd_bus_slot_unref(c->slot);
        return sd_bus_call_async(c->bus, &c->slot, m, callback, c, usec);
}

/* Ends the call with a tool error when its next step, a call to systemd, could not be made. */
void unit_call_check(UnitCall *c, int r) {
        if (r < 0)
                unit_call_fail(c, "Failed to call systemd: %s", strerror(-r));
}

/* LoadUnit's answer, for status and control: the unit's object path, then its properties. */
static int unit_path_read(UnitCall *c, sd_bus_message *m) {
        const char *path;
        int r = sd_bus_message_read(m, "o", &path);
        if (r < 0)
                return r;
        c->unit_path = strdup(path);
        return c->unit_path ? 0 : -ENOMEM;
}

void unit_call_loaded(UnitCall *c, sd_bus_message *m, sd_bus_message_handler_t next) {
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e) {
                unit_call_fail_bus(c, e, "look up the unit");
                return;
        }
        int r = unit_path_read(c, m);
        if (r < 0) {
                unit_call_fail(c, "Failed to read systemd's answer: %s", strerror(-r));
                return;
        }
        unit_call_check(c, sysops_systemd_call(c, c->unit_path, PROPERTIES, "GetAll", next, 0, "s", SYSTEMD_UNIT));
}
