/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: what the unit tools share: names, systemd's values as JSON, and one tool call to systemd. */
#pragma once

#include <systemd/sd-bus.h>

#include "mcp-server.h"
#include "systemd-bus.h"

#define PROPERTIES "org.freedesktop.DBus.Properties"

#define UNIT_NAME_MAX 255 /* systemd's UNIT_NAME_MAX, without the NUL */

/* --- names (units-names.c) ------------------------------------------------------------------------- */

/* The unit types, with the D-Bus interface of each type's own properties. */
typedef struct UnitType {
        const char *suffix;
        const char *interface;
} UnitType;
extern const UnitType unit_types[];

/* The index of the type of unit name in unit_types[], or -1. */
int unit_type_of(const char *name);

/* Why name is not a unit name systemd would take, or NULL when it is one. */
const char *unit_name_invalid(const char *name);

/* Why pattern is not a glob for unit names, or NULL. Its characters were checked by the schema. */
const char *unit_pattern_invalid(const char *pattern);

/* --- values (units-properties.c) ------------------------------------------------------------------- */

/* Microseconds since the epoch as RFC 3339 UTC text. */
json_object *sysops_timestamp_new(uint64_t usec);

/* A journal field is bytes: JSON and D-Bus need UTF-8. Invalid bytes become U+FFFD; at most max bytes of
 * the input are taken, and a cut is marked with an ellipsis. */
json_object *sysops_text_new(const char *s, size_t n, size_t max);

/* Appends item (taken) to array. */
int sysops_json_add_item(json_object *array, json_object *item);

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

/* Properties.GetAll's answer: the properties of table, added to into under their keys. */
int sysops_properties_read(sd_bus_message *m, const Property *table, json_object *into);

/* Loaded units and units systemd only made up because they were asked for. */
bool unit_is_unknown(json_object *properties);

/* --- calls (units-call.c) -------------------------------------------------------------------------- */

typedef enum UnitAction {
        ACTION_START,
        ACTION_STOP,
        ACTION_RESTART,
        ACTION_RELOAD,
        ACTION_ENABLE,
        ACTION_DISABLE,
} UnitAction;

/* What each action is: its name in the tool's arguments and systemd's method. What it does to other units is
 * units-walk.c's. */
typedef struct UnitActionInfo {
        const char *name;
        const char *method;
} UnitActionInfo;
extern const UnitActionInfo unit_actions[]; /* units-control.c, by UnitAction */

/* One of the calls for a unit's properties a walk has in flight at once. */
#define UNIT_QUERIES_MAX 16
typedef struct UnitQuery {
        UnitCall *call;
        sd_bus_slot *slot; /* NULL: free */
        const char *name;  /* the walk's */
} UnitQuery;

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
        SysopsContext *ctx;
        /* system_unit_control */
        UnitAction action;
        struct UnitWalk *walk; /* the units the action would change, being asked for */
        UnitQuery queries[UNIT_QUERIES_MAX];
        uint64_t timeout_usec;
        sd_event_source *timeout;
        char *job_path;
        UnitCall *waiting_next, *waiting_prev;
        bool waiting;
};

void unit_call_unwait(UnitCall *c);
void unit_call_free(UnitCall *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitCall *, unit_call_free);

/* Returns 1 with the call in *ret, 0 when the request was answered already (no bus), or a negative errno. */
int unit_call_new(McpRequest *req, const char *unit, UnitCall **ret);

/* Answers with a tool error and ends the call. */
_printf_(2, 3) void unit_call_fail(UnitCall *c, const char *format, ...);

/* Answers with the result built so far (as structuredContent and as its JSON text), and ends the call. */
void unit_call_finish(UnitCall *c, bool is_error, const char *note);

/* What a failed call to systemd tells the caller. */
void unit_call_fail_bus(UnitCall *c, const sd_bus_error *e, const char *what);

/* Calls a method of systemd. Interactive authorization stays off: systemd's polkit check is for the
 * server's user, for whom nobody can type a password; the caller's own check came before the tool ran. */
int sysops_systemd_call(UnitCall *c, const char *path, const char *interface, const char *method,
        sd_bus_message_handler_t callback, uint64_t usec, const char *types, ...);

/* Ends the call with a tool error when its next step, a call to systemd, could not be made. */
void unit_call_check(UnitCall *c, int r);

/* LoadUnit's answer m is in, for status and control: reads the unit's path and asks for its Unit properties, answered
 * to next; or fails c with what went wrong. */
void unit_call_loaded(UnitCall *c, sd_bus_message *m, sd_bus_message_handler_t next);

/* --- the tools, for their table (units-tools.c) ---------------------------------------------------- */

int tool_units(McpRequest *req, json_object *args);        /* units-list.c */
int tool_unit_status(McpRequest *req, json_object *args);  /* units-status.c */
int tool_unit_control(McpRequest *req, json_object *args); /* units-control.c */
