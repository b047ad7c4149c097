/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: system_units, systemd's ListUnitsByPatterns sorted and cut to a limit. */
#include <stdio.h>

#include "mcp-request.h"
#include "units-internal.h"

static int unit_entry_compare(const void *a, const void *b) {
        json_object *const *x = a, *const *y = b;
        return strcmp(strempty(json_get_string(*x, "name")), strempty(json_get_string(*y, "name")));
}

static int list_read(UnitCall *c, sd_bus_message *m, json_object *all) {
        int r = sd_bus_message_enter_container(m, 'a', "(ssssssouso)");
        if (r < 0)
                return r;
        for (;;) {
                const char *name, *description, *load, *active, *sub, *following, *path, *job_type, *job_path;
                uint32_t job_id;
                r = sd_bus_message_read(m, "(ssssssouso)", &name, &description, &load, &active, &sub, &following, &path,
                        &job_id, &job_type, &job_path);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (c->type) {
                        const char *dot = strrchr(name, '.');
                        if (!dot || !streq(dot + 1, c->type))
                                continue;
                }
                json_object *u = json_object_new_object();
                if (sysops_json_add_item(all, u) < 0)
                        return -ENOMEM;
                if (json_add_string(u, "name", name) < 0 || json_add_string(u, "description", description) < 0 ||
                        json_add_string(u, "load_state", load) < 0 || json_add_string(u, "active_state", active) < 0 ||
                        json_add_string(u, "sub_state", sub) < 0)
                        return -ENOMEM;
        }
        return sd_bus_message_exit_container(m);
}

static int on_units_listed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e) {
                unit_call_fail_bus(c, e, "list the units");
                return 0;
        }

        _cleanup_json_ json_object *all = json_object_new_array();
        if (!all) {
                unit_call_fail(c, "Out of memory.");
                return 0;
        }
        int r = list_read(c, m, all);
        if (r < 0) {
                unit_call_fail(c, "Failed to read systemd's list of units: %s", strerror(-r));
                return 0;
        }

        json_object_array_sort(all, unit_entry_compare);
        size_t total = json_object_array_length(all), n = MIN(total, c->limit);
        _cleanup_json_ json_object *units = json_object_new_array_ext((int) n);
        bool ok = units;
        for (size_t i = 0; ok && i < n; i++)
                ok = sysops_json_add_item(units, json_object_get(json_object_array_get_idx(all, i))) >= 0;
        if (!ok || json_add(c->result, "units", TAKE_PTR(units)) < 0 ||
                json_add(c->result, "total", json_object_new_uint64(total)) < 0 ||
                json_add(c->result, "truncated", json_object_new_boolean(total > c->limit)) < 0) {
                unit_call_fail(c, "Out of memory.");
                return 0;
        }
        unit_call_finish(c, false, NULL);
        return 0;
}

int tool_units(McpRequest *req, json_object *args) {
        const char *pattern = json_get_string(args, "pattern");
        const char *type = json_get_string(args, "type");
        const char *state = json_get_string(args, "state");
        json_object *limit = NULL;
        json_object_object_get_ex(args, "limit", &limit);

        const char *why = pattern ? unit_pattern_invalid(pattern) : NULL;
        if (why)
                return mcp_request_reply_tool_error(req, "Invalid pattern \"%s\": %s.", pattern, why);

        _cleanup_(unit_call_freep) UnitCall *c = NULL;
        int r = unit_call_new(req, NULL, &c);
        if (r <= 0)
                return r;
        c->limit = limit ? (size_t) json_object_get_int64(limit) : 200;
        c->type = type; /* lives in the request's arguments */

        /* systemd matches states against the load, active and sub state alike, and patterns against names. */
        const char *states[] = { state, NULL };
        char type_pattern[32];
        const char *patterns[] = { pattern, NULL };
        if (!pattern && type) {
                snprintf(type_pattern, sizeof(type_pattern), "*.%s", type);
                patterns[0] = type_pattern;
        }

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        r = sd_bus_message_new_method_call(c->bus, &m, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER,
                "ListUnitsByPatterns");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, state ? (char **) states : NULL);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, patterns[0] ? (char **) patterns : NULL);
        if (r >= 0)
                r = sd_bus_call_async(c->bus, &c->slot, m, on_units_listed, c, 0);
        if (r < 0)
                return r;
        TAKE_PTR(c);
        return 0;
}
