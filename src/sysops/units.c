/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: systemd's units through org.freedesktop.systemd1: list, show, start, stop, enable, disable. */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "mcp-bus.h"
#include "mcp-content.h"
#include "mcp-request.h"
#include "sysops.h"

#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define SYSTEMD_UNIT "org.freedesktop.systemd1.Unit"
#define PROPERTIES "org.freedesktop.DBus.Properties"

#define UNIT_NAME_MAX 255 /* systemd's UNIT_NAME_MAX, without the NUL */
#define UNIT_NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:-_.\\@"
#define PATTERN_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@._:*?[]-"
#define STATUS_LOG_LINES 20
#define LOG_MESSAGE_MAX 2048
#define CONTROL_TIMEOUT_SEC_DEFAULT 60
/* Reloading systemd (after enable, disable) can take long on a large system. */
#define DAEMON_RELOAD_USEC (90 * USEC_PER_SEC)

/* What may never be stopped, restarted or disabled through system_unit_control, by default: what the host
 * needs to be reached and administered (the bus, the journal, logind, polkit, sshd, the network), and aios
 * itself. $AIOS_SYSOPS_PROTECTED_UNITS, a space-separated list of unit names or globs, replaces this list
 * when it is set (empty: nothing is protected); an administrator who sets it lists aios's own units too. */
static const char *const protected_units_default[] = {
        "dbus.service",
        "dbus.socket",
        "dbus-broker.service",
        "systemd-journald.service",
        "systemd-journald.socket",
        "systemd-logind.service",
        "polkit.service",
        "ssh.service",
        "sshd.service",
        "systemd-networkd.service",
        "init.scope",
        "-.slice",
        "aios-*.service",
        "aios-*.socket",
        "aios.target",
};

/* Units whose start ends or isolates the running system, stopping every protected unit with it: never
 * started, whatever the protected list says. */
static const char *const system_state_units[] = {
        "poweroff.target",
        "reboot.target",
        "halt.target",
        "kexec.target",
        "soft-reboot.target",
        "shutdown.target",
        "rescue.target",
        "emergency.target",
        "exit.target",
        "final.target",
        "ctrl-alt-del.target",
        "systemd-poweroff.service",
        "systemd-reboot.service",
        "systemd-halt.service",
        "systemd-kexec.service",
        "systemd-soft-reboot.service",
        "systemd-exit.service",
        "rescue.service",
        "emergency.service",
};

/* The unit types, with the D-Bus interface of each type's own properties. */
static const struct {
        const char *suffix;
        const char *interface;
} unit_types[] = {
        { "service", "org.freedesktop.systemd1.Service" },
        { "socket", "org.freedesktop.systemd1.Socket" },
        { "timer", "org.freedesktop.systemd1.Timer" },
        { "target", NULL }, /* no properties of its own */
        { "mount", "org.freedesktop.systemd1.Mount" },
        { "path", "org.freedesktop.systemd1.Path" },
        { "slice", "org.freedesktop.systemd1.Slice" },
        { "scope", "org.freedesktop.systemd1.Scope" },
        { "device", NULL },
        { "swap", "org.freedesktop.systemd1.Swap" },
        { "automount", "org.freedesktop.systemd1.Automount" },
};

/* --- names ----------------------------------------------------------------------------------------- */

/* The index of the type of unit name in unit_types[], or -1. */
static int unit_type_of(const char *name) {
        const char *dot = strrchr(name, '.');
        if (!dot)
                return -1;
        for (size_t i = 0; i < ELEMENTSOF(unit_types); i++)
                if (streq(dot + 1, unit_types[i].suffix))
                        return (int) i;
        return -1;
}

/* Why name is not a unit name systemd would take, or NULL when it is one. */
static const char *unit_name_invalid(const char *name) {
        size_t n = strlen(name);
        if (n == 0 || n > UNIT_NAME_MAX)
                return "a unit name has 1 to 255 characters";
        if (strspn(name, UNIT_NAME_CHARS) != n)
                return "a unit name has only letters, digits and \":-_.\\@\"";
        const char *dot = strrchr(name, '.');
        if (!dot || dot == name || unit_type_of(name) < 0)
                return "a unit name ends in its type: .service, .socket, .timer, .target, .mount, .path, .slice, "
                       ".scope, .device, .swap or .automount (e.g. \"ssh.service\")";
        const char *at = strchr(name, '@');
        if (at && (at == name || strchr(at + 1, '@')))
                return "a unit name has at most one \"@\", after a prefix (\"getty@tty1.service\")";
        return NULL;
}

/* Why pattern is not a glob for unit names, or NULL. Its characters were checked by the schema. */
static const char *pattern_invalid(const char *pattern) {
        if (strspn(pattern, PATTERN_CHARS) != strlen(pattern))
                return "a pattern has only letters, digits and \"@._:-\", and the glob characters \"*?[]\"";
        bool open = false;
        for (const char *p = pattern; *p; p++)
                if (*p == '[') {
                        if (open)
                                return "a \"[\" opens a set that has not been closed";
                        open = true;
                        if (p[1] == ']')
                                return "\"[]\" is an empty set";
                } else if (*p == ']') {
                        if (!open)
                                return "a \"]\" closes a set that was not opened";
                        open = false;
                }
        return open ? "a \"[\" opens a set that is never closed" : NULL;
}

