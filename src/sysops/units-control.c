/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: system_unit_control: start, stop, restart, reload through a job and wait for its end; enable, disable.
 */
#include <stdio.h>

#include "log.h"
#include "mcp-request.h"
#include "units-internal.h"
#include "units-walk.h"

#define CONTROL_TIMEOUT_SEC_DEFAULT 60
/* Reloading systemd (after enable, disable) can take long on a large system. */
#define DAEMON_RELOAD_USEC (90 * USEC_PER_SEC)

const UnitActionInfo unit_actions[] = {
        [ACTION_START] = { "start", "StartUnit" },
        [ACTION_STOP] = { "stop", "StopUnit" },
        [ACTION_RESTART] = { "restart", "RestartUnit" },
        [ACTION_RELOAD] = { "reload", "ReloadUnit" },
        [ACTION_ENABLE] = { "enable", "EnableUnitFiles" },
        [ACTION_DISABLE] = { "disable", "DisableUnitFiles" },
};

static const Property state_properties[] = { { "ActiveState", "active_state" }, { "SubState", "sub_state" }, {} };

static int on_control_state(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        /* The state after the job is a courtesy: the job's result is the answer. */
        if (!sd_bus_message_is_method_error(m, NULL))
                (void) sysops_properties_read(m, state_properties, c->result);

        const char *result = json_get_string(c->result, "result");
        bool done = streq_ptr(result, "done");
        _cleanup_free_ char *note = NULL;
        if (!done &&
                asprintf(&note,
                        "The %s job for %s ended with the result \"%s\"%s. system_unit_status shows its state and log.",
                        unit_actions[c->action].name, c->unit, strempty(result),
                        streq_ptr(result, "dependency") ? " (a unit it depends on failed)" : "") < 0)
                note = NULL;
        unit_call_finish(c, !done, note);
        return 0;
}

static void on_job_done(UnitCall *c, const char *result) {
        unit_call_unwait(c);
        c->timeout = sd_event_source_disable_unref(c->timeout);
        if (json_add_string(c->result, "result", result) < 0) {
                unit_call_fail(c, "Out of memory.");
                return;
        }
        unit_call_check(c,
                sysops_systemd_call(c, c->unit_path, PROPERTIES, "GetAll", on_control_state, 0, "s", SYSTEMD_UNIT));
}

int sysops_on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SysopsContext *ctx = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        for (UnitCall *c = ctx->waiting; c; c = c->waiting_next)
                if (streq_ptr(c->job_path, path)) {
                        on_job_done(c, result);
                        break;
                }
        return 0;
}

static int on_control_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        UnitCall *c = userdata;
        unsigned sec = (unsigned) (c->timeout_usec / USEC_PER_SEC);
        if (c->job_path)
                unit_call_fail(c,
                        "The %s job for %s did not finish within %u s. It is still queued or running in systemd (%s): "
                        "system_unit_status shows how it goes on.",
                        unit_actions[c->action].name, c->unit, sec, c->job_path);
        else
                unit_call_fail(c, "systemd did not answer within %u s.", sec);
        return 0;
}

/* systemd refused the action itself: the error names the action and the unit. */
static void fail_action(UnitCall *c, const sd_bus_error *e) {
        char what[UNIT_NAME_MAX + 16];
        snprintf(what, sizeof(what), "%s %s", unit_actions[c->action].name, c->unit);
        unit_call_fail_bus(c, e, what);
}

static int on_job_queued(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e) {
                fail_action(c, e);
                return 0;
        }
        const char *path;
        int r = sd_bus_message_read(m, "o", &path);
        if (r < 0 || !(c->job_path = strdup(path))) {
                unit_call_fail(c, "Failed to read systemd's answer: %s", strerror(r < 0 ? -r : ENOMEM));
                return 0;
        }
        if (json_add_string(c->result, "job", path) < 0) {
                unit_call_fail(c, "Out of memory.");
                return 0;
        }
        /* systemd answers before it runs the job, so JobRemoved comes after this. */
        c->waiting_next = c->ctx->waiting;
        if (c->ctx->waiting)
                c->ctx->waiting->waiting_prev = c;
        c->ctx->waiting = c;
        c->waiting = true;
        return 0;
}

static int changes_read(sd_bus_message *m, json_object *into) {
        _cleanup_json_ json_object *changes = json_object_new_array();
        if (!changes)
                return -ENOMEM;
        int r = sd_bus_message_enter_container(m, 'a', "(sss)");
        if (r < 0)
                return r;
        const char *type, *file, *destination;
        while ((r = sd_bus_message_read(m, "(sss)", &type, &file, &destination)) > 0) {
                json_object *change = json_object_new_object();
                if (sysops_json_add_item(changes, change) < 0)
                        return -ENOMEM;
                if (json_add_string(change, "type", type) < 0 || json_add_string(change, "file", file) < 0 ||
                        (!isempty(destination) && json_add_string(change, "destination", destination) < 0))
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        return json_add(into, "changes", TAKE_PTR(changes));
}

static int on_daemon_reloaded(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e) {
                unit_call_fail_bus(c, e, "reload systemd after changing the unit files (they are changed)");
                return 0;
        }
        if (json_add_string(c->result, "result", "done") < 0) {
                unit_call_fail(c, "Out of memory.");
                return 0;
        }
        unit_call_finish(c, false, NULL);
        return 0;
}

