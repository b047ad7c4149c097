/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bus's pending replies, shared by the D-Bus backends: a budget with a share each. */
#include <assert.h>

#include "bus-budget.h"
#include "macro.h"

bool bus_budget_allows(const unsigned *owed, size_t n, size_t self, unsigned long_lived_self, unsigned max_in_flight,
        bool long_lived) {
        assert(owed);
        assert(self < n);

        unsigned reserved = BUS_PENDING_RESERVED + BUS_PENDING_RESERVED_PER_BACKEND * (unsigned) n;
        unsigned budget = BUS_PENDING_REPLIES_MAX > reserved + n ? BUS_PENDING_REPLIES_MAX - reserved : (unsigned) n;
        unsigned share = MAX(budget / (2 * (unsigned) n), 1U);

        if (owed[self] >= max_in_flight)
                return false;
        if (long_lived && long_lived_self >= MAX(MIN(share, max_in_flight) / 2, 1U))
                return false;

        unsigned used = 0, kept = 0;
        for (size_t i = 0; i < n; i++) {
                used += owed[i];
                if (i != self && owed[i] < share)
                        kept += share - owed[i];
        }
        return used + kept < budget;
}

bool bus_budget_allows_direct(unsigned in_flight, unsigned long_lived_self, unsigned max_in_flight, bool long_lived) {
        if (in_flight >= max_in_flight)
                return false;
        return !long_lived || long_lived_self < MAX(max_in_flight / 2, 1U);
}