static bool name_in(const char *name, const char *const *patterns, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (fnmatch(patterns[i], name, 0) == 0)
                        return true;
        return false;
}

static bool unit_is_protected(const char *name) {
        const char *list = getenv("AIOS_SYSOPS_PROTECTED_UNITS");
        if (!list)
                return name_in(name, protected_units_default, ELEMENTSOF(protected_units_default));

        for (const char *p = list;;) {
                p += strspn(p, " \t\n");
                size_t n = strcspn(p, " \t\n");
                if (n == 0)
                        return false;
                char pattern[UNIT_NAME_MAX + 1];
                if (n < sizeof(pattern)) {
                        memcpy(pattern, p, n);
                        pattern[n] = 0;
                        if (fnmatch(pattern, name, 0) == 0)
                                return true;
                }
                p += n;
        }
}

/* The first of the unit names in the array (or NULL) that is protected, or NULL. */
static const char *first_protected(json_object *names) {
        size_t n = names && json_object_is_type(names, json_type_array) ? json_object_array_length(names) : 0;
        for (size_t i = 0; i < n; i++) {
                const char *name = json_object_get_string(json_object_array_get_idx(names, i));
                if (name && unit_is_protected(name))
                        return name;
        }
        return NULL;
}

/* The first of the unit names in the array that ends or isolates the system, or NULL. */
static const char *first_system_state(json_object *names) {
        size_t n = names && json_object_is_type(names, json_type_array) ? json_object_array_length(names) : 0;
        for (size_t i = 0; i < n; i++) {
                const char *name = json_object_get_string(json_object_array_get_idx(names, i));
                if (name && name_in(name, system_state_units, ELEMENTSOF(system_state_units)))
                        return name;
        }
        return NULL;
}

/* --- values ---------------------------------------------------------------------------------------- */

/* Microseconds since the epoch as RFC 3339 UTC text. */
static json_object *timestamp_new(uint64_t usec) {
        time_t sec = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;
        char text[64];
        if (!gmtime_r(&sec, &tm) || strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
                return json_object_new_uint64(usec);
        size_t n = strlen(text);
        snprintf(text + n, sizeof(text) - n, ".%06lluZ", (unsigned long long) (usec % USEC_PER_SEC));
        return json_object_new_string(text);
}

/* The length of the valid UTF-8 sequence at p (n bytes left), or 0 when there is none (NUL counts as none). */
static size_t utf8_sequence_length(const unsigned char *p, size_t n) {
        static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
        size_t len;
        uint32_t c;

        if (p[0] < 0x80)
                return p[0] ? 1 : 0;
        if ((p[0] & 0xe0) == 0xc0) {
                len = 2;
                c = p[0] & 0x1f;
        } else if ((p[0] & 0xf0) == 0xe0) {
                len = 3;
                c = p[0] & 0x0f;
        } else if ((p[0] & 0xf8) == 0xf0) {
                len = 4;
                c = p[0] & 0x07;
        } else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                c = c << 6 | (p[i] & 0x3f);
        }
        if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        return len;
}

/* A journal field is bytes: JSON and D-Bus need UTF-8. Invalid bytes become U+FFFD; at most max bytes of
 * the input are taken, and a cut is marked with an ellipsis. */
static json_object *text_new(const char *s, size_t n, size_t max) {
        bool cut = n > max;
        n = MIN(n, max);
        _cleanup_free_ char *out = malloc(n * 3 + 4);
        if (!out)
                return NULL;
        size_t o = 0;
        for (size_t i = 0; i < n;) {
                size_t len = utf8_sequence_length((const unsigned char *) s + i, n - i);
                if (len == 0) {
                        memcpy(out + o, "\xef\xbf\xbd", 3);
                        o += 3;
                        i++;
                } else {
                        memcpy(out + o, s + i, len);
                        o += len;
                        i += len;
                }
        }
        if (cut) {
                memcpy(out + o, "\xe2\x80\xa6", 3);
                o += 3;
        }
        return json_object_new_string_len(out, (int) o);
}

/* Appends item (taken) to array. */
static int json_add_item(json_object *array, json_object *item) {
        if (!item || json_object_array_add(array, item) < 0) {
                json_object_put(item);
                return -ENOMEM;
        }
        return 0;
}

/* Properties systemd reports, under the names the tools answer with. */
typedef enum PropertyKind {
        PROPERTY_PLAIN,
        PROPERTY_TIMESTAMP, /* usec since the epoch; 0: never, left out */
        PROPERTY_COUNTER,   /* UINT64_MAX: not known (accounting off), left out */
} PropertyKind;

typedef struct Property {
        const char *name;
        const char *key;
        PropertyKind kind;
} Property;

