/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the unit tools' own connection to the system bus, subscribed to systemd's JobRemoved. */
#pragma once

#include <systemd/sd-bus.h>

#include "mcp-server.h"

#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define SYSTEMD_UNIT "org.freedesktop.systemd1.Unit"
#define PROPERTIES "org.freedesktop.DBus.Properties"

/* The system bus connection of the unit tools, opened on first use (and reopened if the bus dropped it). */
int units_bus_get(McpRequest *req, sd_bus **ret);

/* Where systemd's JobRemoved signals go (units-control.c). */
int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);
