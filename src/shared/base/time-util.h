/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Clocks. */
#pragma once

#include <stdint.h>

/* CLOCK_MONOTONIC in µs: for deadlines, idle times and durations. */
uint64_t now_usec(void);