/* What system_unit_status shows: the Unit interface, then the type's own (Service, Socket, Timer, ...). */
static const Property status_properties[] = {
        { "Id", "id" },
        { "Names", "names" },
        { "Description", "description" },
        { "LoadState", "load_state" },
        { "ActiveState", "active_state" },
        { "SubState", "sub_state" },
        { "UnitFileState", "unit_file_state" },
        { "UnitFilePreset", "unit_file_preset" },
        { "FragmentPath", "fragment_path" },
        { "DropInPaths", "drop_in_paths" },
        { "Documentation", "documentation" },
        { "ActiveEnterTimestamp", "active_enter_timestamp", PROPERTY_TIMESTAMP },
        { "ActiveExitTimestamp", "active_exit_timestamp", PROPERTY_TIMESTAMP },
        { "InactiveEnterTimestamp", "inactive_enter_timestamp", PROPERTY_TIMESTAMP },
        { "StateChangeTimestamp", "state_change_timestamp", PROPERTY_TIMESTAMP },
        { "CanStart", "can_start" },
        { "CanStop", "can_stop" },
        { "CanReload", "can_reload" },
        { "MainPID", "main_pid" },
        { "ExecMainStatus", "exec_main_status" },
        { "ExecMainStartTimestamp", "exec_main_start_timestamp", PROPERTY_TIMESTAMP },
        { "Result", "result" },
        { "NRestarts", "n_restarts" },
        { "MemoryCurrent", "memory_current_bytes", PROPERTY_COUNTER },
        { "CPUUsageNSec", "cpu_usage_nsec", PROPERTY_COUNTER },
        { "TasksCurrent", "tasks_current", PROPERTY_COUNTER },
        { "NextElapseUSecRealtime", "next_elapse", PROPERTY_TIMESTAMP },
        { "LastTriggerUSec", "last_trigger", PROPERTY_TIMESTAMP },
        { "What", "what" },
        { "Where", "where" },
        {}
};

/* What system_unit_control checks before it acts: the unit's names (aliases such as sshd.service for
 * ssh.service), and the units that stopping or starting it would stop too, one dependency deep. */
static const Property control_properties[] = {
        { "Id", "id" },
        { "Names", "names" },
        { "LoadState", "load_state" },
        { "ActiveState", "active_state" },
        { "SubState", "sub_state" },
        { "RequiredBy", "required_by" },
        { "RequisiteOf", "requisite_of" },
        { "BoundBy", "bound_by" },
        { "ConsistsOf", "consists_of" },
        { "Conflicts", "conflicts" },
        { "ConflictedBy", "conflicted_by" },
        {}
};

static const Property state_properties[] = {
        { "ActiveState", "active_state" },
        { "SubState", "sub_state" },
        {}
};

static const Property *property_find(const Property *table, const char *name) {
        for (const Property *p = table; p->name; p++)
                if (streq(p->name, name))
                        return p;
        return NULL;
}

/* One variant as JSON: strings, numbers, booleans and string arrays. *ret is NULL for what is left out. */
static int variant_read(sd_bus_message *m, const Property *p, json_object **ret) {
        const char *contents;
        int r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r < 0)
                return r;

        json_object *v = NULL;
        const char *s;
        int b;
        int32_t i;
        uint32_t u;
        uint64_t t;
        char **strv = NULL;

        if (streq(contents, "s") || streq(contents, "o")) {
                r = sd_bus_message_read_basic(m, contents[0], &s);
                if (r >= 0 && !(v = json_object_new_string(s)))
                        r = -ENOMEM;
        } else if (streq(contents, "b")) {
                r = sd_bus_message_read_basic(m, 'b', &b);
                if (r >= 0 && !(v = json_object_new_boolean(b)))
                        r = -ENOMEM;
        } else if (streq(contents, "i")) {
                r = sd_bus_message_read_basic(m, 'i', &i);
                if (r >= 0 && !(v = json_object_new_int64(i)))
                        r = -ENOMEM;
        } else if (streq(contents, "u")) {
                r = sd_bus_message_read_basic(m, 'u', &u);
                if (r >= 0 && !(v = json_object_new_int64(u)))
                        r = -ENOMEM;
        } else if (streq(contents, "t")) {
                r = sd_bus_message_read_basic(m, 't', &t);
                if (r >= 0 && !(p->kind == PROPERTY_TIMESTAMP && t == 0) &&
                    !(p->kind == PROPERTY_COUNTER && t == UINT64_MAX) &&
                    !(v = p->kind == PROPERTY_TIMESTAMP ? timestamp_new(t) : json_object_new_uint64(t)))
                        r = -ENOMEM;
        } else if (streq(contents, "as")) {
                r = sd_bus_message_read_strv(m, &strv);
                if (r >= 0 && !(v = json_object_new_array()))
                        r = -ENOMEM;
                for (char **x = strv; x && *x; x++) {
                        if (r >= 0 && json_add_item(v, json_object_new_string(*x)) < 0)
                                r = -ENOMEM;
                        free(*x);
                }
                free(strv);
        } else
                r = sd_bus_message_skip(m, contents);
        if (r < 0) {
                json_object_put(v);
                return r;
        }

        r = sd_bus_message_exit_container(m);
        if (r < 0) {
                json_object_put(v);
                return r;
        }
        *ret = v;
        return 0;
}

