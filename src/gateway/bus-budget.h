/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bus's pending replies for the gateway's connection, shared by the D-Bus backends: who may send one
 * more call that waits for a reply. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* dbus-daemon lets one connection wait for at most this many replies (max_replies_per_connection on the
 * system bus); past it every call fails with LimitsExceeded until replies come. A reply stays owed until
 * the server sends it, also after the gateway stopped waiting for it. */
#define BUS_PENDING_REPLIES_MAX 128U
/* Kept for the gateway's own calls: per backend at most one GetNameOwner, one Ping or
 * ListActivatableNames, one Describe and one Connect; and the gateway's matches and name. */
#define BUS_PENDING_RESERVED_PER_BACKEND 4U
#define BUS_PENDING_RESERVED 8U

/* owed[i]: the replies D-Bus backend i is owed (n backends); self: the one that wants to send; its
 * long-lived calls (listen streams) in flight; max_in_flight: MaxInFlightPerBackend=. Yes when self stays
 * below max_in_flight, the calls of all stay within what the bus allows less the reserve, every other
 * backend keeps a share of its own (half the budget split evenly), and listen streams take at most half of
 * self's share. */
bool bus_budget_allows(const unsigned *owed, size_t n, size_t self, unsigned long_lived_self, unsigned max_in_flight,
        bool long_lived);

/* The same for a backend whose calls go over a direct connection, where no broker counts replies: in_flight
 * (its calls whose replies are still owed, on either connection) stays below max_in_flight, and listen streams
 * take at most half of it. */
bool bus_budget_allows_direct(unsigned in_flight, unsigned long_lived_self, unsigned max_in_flight, bool long_lived);
