/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bus's pending replies shared by the D-Bus backends: nobody passes what the bus allows, each backend
 * keeps a share the others cannot take, and listen streams never take a backend's whole share. */
#include <check.h>

#include "bus-budget.h"
#include "macro.h"
#include "test-util.h"

/* How many calls backend self can add, one at a time, with the others as owed says. */
static unsigned fill(unsigned *owed, size_t n, size_t self, unsigned max_in_flight, bool long_lived) {
        unsigned added = 0, long_lived_self = 0;
        while (bus_budget_allows(owed, n, self, long_lived_self, max_in_flight, long_lived)) {
                owed[self]++;
                added++;
                long_lived_self += long_lived;
                ck_assert_uint_lt(added, 1000);
        }
        return added;
}

START_TEST(test_one_backend_stays_below_what_the_bus_allows) {
        unsigned owed[1] = {};
        unsigned n = fill(owed, 1, 0, 256, false);
        ck_assert_uint_gt(n, 64);
        ck_assert_uint_le(n + BUS_PENDING_RESERVED + BUS_PENDING_RESERVED_PER_BACKEND, BUS_PENDING_REPLIES_MAX);
}
END_TEST

/* Over a direct connection no broker counts replies: MaxInFlightPerBackend= is the limit, past the 128 the
 * bus would allow, and listen streams still take at most half of it. */
START_TEST(test_a_direct_connection_is_limited_by_max_in_flight_alone) {
        unsigned in_flight = 0, long_lived = 0;
        while (bus_budget_allows_direct(in_flight, long_lived, 256, false)) {
                in_flight++;
                ck_assert_uint_lt(in_flight, 1000);
        }
        ck_assert_uint_eq(in_flight, 256);

        in_flight = 0;
        while (bus_budget_allows_direct(in_flight, long_lived, 256, true)) {
                in_flight++;
                long_lived++;
                ck_assert_uint_lt(in_flight, 1000);
        }
        ck_assert_uint_eq(long_lived, 128);
        ck_assert(bus_budget_allows_direct(in_flight, long_lived, 256, false));
        ck_assert(bus_budget_allows_direct(0, 0, 1, true));
        ck_assert(!bus_budget_allows_direct(1, 0, 1, false));
}
END_TEST

START_TEST(test_max_in_flight_is_the_limit_when_lower) {
        unsigned owed[2] = {};
        ck_assert_uint_eq(fill(owed, 2, 0, 16, false), 16);
        ck_assert(!bus_budget_allows(owed, 2, 0, 0, 16, false));
        ck_assert(bus_budget_allows(owed, 2, 1, 0, 16, false));
}
END_TEST

START_TEST(test_a_full_backend_leaves_the_others_their_share) {
        unsigned owed[3] = {};
        unsigned first = fill(owed, 3, 0, 256, false);
        unsigned second = fill(owed, 3, 1, 256, false);
        unsigned third = fill(owed, 3, 2, 256, false);
        ck_assert_uint_gt(second, 0);
        ck_assert_uint_gt(third, 0);
        ck_assert_uint_ge(third,
                (BUS_PENDING_REPLIES_MAX - BUS_PENDING_RESERVED - 3 * BUS_PENDING_RESERVED_PER_BACKEND) / 6);
        /* All together never more than the bus allows, less what the gateway keeps for itself. */
        ck_assert_uint_le(first + second + third + BUS_PENDING_RESERVED + 3 * BUS_PENDING_RESERVED_PER_BACKEND,
                BUS_PENDING_REPLIES_MAX);
        ck_assert(!bus_budget_allows(owed, 3, 0, 0, 256, false));
}
END_TEST

START_TEST(test_replies_owed_after_the_gateway_gave_up_still_count) {
        /* A backend whose server never answers (stopped) keeps what it is owed: it cannot take more. */
        unsigned owed[2] = { 0, 0 };
        fill(owed, 2, 0, 256, false);
        ck_assert(!bus_budget_allows(owed, 2, 0, 0, 256, false));
        owed[0]--; /* one reply came */
        ck_assert(bus_budget_allows(owed, 2, 0, 0, 256, false));
}
END_TEST

START_TEST(test_listen_streams_take_at_most_half_a_share) {
        unsigned owed[2] = {};
        unsigned streams = fill(owed, 2, 0, 256, true);
        ck_assert_uint_gt(streams, 0);
        ck_assert_uint_le(streams,
                (BUS_PENDING_REPLIES_MAX - BUS_PENDING_RESERVED - 2 * BUS_PENDING_RESERVED_PER_BACKEND) / 8);
        /* Ordinary calls to the same backend still go, and to the other one. */
        ck_assert(bus_budget_allows(owed, 2, 0, streams, 256, false));
        ck_assert(bus_budget_allows(owed, 2, 1, 0, 256, false));
        /* With MaxInFlightPerBackend=16: 8 streams, and 8 ordinary calls beside them. */
        unsigned small[2] = {};
        ck_assert_uint_eq(fill(small, 2, 0, 16, true), 8);
        ck_assert_uint_eq(fill(small, 2, 0, 16, false), 8);
}
END_TEST

START_TEST(test_many_backends_each_get_at_least_one) {
        unsigned owed[60] = {};
        for (size_t i = 0; i < ELEMENTSOF(owed); i++)
                ck_assert(bus_budget_allows(owed, ELEMENTSOF(owed), i, 0, 256, false));
}
END_TEST

static Suite *bus_budget_suite(void) {
        Suite *s = suite_create("bus-budget");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_one_backend_stays_below_what_the_bus_allows);
        tcase_add_test(tc, test_max_in_flight_is_the_limit_when_lower);
        tcase_add_test(tc, test_a_full_backend_leaves_the_others_their_share);
        tcase_add_test(tc, test_replies_owed_after_the_gateway_gave_up_still_count);
        tcase_add_test(tc, test_listen_streams_take_at_most_half_a_share);
        tcase_add_test(tc, test_many_backends_each_get_at_least_one);
        tcase_add_test(tc, test_a_direct_connection_is_limited_by_max_in_flight_alone);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(bus_budget_suite());
}