/* Properties.GetAll's answer: the properties of table, added to into under their keys. */
static int properties_read(sd_bus_message *m, const Property *table, json_object *into) {
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name;
                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                const Property *p = property_find(table, name);
                if (p) {
                        json_object *v = NULL;
                        r = variant_read(m, p, &v);
                        if (r >= 0 && v)
                                r = json_add(into, p->key, v);
                } else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

/* Loaded units and units systemd only made up because they were asked for. */
static bool unit_is_unknown(json_object *properties) {
        return streq_ptr(json_get_string(properties, "load_state"), "not-found") &&
               streq_ptr(json_get_string(properties, "active_state"), "inactive");
}

/* --- the bus --------------------------------------------------------------------------------------- */

typedef struct UnitCall UnitCall;

/* The engine gives handlers no bus connection, and a server may serve HTTP only: the unit tools open a
 * system bus connection of their own on first use, on the server's event loop, and keep it for the life of
 * the process (reopened if the bus dropped it). Being their own, it also keeps systemd's job signals, which
 * reach every subscribed connection, off the connection that serves MCP. */
static sd_bus *units_bus;
static sd_bus_slot *units_job_removed;
/* system_unit_control calls waiting for the end of their job. */
static UnitCall *units_waiting;

static int on_subscribed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e)
                log_warning("Failed to subscribe to systemd's signals, unit jobs will time out: %s",
                        strempty(e->message));
        return 0;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

