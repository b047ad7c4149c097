/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Direct (peer-to-peer) D-Bus connections beside the broker: both ends of a socket pair that a server hands
 * a front end over the bus (org.aios.MCP1.Connect), as systemd's /run/systemd/private is for systemctl. */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"

/* The server's end: fd (taken) becomes a started bus in server mode, attached to event. Its peer was
 * checked before the socket pair was made, so any authentication it offers is taken. */
int bus_direct_serve(sd_event *event, int fd, sd_bus **ret);

/* The front end's end: fd (taken) becomes a started client bus without a broker, attached to event. */
int bus_direct_connect(sd_event *event, int fd, sd_bus **ret);

/* Calls handler when bus is disconnected (sd-bus's synthesized org.freedesktop.DBus.Local.Disconnected). */
int bus_direct_on_disconnect(sd_bus *bus, sd_bus_slot **ret, sd_bus_message_handler_t handler, void *userdata);
