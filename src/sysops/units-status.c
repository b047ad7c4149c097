/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: system_unit_status, a unit's properties and its last lines in the journal. */
#include <stdio.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "mcp-request.h"
#include "units-internal.h"

#define STATUS_LOG_LINES 20
#define LOG_MESSAGE_MAX 2048

/* What system_unit_status shows: the Unit interface, then the type's own (Service, Socket, Timer, ...). */
static const Property status_properties[] = { { "Id", "id" }, { "Names", "names" }, { "Description", "description" },
        { "LoadState", "load_state" }, { "ActiveState", "active_state" }, { "SubState", "sub_state" },
        { "UnitFileState", "unit_file_state" }, { "UnitFilePreset", "unit_file_preset" },
        { "FragmentPath", "fragment_path" }, { "DropInPaths", "drop_in_paths" }, { "Documentation", "documentation" },
        { "ActiveEnterTimestamp", "active_enter_timestamp", PROPERTY_TIMESTAMP },
        { "ActiveExitTimestamp", "active_exit_timestamp", PROPERTY_TIMESTAMP },
        { "InactiveEnterTimestamp", "inactive_enter_timestamp", PROPERTY_TIMESTAMP },
        { "StateChangeTimestamp", "state_change_timestamp", PROPERTY_TIMESTAMP }, { "CanStart", "can_start" },
        { "CanStop", "can_stop" }, { "CanReload", "can_reload" }, { "MainPID", "main_pid" },
        { "ExecMainStatus", "exec_main_status" },
        { "ExecMainStartTimestamp", "exec_main_start_timestamp", PROPERTY_TIMESTAMP }, { "Result", "result" },
        { "NRestarts", "n_restarts" }, { "MemoryCurrent", "memory_current_bytes", PROPERTY_COUNTER },
        { "CPUUsageNSec", "cpu_usage_nsec", PROPERTY_COUNTER }, { "TasksCurrent", "tasks_current", PROPERTY_COUNTER },
        { "NextElapseUSecRealtime", "next_elapse", PROPERTY_TIMESTAMP },
        { "LastTriggerUSec", "last_trigger", PROPERTY_TIMESTAMP }, { "What", "what" }, { "Where", "where" }, {} };

/* Adds the journal's data field (e.g. "MESSAGE") of the current entry to entry under key, if it is there. */
static int journal_field_add(sd_journal *j, const char *field, json_object *entry, const char *key, bool number) {
        const void *data;
        size_t length, prefix = strlen(field) + 1;
        int r = sd_journal_get_data(j, field, &data, &length);
        if (r == -ENOENT || r == -E2BIG || r == -EBADMSG)
                return 0;
        if (r < 0)
                return r;
        if (length < prefix)
                return 0;
        const char *value = (const char *) data + prefix;
        length -= prefix;
        if (number) {
                char text[24];
                if (length == 0 || length >= sizeof(text))
                        return 0;
                memcpy(text, value, length);
                text[length] = 0;
                char *end;
                long long n = strtoll(text, &end, 10);
                return *end ? 0 : json_add(entry, key, json_object_new_int64(n));
        }
        return json_add(entry, key, sysops_text_new(value, length, LOG_MESSAGE_MAX));
}

/* The unit's last lines in the journal, oldest first, as `journalctl -u` finds them: the unit's own output,
 * what systemd and systemd-coredump logged about it. Read at once: a bounded walk back from the end. */