static int on_refused_change_undone(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *why = json_get_string(c->result, "refused");
        unit_call_fail(c, "Refused to %s %s: it changed the links of another unit, %s%s, and %s",
                unit_actions[c->action].name, c->unit, strempty(why), e ? "" : "; the change was undone",
                e ? "undoing it failed: the unit files need an administrator (systemctl list-unit-files)."
                  : "systemd was not reloaded, so nothing else changed.");
        return 0;
}

/* Enable reached a unit it may not (an Also= unit, an Alias= name): disable the unit again; disable did: enable
 * the other unit again. systemd is not reloaded in between, so nothing ran with the change. */
static void undo_refused_change(UnitCall *c, const char *other, const char *why) {
        _cleanup_free_ char *text = NULL;
        if (asprintf(&text, "%s, which %s", other, why) < 0 || json_add_string(c->result, "refused", text) < 0) {
                unit_call_fail(c, "Out of memory.");
                return;
        }
        int r;
        if (c->action == ACTION_ENABLE)
                r = sysops_systemd_call(c, SYSTEMD_PATH, SYSTEMD_MANAGER, "DisableUnitFiles", on_refused_change_undone,
                        0, "asb", 1, c->unit, false);
        else
                r = sysops_systemd_call(c, SYSTEMD_PATH, SYSTEMD_MANAGER, "EnableUnitFiles", on_refused_change_undone,
                        0, "asbb", 1, other, false, false);
        unit_call_check(c, r);
}

static int on_unit_files_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e) {
                fail_action(c, e);
                return 0;
        }
        int install_info = true, r = 0;
        if (c->action == ACTION_ENABLE)
                r = sd_bus_message_read(m, "b", &install_info);
        if (r >= 0)
                r = changes_read(m, c->result);
        if (r < 0) {
                unit_call_fail(c, "Failed to read systemd's answer: %s", strerror(-r));
                return 0;
        }

        /* systemd cannot be asked what enable or disable would do before it does it: what it did is checked,
         * and undone when it reached a unit the policy refuses (an Also= or Alias= in the unit's [Install]). */
        const char *why = NULL;
        const char *other = unit_policy_changes_refusal(c->ctx->policy, json_get_array(c->result, "changes"), &why);
        if (other) {
                undo_refused_change(c, other, why);
                return 0;
        }

        if (json_object_array_length(json_get_array(c->result, "changes")) == 0) {
                if (json_add_string(c->result, "result", "done") < 0) {
                        unit_call_fail(c, "Out of memory.");
                        return 0;
                }
                unit_call_finish(c, false,
                        install_info ? "Nothing to change: the unit files were already so."
                                     : "Nothing to change: the unit has no [Install] section, so it cannot be "
                                       "enabled; it starts when another unit or a socket, timer or path pulls it in.");
                return 0;
        }
        unit_call_check(c,
                sysops_systemd_call(c, SYSTEMD_PATH, SYSTEMD_MANAGER, "Reload", on_daemon_reloaded, DAEMON_RELOAD_USEC,
                        NULL));
        return 0;
}

/* Every unit the action would change is allowed: act, on the unit's canonical name, which is what was checked. */
static void control_act(UnitCall *c) {
        const char *id = unit_walk_id(c->walk) ?: c->unit;
        log_debug("%s %s: none of the %zu units it reaches is refused.", unit_actions[c->action].name, id,
                unit_walk_size(c->walk));
        int r = sd_bus_path_encode(SYSTEMD_UNIT_PATH_PREFIX, id, &c->unit_path);
        if (r < 0) {
                unit_call_check(c, r);
                return;
        }
        if (json_add_string(c->result, "unit", id) < 0 ||
                json_add_string(c->result, "action", unit_actions[c->action].name) < 0) {
                unit_call_fail(c, "Out of memory.");
                return;
        }
        switch (c->action) {
        case ACTION_ENABLE:
                r = sysops_systemd_call(c, SYSTEMD_PATH, SYSTEMD_MANAGER, "EnableUnitFiles", on_unit_files_changed, 0,
                        "asbb", 1, id, false, false);
                break;
        case ACTION_DISABLE:
                r = sysops_systemd_call(c, SYSTEMD_PATH, SYSTEMD_MANAGER, "DisableUnitFiles", on_unit_files_changed, 0,
                        "asb", 1, id, false);
                break;
        default:
                r = sysops_systemd_call(c, SYSTEMD_PATH, SYSTEMD_MANAGER, unit_actions[c->action].method, on_job_queued,
                        0, "ss", id, "replace");
        }
        unit_call_check(c, r);
}

