/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the server's context: the unit tools' own connection to the system bus, their waiting calls, the unit
 * policy. */
#pragma once

#include <systemd/sd-bus.h>

#include "mcp-server.h"
#include "units-protect.h"

#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define SYSTEMD_UNIT "org.freedesktop.systemd1.Unit"
#define SYSTEMD_UNIT_PATH_PREFIX "/org/freedesktop/systemd1/unit"
#define PROPERTIES "org.freedesktop.DBus.Properties"

typedef struct UnitCall UnitCall;

/* Everything aios-sysopsd keeps between calls: the engine's userdata (mcp_server_get_userdata()). */
typedef struct SysopsContext {
        sd_bus *bus;              /* the unit tools' system bus connection, opened on first use */
        sd_bus_slot *job_removed; /* its match for systemd's JobRemoved */
        UnitCall *waiting;        /* system_unit_control calls waiting for the end of their job */
        UnitPolicy *policy;       /* which units system_unit_control may touch */
        bool bus_failed;          /* the last attempt to connect failed, and was logged */
} SysopsContext;

/* Reads the unit policy from the environment; a list it cannot follow is an error (logged). */
int sysops_context_init(SysopsContext *ctx);
void sysops_context_done(SysopsContext *ctx);

/* The context of the server that serves req. */
SysopsContext *sysops_context_of(McpRequest *req);

/* The system bus connection of the unit tools, opened on first use (and reopened if the bus dropped it). */
int sysops_bus_get(SysopsContext *ctx, sd_event *event, sd_bus **ret);

/* Where systemd's JobRemoved signals go (units-control.c); userdata is the context. */
int sysops_on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);