static int unit_log_read(const char *unit, unsigned max, json_object **ret) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        int r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return r;
        (void) sd_journal_set_data_threshold(j, LOG_MESSAGE_MAX + 16);

        char own[UNIT_NAME_MAX + 32], by_systemd[UNIT_NAME_MAX + 32], object[UNIT_NAME_MAX + 32],
                coredump[UNIT_NAME_MAX + 32];
        snprintf(own, sizeof(own), "_SYSTEMD_UNIT=%s", unit);
        snprintf(by_systemd, sizeof(by_systemd), "UNIT=%s", unit);
        snprintf(object, sizeof(object), "OBJECT_SYSTEMD_UNIT=%s", unit);
        snprintf(coredump, sizeof(coredump), "COREDUMP_UNIT=%s", unit);
        if ((r = sd_journal_add_match(j, own, 0)) < 0 || (r = sd_journal_add_disjunction(j)) < 0 ||
                (r = sd_journal_add_match(j, by_systemd, 0)) < 0 || (r = sd_journal_add_match(j, "_PID=1", 0)) < 0 ||
                (r = sd_journal_add_disjunction(j)) < 0 || (r = sd_journal_add_match(j, object, 0)) < 0 ||
                (r = sd_journal_add_match(j, "_UID=0", 0)) < 0 || (r = sd_journal_add_disjunction(j)) < 0 ||
                (r = sd_journal_add_match(j, coredump, 0)) < 0 || (r = sd_journal_add_match(j, "_UID=0", 0)) < 0)
                return r;
        r = sd_journal_seek_tail(j);
        if (r < 0)
                return r;

        _cleanup_json_ json_object *newest_first = json_object_new_array();
        if (!newest_first)
                return -ENOMEM;
        for (unsigned n = 0; n < max; n++) {
                r = sd_journal_previous(j);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                uint64_t usec;
                json_object *entry = json_object_new_object();
                if (sysops_json_add_item(newest_first, entry) < 0)
                        return -ENOMEM;
                if (sd_journal_get_realtime_usec(j, &usec) >= 0 &&
                        json_add(entry, "timestamp", sysops_timestamp_new(usec)) < 0)
                        return -ENOMEM;
                if ((r = journal_field_add(j, "PRIORITY", entry, "priority", true)) < 0 ||
                        (r = journal_field_add(j, "_PID", entry, "pid", true)) < 0 ||
                        (r = journal_field_add(j, "MESSAGE", entry, "message", false)) < 0)
                        return r;
        }

        size_t n = json_object_array_length(newest_first);
        _cleanup_json_ json_object *lines = json_object_new_array_ext((int) n);
        if (!lines)
                return -ENOMEM;
        for (size_t i = n; i > 0; i--)
                if (sysops_json_add_item(lines, json_object_get(json_object_array_get_idx(newest_first, i - 1))) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(lines);
        return 0;
}

static int on_status_type_properties(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        int r;

        /* The type's properties add to the answer; without them it is still worth giving. */
        const sd_bus_error *e = m ? sd_bus_message_get_error(m) : NULL;
        if (e)
                log_debug("Failed to read the properties of %s's type: %s", c->unit, strempty(e->message));
        else if (m && (r = sysops_properties_read(m, status_properties, c->result)) < 0)
                log_debug_errno(r, "Failed to read the properties of %s's type: %m", c->unit);

        const char *id = json_get_string(c->result, "id") ?: c->unit;
        json_object *log = NULL;
        r = unit_log_read(id, STATUS_LOG_LINES, &log);
        if (r < 0) {
                log_debug_errno(r, "Failed to read the journal for %s: %m", id);
                if (json_add_string(c->result, "log_error", strerror(-r)) < 0) {
                        unit_call_fail(c, "Out of memory.");
                        return 0;
                }
                log = json_object_new_array();
        }
        if (json_add(c->result, "log", log) < 0) {
                unit_call_fail(c, "Out of memory.");
                return 0;
        }
        unit_call_finish(c, false, NULL);
        return 0;
}

static int on_status_unit_properties(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e) {
                unit_call_fail_bus(c, e, "read the unit's properties");
                return 0;
        }
        int r = sysops_properties_read(m, status_properties, c->result);
        if (r < 0) {
                unit_call_fail(c, "Failed to read the properties of %s: %s", c->unit, strerror(-r));
                return 0;
        }
        if (unit_is_unknown(c->result)) {
                unit_call_fail(c, "No unit %s is loaded or known.", c->unit);
                return 0;
        }

        const char *id = json_get_string(c->result, "id") ?: c->unit;
        int type = unit_type_of(id);
        if (type < 0 || !unit_types[type].interface)
                return on_status_type_properties(NULL, c, NULL);
        unit_call_check(c,
                sysops_systemd_call(c, c->unit_path, PROPERTIES, "GetAll", on_status_type_properties, 0, "s",
                        unit_types[type].interface));
        return 0;
}

static int on_status_loaded(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        unit_call_loaded(userdata, m, on_status_unit_properties);
        return 0;
}

int tool_unit_status(McpRequest *req, json_object *args) {
        const char *unit = json_get_string(args, "unit");
        const char *why = unit_name_invalid(unit);
        if (why)
                return mcp_request_reply_tool_error(req, "Invalid unit name \"%s\": %s.", unit, why);

        _cleanup_(unit_call_freep) UnitCall *c = NULL;
        int r = unit_call_new(req, unit, &c);
        if (r <= 0)
                return r;
        /* LoadUnit rather than GetUnit: a unit that is not loaded right now (a stopped service nothing
         * refers to) is loaded from its file, as systemctl status does. */
        r = sysops_systemd_call(c, SYSTEMD_PATH, SYSTEMD_MANAGER, "LoadUnit", on_status_loaded, 0, "s", unit);
        if (r < 0)
                return r;
        TAKE_PTR(c);
        return 0;
}
