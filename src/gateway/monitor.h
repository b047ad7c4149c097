/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The resource monitor: the memory, CPU time, tasks and IP traffic of each D-Bus backend's server, from its
 * systemd unit or, outside systemd, from its process; reported in /metrics. */
#pragma once

#include "gateway.h"

#define MONITOR_INTERVAL_USEC_DEFAULT (5 * USEC_PER_SEC)

typedef struct Monitor Monitor;

/* Watches every D-Bus backend of g (which must have its backends). */
int monitor_new(Monitor **ret, Gateway *g, uint64_t interval_usec);
Monitor *monitor_free(Monitor *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Monitor *, monitor_free);

/* /metrics is being scraped: when the last round is older than the interval, asks for new figures (they
 * are in the metrics when the answers come, for the next scrape). Never blocks. */
void monitor_kick(Monitor *m);