static void control_refuse(UnitCall *c) {
        _cleanup_free_ char *why = unit_walk_refusal(c->walk);
        unit_call_fail(c,
                "Refused to %s %s: %s. aios-sysopsd never touches the units the host needs to be reached and "
                "administered, nor those that end, suspend or isolate the system, nor aios itself, nor what an action "
                "on another unit would change of them (the protected units; AIOS_SYSOPS_PROTECTED_UNITS adds to "
                "them, AIOS_SYSOPS_CONTROLLABLE_UNITS limits what may be touched at all).",
                unit_actions[c->action].name, c->unit, why ?: "out of memory");
}

static int on_walk_properties(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

/* Asks systemd for the properties of the units the walk still needs, a few at once; decides when it has all. */
static void control_walk(UnitCall *c) {
        FOREACH_ELEMENT(q, c->queries) {
                if (q->slot)
                        continue;
                const char *name = unit_walk_next(c->walk);
                if (!name)
                        break;
                _cleanup_free_ char *path = NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                int r = sd_bus_path_encode(SYSTEMD_UNIT_PATH_PREFIX, name, &path);
                if (r >= 0)
                        r = sd_bus_message_new_method_call(c->bus, &m, SYSTEMD_SERVICE, path, PROPERTIES, "GetAll");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", SYSTEMD_UNIT);
                if (r >= 0)
                        r = sd_bus_call_async(c->bus, &q->slot, m, on_walk_properties, q, 0);
                if (r < 0) {
                        unit_call_check(c, r);
                        return;
                }
                q->call = c;
                q->name = name;
        }
        if (unit_walk_refused(c->walk)) {
                control_refuse(c);
                return;
        }
        FOREACH_ELEMENT(q, c->queries)
        if (q->slot)
                return;
        if (unit_walk_done(c->walk))
                control_act(c);
}

static int on_walk_properties(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitQuery *q = userdata;
        UnitCall *c = q->call;
        const char *name = q->name;
        q->slot = sd_bus_slot_unref(q->slot);
        q->name = NULL;

        /* Deciding on part of what would change is not deciding: a unit that cannot be read stops the action. */
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e) {
                char what[2 * UNIT_NAME_MAX + 64];
                snprintf(what, sizeof(what), "read the properties of %s, which to %s %s would reach", name,
                        unit_actions[c->action].name, c->unit);
                unit_call_fail_bus(c, e, what);
                return 0;
        }
        _cleanup_json_ json_object *properties = json_object_new_object();
        if (!properties) {
                unit_call_fail(c, "Out of memory.");
                return 0;
        }
        int r = sysops_properties_read(m, unit_walk_properties, properties);
        if (r < 0) {
                unit_call_fail(c, "Failed to read the properties of %s: %s", name, strerror(-r));
                return 0;
        }
        if (streq(name, c->unit) && unit_is_unknown(properties)) {
                unit_call_fail(c, "No unit %s is loaded or known.", c->unit);
                return 0;
        }
        r = unit_walk_add(c->walk, name, properties);
        if (r < 0) {
                unit_call_check(c, r);
                return 0;
        }
        /* polkit was asked about the name as typed: only a unit's own name gets further, so that a rule that
         * names a unit cannot be passed by one of its aliases. */
        const char *id = json_get_string(properties, "id");
        if (streq(name, c->unit) && !unit_walk_refused(c->walk) && id && !streq(id, c->unit)) {
                unit_call_fail(c,
                        "%s is another name of %s: system_unit_control acts on a unit by its own name, "
                        "which polkit rules name. Call it with \"unit\": \"%s\".",
                        c->unit, id, id);
                return 0;
        }
        control_walk(c);
        return 0;
}

int tool_unit_control(McpRequest *req, json_object *args) {
        const char *unit = json_get_string(args, "unit");
        const char *action = json_get_string(args, "action");
        json_object *timeout = NULL;
        json_object_object_get_ex(args, "timeout_sec", &timeout);

        const char *why = unit_name_invalid(unit);
        if (why)
                return mcp_request_reply_tool_error(req, "Invalid unit name \"%s\": %s.", unit, why);

        _cleanup_(unit_call_freep) UnitCall *c = NULL;
        int r = unit_call_new(req, unit, &c);
        if (r <= 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(unit_actions); i++)
                if (streq(action, unit_actions[i].name))
                        c->action = (UnitAction) i;
        c->timeout_usec =
                (timeout ? (uint64_t) json_object_get_int64(timeout) : CONTROL_TIMEOUT_SEC_DEFAULT) * USEC_PER_SEC;

        /* The whole call, lookup and job, has timeout_sec. */
        r = sd_event_add_time_relative(mcp_request_get_event(req), &c->timeout, CLOCK_MONOTONIC, c->timeout_usec, 0,
                on_control_timeout, c);
        if (r < 0)
                return r;
        r = unit_walk_new(c->ctx->policy, c->action, c->unit, &c->walk);
        if (r < 0)
                return r;
        control_walk(TAKE_PTR(c));
        return 0;
}
