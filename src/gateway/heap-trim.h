/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Giving freed heap back to the system: after a burst of sessions and connections, glibc keeps what they freed
 * (the pages between the allocations that are still live are never returned on their own), and the resident set
 * stays at its peak. */
#pragma once

#include <stddef.h>
#include <systemd/sd-event.h>

#define HEAP_TRIM_INTERVAL_USEC (10 * USEC_PER_SEC)
#define HEAP_TRIM_MIN_FREE (256 * 1024) /* free bytes in the heap before it is worth trimming */

/* Every HEAP_TRIM_INTERVAL_USEC, when more than HEAP_TRIM_MIN_FREE bytes of the heap are free, returns their
 * pages to the system (malloc_trim()). The timer is in *ret, owned by the caller. Returns 0 or a negative
 * errno. */
int heap_trim_start(sd_event *event, sd_event_source **ret);

/* Trims now when more than min_free bytes are free; returns the bytes that were free, or 0 when it did not trim. */
size_t heap_trim(size_t min_free);