static int units_bus_get(McpRequest *req, sd_bus **ret) {
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

/* --- calls ----------------------------------------------------------------------------------------- */

typedef enum UnitAction {
        ACTION_START,
        ACTION_STOP,
        ACTION_RESTART,
        ACTION_RELOAD,
        ACTION_ENABLE,
        ACTION_DISABLE,
} UnitAction;

static const struct {
        const char *name;
        const char *method;
        bool refused_when_protected; /* stops or disables the unit */
        bool stops_dependents;       /* stops what requires the unit */
        bool starts;                 /* stops what conflicts with the unit */
} unit_actions[] = {
        [ACTION_START] = { "start", "StartUnit", .starts = true },
        [ACTION_STOP] = { "stop", "StopUnit", .refused_when_protected = true, .stops_dependents = true },
        [ACTION_RESTART] = { "restart", "RestartUnit", .refused_when_protected = true, .stops_dependents = true,
                .starts = true },
        [ACTION_RELOAD] = { "reload", "ReloadUnit" },
        [ACTION_ENABLE] = { "enable", "EnableUnitFiles" },
        [ACTION_DISABLE] = { "disable", "DisableUnitFiles", .refused_when_protected = true },
};

/* One tool call to systemd, from the handler to the answer. */
struct UnitCall {
        McpRequest *req;
        sd_bus *bus;
        sd_bus_slot *slot; /* the call to systemd in flight */
        char *unit;        /* as the caller named it */
        char *unit_path;
        json_object *result; /* the answer being built */
        /* system_units */
        const char *type; /* the type filter, or NULL */
        size_t limit;
        /* system_unit_control */
        UnitAction action;
        uint64_t timeout_usec;
        sd_event_source *timeout;
        char *job_path;
        UnitCall *waiting_next, *waiting_prev;
        bool waiting;
};

static void unit_call_unwait(UnitCall *c) {
        if (!c->waiting)
                return;
        if (c->waiting_prev)
                c->waiting_prev->waiting_next = c->waiting_next;
        else
                units_waiting = c->waiting_next;
        if (c->waiting_next)
                c->waiting_next->waiting_prev = c->waiting_prev;
        c->waiting_next = c->waiting_prev = NULL;
        c->waiting = false;
}

static void unit_call_free(UnitCall *c) {
        if (!c)
                return;
        mcp_request_on_cancel(c->req, NULL, NULL);
        unit_call_unwait(c);
        sd_bus_slot_unref(c->slot);
        sd_event_source_disable_unref(c->timeout);
        sd_bus_unref(c->bus);
        mcp_request_unref(c->req);
        json_object_put(c->result);
        free(c->unit);
        free(c->unit_path);
        free(c->job_path);
        free(c);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitCall *, unit_call_free);

/* The client went away or cancelled: the call to systemd is dropped. A job already queued goes on in
 * systemd, which is where it lives. */
static void on_cancel(McpRequest *req, void *userdata) {
        unit_call_free(userdata);
}

/* Returns 1 with the call in *ret, 0 when the request was answered already (no bus), or a negative errno. */
static int unit_call_new(McpRequest *req, const char *unit, UnitCall **ret) {
        sd_bus *bus = NULL;
        int r = units_bus_get(req, &bus);
        if (r < 0)
                return mcp_request_reply_tool_error(req,
                        "Cannot reach systemd: failed to connect to the system bus: %s", strerror(-r));

        _cleanup_(unit_call_freep) UnitCall *c = new0(UnitCall, 1);
        if (!c)
                return -ENOMEM;
        c->req = mcp_request_ref(req);
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
static _printf_(2, 3) void unit_call_fail(UnitCall *c, const char *format, ...) {
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
static void unit_call_finish(UnitCall *c, bool is_error, const char *note) {
        json_object *result = TAKE_PTR(c->result);
        json_object *text = mcp_content_text(json_to_string(result));
        json_object *content = note ? JSON_ARRAY(text, mcp_content_text(note)) : JSON_ARRAY(text);
        (void) mcp_request_reply_content(c->req, content, result, is_error);
        unit_call_free(c);
}

/* What a failed call to systemd tells the caller. */
static void unit_call_fail_bus(UnitCall *c, const sd_bus_error *e, const char *what) {
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
            sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                unit_call_fail(c, "Cannot reach systemd on the system bus (%s): this tool needs a host booted "
                        "with systemd.", strempty(e->message));
        else if (sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED) ||
                 sd_bus_error_has_name(e, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
                unit_call_fail(c,
                        "systemd refused to %s: %s. systemd checks the server's own user with polkit; a rule must "
                        "allow it (polkit/50-aios.rules).", what, strempty(e->message));
        else if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit"))
                unit_call_fail(c, "No unit %s is loaded or known.", strempty(c->unit));
        else
                unit_call_fail(c, "Failed to %s: %s", what, strempty(e->message));
}

/* Calls a method of systemd. Interactive authorization stays off: systemd's polkit check is for the
 * server's user, for whom nobody can type a password; the caller's own check came before the tool ran. */
static int systemd_call(UnitCall *c, const char *path, const char *interface, const char *method,
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
static void unit_call_check(UnitCall *c, int r) {
        if (r < 0)
                unit_call_fail(c, "Failed to call systemd: %s", strerror(-r));
}

/* --- system_units ---------------------------------------------------------------------------------- */

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
                r = sd_bus_message_read(m, "(ssssssouso)", &name, &description, &load, &active, &sub, &following,
                        &path, &job_id, &job_type, &job_path);
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
                if (json_add_item(all, u) < 0)
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
                ok = json_add_item(units, json_object_get(json_object_array_get_idx(all, i))) >= 0;
        if (!ok || json_add(c->result, "units", TAKE_PTR(units)) < 0 ||
            json_add(c->result, "total", json_object_new_uint64(total)) < 0 ||
            json_add(c->result, "truncated", json_object_new_boolean(total > c->limit)) < 0) {
                unit_call_fail(c, "Out of memory.");
                return 0;
        }
        unit_call_finish(c, false, NULL);
        return 0;
}

static int tool_units(McpRequest *req, json_object *args) {
        const char *pattern = json_get_string(args, "pattern");
        const char *type = json_get_string(args, "type");
        const char *state = json_get_string(args, "state");
        json_object *limit = NULL;
        json_object_object_get_ex(args, "limit", &limit);

        const char *why = pattern ? pattern_invalid(pattern) : NULL;
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

/* --- system_unit_status ---------------------------------------------------------------------------- */

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
        return json_add(entry, key, text_new(value, length, LOG_MESSAGE_MAX));
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
                if (json_add_item(newest_first, entry) < 0)
                        return -ENOMEM;
                if (sd_journal_get_realtime_usec(j, &usec) >= 0 &&
                    json_add(entry, "timestamp", timestamp_new(usec)) < 0)
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
                if (json_add_item(lines, json_object_get(json_object_array_get_idx(newest_first, i - 1))) < 0)
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
        else if (m && (r = properties_read(m, status_properties, c->result)) < 0)
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
        int r = properties_read(m, status_properties, c->result);
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
        unit_call_check(c, systemd_call(c, c->unit_path, PROPERTIES, "GetAll", on_status_type_properties, 0, "s",
                unit_types[type].interface));
        return 0;
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

static int on_status_loaded(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e) {
                unit_call_fail_bus(c, e, "look up the unit");
                return 0;
        }
        int r = unit_path_read(c, m);
        if (r < 0) {
                unit_call_fail(c, "Failed to read systemd's answer: %s", strerror(-r));
                return 0;
        }
        unit_call_check(c, systemd_call(c, c->unit_path, PROPERTIES, "GetAll", on_status_unit_properties, 0, "s",
                SYSTEMD_UNIT));
        return 0;
}

static int tool_unit_status(McpRequest *req, json_object *args) {
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
        r = systemd_call(c, SYSTEMD_PATH, SYSTEMD_MANAGER, "LoadUnit", on_status_loaded, 0, "s", unit);
        if (r < 0)
                return r;
        TAKE_PTR(c);
        return 0;
}

/* --- system_unit_control --------------------------------------------------------------------------- */

static int on_control_state(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        /* The state after the job is a courtesy: the job's result is the answer. */
        if (!sd_bus_message_is_method_error(m, NULL))
                (void) properties_read(m, state_properties, c->result);

        const char *result = json_get_string(c->result, "result");
        bool done = streq_ptr(result, "done");
        _cleanup_free_ char *note = NULL;
        if (!done && asprintf(&note,
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
        unit_call_check(c, systemd_call(c, c->unit_path, PROPERTIES, "GetAll", on_control_state, 0, "s", SYSTEMD_UNIT));
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *path, *unit, *result;
        uint32_t id;
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        for (UnitCall *c = units_waiting; c; c = c->waiting_next)
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

static int on_job_queued(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e) {
                char what[UNIT_NAME_MAX + 16];
                snprintf(what, sizeof(what), "%s %s", unit_actions[c->action].name, c->unit);
                unit_call_fail_bus(c, e, what);
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
        c->waiting_next = units_waiting;
        if (units_waiting)
                units_waiting->waiting_prev = c;
        units_waiting = c;
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
                if (json_add_item(changes, change) < 0)
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

static int on_unit_files_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e) {
                char what[UNIT_NAME_MAX + 16];
                snprintf(what, sizeof(what), "%s %s", unit_actions[c->action].name, c->unit);
                unit_call_fail_bus(c, e, what);
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

        if (json_object_array_length(json_get_array(c->result, "changes")) == 0) {
                if (json_add_string(c->result, "result", "done") < 0) {
                        unit_call_fail(c, "Out of memory.");
                        return 0;
                }
                unit_call_finish(c, false,
                        install_info ? "Nothing to change: the unit files were already so." :
                                       "Nothing to change: the unit has no [Install] section, so it cannot be "
                                       "enabled; it starts when another unit or a socket, timer or path pulls it in.");
                return 0;
        }
        unit_call_check(c, systemd_call(c, SYSTEMD_PATH, SYSTEMD_MANAGER, "Reload", on_daemon_reloaded,
                DAEMON_RELOAD_USEC, NULL));
        return 0;
}

/* Why the action may not be done to the unit with these properties (control_properties), or NULL; with
 * the unit in the way in *ret_unit. Dependencies are looked at one level deep: what needs the unit directly
 * (sysinit.target is required by every service), or conflicts with it directly (shutdown.target). */
static const char *control_refusal(UnitCall *c, json_object *properties, const char **ret_unit) {
        static const char *const dependents[] = { "required_by", "requisite_of", "bound_by", "consists_of" };
        static const char *const conflicts[] = { "conflicts", "conflicted_by" };
        json_object *names = json_get_array(properties, "names");
        const char *by;

        if (unit_actions[c->action].starts) {
                if (name_in(c->unit, system_state_units, ELEMENTSOF(system_state_units)))
                        by = c->unit;
                else
                        by = first_system_state(names);
                if (by) {
                        *ret_unit = by;
                        return "starting it would shut down, reboot or isolate the system";
                }
        }
        if (unit_actions[c->action].refused_when_protected) {
                if (unit_is_protected(c->unit))
                        by = c->unit;
                else
                        by = first_protected(names);
                if (by) {
                        *ret_unit = by;
                        return "it is protected";
                }
        }
        if (unit_actions[c->action].stops_dependents)
                FOREACH_ELEMENT(key, dependents)
                        if ((by = first_protected(json_get_array(properties, *key)))) {
                                *ret_unit = by;
                                return "stopping it would stop a protected unit that depends on it";
                        }
        if (unit_actions[c->action].starts)
                FOREACH_ELEMENT(key, conflicts)
                        if ((by = first_protected(json_get_array(properties, *key)))) {
                                *ret_unit = by;
                                return "starting it would stop a protected unit that conflicts with it";
                        }
        return NULL;
}

static int on_control_unit_properties(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e) {
                unit_call_fail_bus(c, e, "read the unit's properties");
                return 0;
        }
        _cleanup_json_ json_object *properties = json_object_new_object();
        if (!properties) {
                unit_call_fail(c, "Out of memory.");
                return 0;
        }
        int r = properties_read(m, control_properties, properties);
        if (r < 0) {
                unit_call_fail(c, "Failed to read the properties of %s: %s", c->unit, strerror(-r));
                return 0;
        }
        if (unit_is_unknown(properties)) {
                unit_call_fail(c, "No unit %s is loaded or known.", c->unit);
                return 0;
        }

        const char *in_the_way = NULL;
        const char *why = control_refusal(c, properties, &in_the_way);
        if (why) {
                unit_call_fail(c,
                        "Refused to %s %s: %s (%s). aios-sysopsd never stops, restarts or disables the units the host "
                        "needs to be reached and administered, nor aios itself (the protected units; "
                        "AIOS_SYSOPS_PROTECTED_UNITS replaces the list).",
                        unit_actions[c->action].name, c->unit, why, in_the_way);
                return 0;
        }

        if (json_add_string(c->result, "unit", c->unit) < 0 ||
            json_add_string(c->result, "action", unit_actions[c->action].name) < 0) {
                unit_call_fail(c, "Out of memory.");
                return 0;
        }

        switch (c->action) {
        case ACTION_ENABLE:
                r = systemd_call(c, SYSTEMD_PATH, SYSTEMD_MANAGER, "EnableUnitFiles", on_unit_files_changed, 0, "asbb",
                        1, c->unit, false, false);
                break;
        case ACTION_DISABLE:
                r = systemd_call(c, SYSTEMD_PATH, SYSTEMD_MANAGER, "DisableUnitFiles", on_unit_files_changed, 0, "asb",
                        1, c->unit, false);
                break;
        default:
                r = systemd_call(c, SYSTEMD_PATH, SYSTEMD_MANAGER, unit_actions[c->action].method, on_job_queued, 0,
                        "ss", c->unit, "replace");
        }
        unit_call_check(c, r);
        return 0;
}

static int on_control_loaded(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e) {
                unit_call_fail_bus(c, e, "look up the unit");
                return 0;
        }
        int r = unit_path_read(c, m);
        if (r < 0) {
                unit_call_fail(c, "Failed to read systemd's answer: %s", strerror(-r));
                return 0;
        }
        unit_call_check(c, systemd_call(c, c->unit_path, PROPERTIES, "GetAll", on_control_unit_properties, 0, "s",
                SYSTEMD_UNIT));
        return 0;
}

static int tool_unit_control(McpRequest *req, json_object *args) {
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
        c->timeout_usec = (timeout ? (uint64_t) json_object_get_int64(timeout) : CONTROL_TIMEOUT_SEC_DEFAULT) *
                          USEC_PER_SEC;

        /* The whole call, lookup and job, has timeout_sec. */
        r = sd_event_add_time_relative(mcp_request_get_event(req), &c->timeout, CLOCK_MONOTONIC, c->timeout_usec, 0,
                on_control_timeout, c);
        if (r < 0)
                return r;
        r = systemd_call(c, SYSTEMD_PATH, SYSTEMD_MANAGER, "LoadUnit", on_control_loaded, 0, "s", unit);
        if (r < 0)
                return r;
        TAKE_PTR(c);
        return 0;
}

/* --- the table ------------------------------------------------------------------------------------- */

#define UNIT_NAME_SCHEMA                                                                                     \
        "{\"type\":\"string\",\"minLength\":1,\"maxLength\":255,\"pattern\":\"^[A-Za-z0-9:_.\\\\x5c@-]+$\","    \
        "\"description\":\"A unit's full name with its type, e.g. \\\"ssh.service\\\", \\\"apt-daily.timer\\\", "     \
        "\\\"getty@tty1.service\\\"\"}"

#define UNIT_STATE_SCHEMA                                                                                    \
        "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"description\":{\"type\":\"string\"},"   \
        "\"load_state\":{\"type\":\"string\"},\"active_state\":{\"type\":\"string\"},\"sub_state\":{\"type\":\"string\"}},"  \
        "\"required\":[\"name\",\"description\",\"load_state\",\"active_state\",\"sub_state\"]}"

#define LOG_LINE_SCHEMA                                                                                      \
        "{\"type\":\"object\",\"properties\":{\"timestamp\":{\"type\":\"string\"},\"priority\":{\"type\":\"integer\"},"      \
        "\"pid\":{\"type\":\"integer\"},\"message\":{\"type\":\"string\"}}}"

const McpTool sysops_unit_tools[] = {
        {
                .name = "system_units",
                .title = "List systemd units",
                .description =
                        "Lists the units systemd has loaded (as `systemctl list-units --all` does), sorted by name, "
                        "with their load, active and sub state. Filter by a glob on the full name (\"ssh*\", "
                        "\"*.timer\", \"getty@*\"), a type, and a state (any of the load, active or sub state: "
                        "\"failed\" finds failed units, \"running\" running services).",
                .input_schema =
                        "{\"type\":\"object\",\"properties\":{"
                        "\"pattern\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":256,"
                        "\"pattern\":\"^[A-Za-z0-9@._:*?\\\\[\\\\]-]+$\","
                        "\"description\":\"A shell-style glob matched against the whole unit name, e.g. \\\"ssh*\\\" or \\\"*.timer\\\"\"},"
                        "\"type\":{\"type\":\"string\",\"enum\":[\"service\",\"socket\",\"timer\",\"target\",\"mount\","
                        "\"path\",\"slice\",\"scope\",\"device\",\"swap\",\"automount\"]},"
                        "\"state\":{\"type\":\"string\",\"enum\":[\"active\",\"inactive\",\"failed\",\"activating\","
                        "\"deactivating\",\"reloading\",\"maintenance\",\"running\",\"exited\",\"dead\",\"waiting\","
                        "\"listening\",\"mounted\",\"plugged\",\"elapsed\",\"auto-restart\",\"loaded\",\"not-found\","
                        "\"masked\",\"error\",\"bad-setting\"]},"
                        "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":2000,\"default\":200}},"
                        "\"additionalProperties\":false}",
                .output_schema =
                        "{\"type\":\"object\",\"properties\":{"
                        "\"units\":{\"type\":\"array\",\"items\":" UNIT_STATE_SCHEMA "},"
                        "\"total\":{\"type\":\"integer\",\"description\":\"How many units matched, before the limit\"},"
                        "\"truncated\":{\"type\":\"boolean\"}},"
                        "\"required\":[\"units\",\"total\",\"truncated\"]}",
                .annotations = "{\"readOnlyHint\":true,\"idempotentHint\":true,\"openWorldHint\":false}",
                .polkit_action = SYSOPS_ACTION_READ,
                .handler = tool_units,
        },
        {
                .name = "system_unit_status",
                .title = "Show a systemd unit",
                .description =
                        "One unit, as `systemctl status` shows it: its states, unit file and its state, when it "
                        "last changed state; for a service its main PID, exit status, result, restarts, memory, "
                        "CPU time and tasks; for a timer when it runs next; and its last 20 lines in the journal.",
                .input_schema = "{\"type\":\"object\",\"properties\":{\"unit\":" UNIT_NAME_SCHEMA "},"
                                "\"required\":[\"unit\"],\"additionalProperties\":false}",
                .output_schema =
                        "{\"type\":\"object\",\"properties\":{"
                        "\"id\":{\"type\":\"string\"},\"names\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
                        "\"description\":{\"type\":\"string\"},\"load_state\":{\"type\":\"string\"},"
                        "\"active_state\":{\"type\":\"string\"},\"sub_state\":{\"type\":\"string\"},"
                        "\"unit_file_state\":{\"type\":\"string\"},\"fragment_path\":{\"type\":\"string\"},"
                        "\"active_enter_timestamp\":{\"type\":\"string\"},\"main_pid\":{\"type\":\"integer\"},"
                        "\"exec_main_status\":{\"type\":\"integer\"},\"result\":{\"type\":\"string\"},"
                        "\"n_restarts\":{\"type\":\"integer\"},\"memory_current_bytes\":{\"type\":\"integer\"},"
                        "\"cpu_usage_nsec\":{\"type\":\"integer\"},\"tasks_current\":{\"type\":\"integer\"},"
                        "\"log\":{\"type\":\"array\",\"items\":" LOG_LINE_SCHEMA "},"
                        "\"log_error\":{\"type\":\"string\"}},"
                        "\"required\":[\"id\",\"load_state\",\"active_state\",\"sub_state\",\"log\"]}",
                .annotations = "{\"readOnlyHint\":true,\"idempotentHint\":true,\"openWorldHint\":false}",
                .polkit_action = SYSOPS_ACTION_READ,
                /* Its journal lines are for the systemd-journal group: only a caller polkit vouched for. */
                .polkit_required = true,
                .handler = tool_unit_status,
        },
        {
                .name = "system_unit_control",
                .title = "Start, stop, restart, reload, enable or disable a systemd unit",
                .description =
                        "Asks systemd to start, stop, restart or reload a unit and waits for the job to finish "
                        "(up to timeout_sec), reporting its result: \"done\", or \"failed\", \"timeout\", "
                        "\"canceled\", \"dependency\", \"skipped\"; or enables or disables its unit file and "
                        "reloads systemd. The units the host needs to be reached and administered (the bus, the "
                        "journal, logind, polkit, sshd, the network) and aios itself are protected: they are never "
                        "stopped, restarted or disabled, nor is a unit stopped that they depend on.",
                .input_schema = "{\"type\":\"object\",\"properties\":{"
                                "\"unit\":" UNIT_NAME_SCHEMA ","
                                "\"action\":{\"type\":\"string\",\"enum\":[\"start\",\"stop\",\"restart\",\"reload\","
                                "\"enable\",\"disable\"]},"
                                "\"timeout_sec\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":600,\"default\":60,"
                                "\"description\":\"How long to wait for the job to finish\"}},"
                                "\"required\":[\"unit\",\"action\"],\"additionalProperties\":false}",
                .output_schema =
                        "{\"type\":\"object\",\"properties\":{"
                        "\"unit\":{\"type\":\"string\"},\"action\":{\"type\":\"string\"},"
                        "\"result\":{\"type\":\"string\",\"description\":\"systemd's result for the job, \\\"done\\\" when it succeeded\"},"
                        "\"job\":{\"type\":\"string\"},\"active_state\":{\"type\":\"string\"},\"sub_state\":{\"type\":\"string\"},"
                        "\"changes\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
                        "\"type\":{\"type\":\"string\"},\"file\":{\"type\":\"string\"},\"destination\":{\"type\":\"string\"}}}}},"
                        "\"required\":[\"unit\",\"action\",\"result\"]}",
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":true,\"idempotentHint\":false,"
                               "\"openWorldHint\":false}",
                .polkit_action = SYSOPS_ACTION_MANAGE_UNITS,
                /* A rule can allow a principal to control exactly one unit: action.lookup("unit"). */
                .polkit_detail_argument = "unit",
                /* It acts with the server's own grant from systemd: never for a caller polkit did not check
                 * (HTTP on 127.0.0.1:8002 is open to every local user). */
                .polkit_required = true,
                .handler = tool_unit_control,
        },
        {}
};
