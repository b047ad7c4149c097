/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The heap's free pages returned to the system now and then (see heap-trim.h). */
#include <malloc.h>

#include "heap-trim.h"
#include "macro.h"

size_t heap_trim(size_t min_free) {
        struct mallinfo2 m = mallinfo2();
        /* fordblks: free bytes in chunks the heap keeps, fsmblks: those in fastbins (not trimmed until merged). */
        if (m.fordblks <= min_free)
                return 0;
        (void) malloc_trim(0);
        return m.fordblks;
}

static int on_trim_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) heap_trim(HEAP_TRIM_MIN_FREE);
        return sd_event_source_set_time_relative(s, HEAP_TRIM_INTERVAL_USEC);
}

int heap_trim_start(sd_event *event, sd_event_source **ret) {
        assert(event);
        assert(ret);

        /* Lowest priority, and a second of slack: it runs when nothing else is waiting. */
        int r = sd_event_add_time_relative(event, ret, CLOCK_MONOTONIC, HEAP_TRIM_INTERVAL_USEC, USEC_PER_SEC,
                on_trim_tick, NULL);
        if (r < 0)
                return r;
        (void) sd_event_source_set_priority(*ret, SD_EVENT_PRIORITY_IDLE);
        (void) sd_event_source_set_description(*ret, "heap-trim");
        return sd_event_source_set_enabled(*ret, SD_EVENT_ON);
}
