/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the parts of the D-Bus transport share: the calls (backend-dbus.c), the watch on the server's name,
 * its health and its catalog (backend-dbus-watch.c), and the direct connection to it (backend-dbus-direct.c). */
#pragma once

#include "backend.h"

typedef struct DbusBackend {
        Backend *backend;
        sd_bus_slot *owner_match;
        sd_bus_slot *owner_query;
        sd_bus_slot *health_slot;
        sd_event_source *ping_timer;
        bool recheck; /* check health again once the check in flight is answered */
        sd_bus_slot *list_slot;
        bool relist;    /* Describe again once the one in flight is answered */
        Hashmap *calls; /* tag -> DbusCall: every Call whose reply the bus still owes us */
        unsigned n_long_lived;
        unsigned n_owed_broker; /* of calls, those sent through the broker, which count against its budget */
        sd_bus *direct;         /* a connection to the server of its own: calls go there while it lasts */
        sd_bus_slot *direct_request;
        sd_bus_slot *direct_client;
        sd_bus_slot *direct_signals;
        sd_bus_slot *direct_gone;
        sd_event_source *direct_retry;
        char *direct_refused_by; /* the owner that said no: not asked again until another one has the name */
} DbusBackend;

static inline sd_bus *bus_of(Backend *b) {
        return b->gateway->bus;
}

/* backend-dbus.c: the server that had b's name (old_owner) left; its unanswered calls fail. */
void dbus_calls_lost(Backend *b, const char *old_owner);
/* backend-dbus.c: the calls sent over the direct connection bus, which is closing, fail. */
void dbus_direct_calls_lost(Backend *b, sd_bus *bus);
/* backend-dbus.c: org.aios.MCPClient1 and the match for the servers' signals on bus (the broker's, or a direct
 * connection's). */
int dbus_routing_install(Gateway *g, sd_bus *bus, sd_bus_slot **ret_object, sd_bus_slot **ret_match);

/* backend-dbus-direct.c: asks b's running server for a direct connection (DirectConnections=), unless one is
 * there, asked for, or refused by this server. */
void dbus_direct_open(Backend *b);
/* Stops using the direct connection (its calls in flight fail) and asking for one. */
void dbus_direct_close(Backend *b);

/* backend-dbus-watch.c */
int dbus_watch_start(Backend *b);
/* The broker's connection is gone: what was asked on it is dropped (dbus_watch_start() asks again). */
void dbus_broker_lost(Backend *b);
/* The broker says nobody owns b's name (b->owner was from before it restarted): b is not running. */
void dbus_owner_forget(Backend *b);
void dbus_watch_stop(DbusBackend *d);
void dbus_check_health(Backend *b);
int dbus_list_tools(Backend *b);
