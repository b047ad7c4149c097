/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the two halves of the D-Bus transport share: the calls (backend-dbus.c) and the watch on the server's
 * name, its health and its catalog (backend-dbus-watch.c). */
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
} DbusBackend;

static inline sd_bus *bus_of(Backend *b) {
        return b->gateway->bus;
}

/* backend-dbus.c: the server that had b's name (old_owner) left; its unanswered calls fail. */
void dbus_calls_lost(Backend *b, const char *old_owner);

/* backend-dbus-watch.c */
int dbus_watch_start(Backend *b);
void dbus_watch_stop(DbusBackend *d);
void dbus_check_health(Backend *b);
int dbus_list_tools(Backend *b);
