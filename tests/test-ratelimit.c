/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Token buckets: a burst beyond the bucket is refused with a sensible wait, and the call after it goes on. */
#include <check.h>
#include <stdio.h>

#include "json-util.h"
#include "ratelimit.h"
#include "test-util.h"

#define SEC USEC_PER_SEC

static RateLimit *limit_new(const char *read, uint64_t read_burst, const char *write, const char *destructive,
        unsigned max_principals) {
        RateLimitConfig c = { .max_principals = max_principals };
        ck_assert_int_eq(ratelimit_rule_parse(read, &c.rules[TOOL_CLASS_READ]), 0);
        c.rules[TOOL_CLASS_READ].burst = read_burst;
        ck_assert_int_eq(ratelimit_rule_parse(write, &c.rules[TOOL_CLASS_WRITE]), 0);
        ck_assert_int_eq(ratelimit_rule_parse(destructive, &c.rules[TOOL_CLASS_DESTRUCTIVE]), 0);
        RateLimit *rl = NULL;
        ck_assert_int_eq(ratelimit_new(&c, &rl), 0);
        return rl;
}

START_TEST(test_burst_beyond_bucket_is_refused_then_next_succeeds) {
        /* 10 per second, 5 saved up. */
        _cleanup_(ratelimit_freep) RateLimit *rl = limit_new("10/s", 5, "", "", 0);
        uint64_t now = 1000 * SEC, retry = 0;

        for (int i = 0; i < 5; i++)
                ck_assert_int_eq(ratelimit_take(rl, "key:ci", TOOL_CLASS_READ, now, &retry), 1);
        ck_assert_int_eq(ratelimit_take(rl, "key:ci", TOOL_CLASS_READ, now, &retry), 0);
        /* One token comes every 100 ms. */
        ck_assert_uint_eq(retry, 100 * USEC_PER_MSEC);
        ck_assert_uint_eq(ratelimit_retry_after_sec(retry), 1);

        /* Too early: still refused, with the rest of the wait. */
        ck_assert_int_eq(ratelimit_take(rl, "key:ci", TOOL_CLASS_READ, now + 60 * USEC_PER_MSEC, &retry), 0);
        ck_assert_uint_eq(retry, 40 * USEC_PER_MSEC);

        /* After the wait it is given, once. */
        ck_assert_int_eq(ratelimit_take(rl, "key:ci", TOOL_CLASS_READ, now + 100 * USEC_PER_MSEC, &retry), 1);
        ck_assert_int_eq(ratelimit_take(rl, "key:ci", TOOL_CLASS_READ, now + 100 * USEC_PER_MSEC, &retry), 0);

        /* A long pause refills to the burst, not beyond. */
        now += 3600 * SEC;
        for (int i = 0; i < 5; i++)
                ck_assert_int_eq(ratelimit_take(rl, "key:ci", TOOL_CLASS_READ, now, &retry), 1);
        ck_assert_int_eq(ratelimit_take(rl, "key:ci", TOOL_CLASS_READ, now, &retry), 0);
}
END_TEST

START_TEST(test_slow_rate_retry_after_rounds_up) {
        /* 2 per minute, burst 2: the third waits 30 s. */
        _cleanup_(ratelimit_freep) RateLimit *rl = limit_new("", 0, "", "2/min", 0);
        uint64_t now = 5 * SEC, retry = 0;

        ck_assert_int_eq(ratelimit_take(rl, "anonymous", TOOL_CLASS_DESTRUCTIVE, now, &retry), 1);
        ck_assert_int_eq(ratelimit_take(rl, "anonymous", TOOL_CLASS_DESTRUCTIVE, now, &retry), 1);
        ck_assert_int_eq(ratelimit_take(rl, "anonymous", TOOL_CLASS_DESTRUCTIVE, now + 1, &retry), 0);
        ck_assert_uint_eq(retry, 30 * SEC - 1);
        ck_assert_uint_eq(ratelimit_retry_after_sec(retry), 30);
        ck_assert_uint_eq(ratelimit_retry_after_sec(30 * SEC + 1), 31);
        ck_assert_uint_eq(ratelimit_retry_after_sec(1), 1);

        ck_assert_int_eq(ratelimit_take(rl, "anonymous", TOOL_CLASS_DESTRUCTIVE, now + 1 + retry, &retry), 1);
}
END_TEST

START_TEST(test_classes_and_principals_have_their_own_buckets) {
        _cleanup_(ratelimit_freep) RateLimit *rl = limit_new("1/h", 0, "1/h", "", 0);
        uint64_t retry;

        ck_assert_int_eq(ratelimit_take(rl, "key:a", TOOL_CLASS_READ, SEC, &retry), 1);
        ck_assert_int_eq(ratelimit_take(rl, "key:a", TOOL_CLASS_READ, SEC, &retry), 0);
        ck_assert_uint_eq(ratelimit_retry_after_sec(retry), 3600);
        /* Another class of the same principal, and the same class of another principal. */
        ck_assert_int_eq(ratelimit_take(rl, "key:a", TOOL_CLASS_WRITE, SEC, &retry), 1);
        ck_assert_int_eq(ratelimit_take(rl, "key:b", TOOL_CLASS_READ, SEC, &retry), 1);
        /* An unlimited class never refuses and keeps nothing. */
        for (int i = 0; i < 1000; i++)
                ck_assert_int_eq(ratelimit_take(rl, "key:c", TOOL_CLASS_DESTRUCTIVE, SEC, &retry), 1);
        ck_assert_uint_eq(ratelimit_size(rl), 2);
}
END_TEST

START_TEST(test_table_is_bounded_and_drops_least_recently_used) {
        _cleanup_(ratelimit_freep) RateLimit *rl = limit_new("1/h", 0, "", "", 3);
        uint64_t retry;
        char name[32];

        ck_assert_int_eq(ratelimit_take(rl, "key:a", TOOL_CLASS_READ, SEC, &retry), 1);
        ck_assert_int_eq(ratelimit_take(rl, "key:b", TOOL_CLASS_READ, SEC, &retry), 1);
        ck_assert_int_eq(ratelimit_take(rl, "key:c", TOOL_CLASS_READ, SEC, &retry), 1);
        /* a is used again (and refused): b is now the least recently used. */
        ck_assert_int_eq(ratelimit_take(rl, "key:a", TOOL_CLASS_READ, SEC, &retry), 0);
        ck_assert_int_eq(ratelimit_take(rl, "key:d", TOOL_CLASS_READ, SEC, &retry), 1);
        ck_assert_uint_eq(ratelimit_size(rl), 3);
        /* a and c are still remembered, b was dropped. */
        ck_assert_int_eq(ratelimit_take(rl, "key:a", TOOL_CLASS_READ, SEC, &retry), 0);
        ck_assert_int_eq(ratelimit_take(rl, "key:c", TOOL_CLASS_READ, SEC, &retry), 0);

        for (int i = 0; i < 10000; i++) {
                snprintf(name, sizeof(name), "key:%d", i);
                ck_assert_int_eq(ratelimit_take(rl, name, TOOL_CLASS_READ, SEC, &retry), 1);
        }
        ck_assert_uint_eq(ratelimit_size(rl), 3);
}
END_TEST

START_TEST(test_rule_parsing) {
        RateLimitRule r = {};
        ck_assert_int_eq(ratelimit_rule_parse("100/s", &r), 0);
        ck_assert_uint_eq(r.count, 100);
        ck_assert_uint_eq(r.period_usec, SEC);
        ck_assert_int_eq(ratelimit_rule_parse("5/min", &r), 0);
        ck_assert_uint_eq(r.period_usec, 60 * SEC);
        ck_assert_int_eq(ratelimit_rule_parse("7/hour", &r), 0);
        ck_assert_uint_eq(r.count, 7);
        ck_assert_uint_eq(r.period_usec, 3600 * SEC);
        ck_assert_int_eq(ratelimit_rule_parse("infinity", &r), 0);
        ck_assert_uint_eq(r.count, 0);

        static const char *const bad[] = { "100", "0/s", "-1/s", "10/day", "/s", "1.5/s", "10/ s", "99999999999/s" };
        FOREACH_ELEMENT(b, bad)
        ck_assert_msg(ratelimit_rule_parse(*b, &r) == -EINVAL, "%s parsed", *b);
}
END_TEST

START_TEST(test_class_from_annotations) {
        static const struct {
                const char *annotations;
                ToolClass class;
        } cases[] = {
                { NULL, TOOL_CLASS_WRITE },
                { "{}", TOOL_CLASS_WRITE },
                { "{\"readOnlyHint\":true}", TOOL_CLASS_READ },
                { "{\"readOnlyHint\":true,\"destructiveHint\":true}", TOOL_CLASS_READ },
                { "{\"readOnlyHint\":false,\"destructiveHint\":true}", TOOL_CLASS_DESTRUCTIVE },
                { "{\"destructiveHint\":true}", TOOL_CLASS_DESTRUCTIVE },
                { "{\"destructiveHint\":false}", TOOL_CLASS_WRITE },
                { "{\"readOnlyHint\":\"yes\"}", TOOL_CLASS_WRITE },
                { "[]", TOOL_CLASS_WRITE },
        };
        FOREACH_ELEMENT(c, cases) {
                _cleanup_json_ json_object *a = c->annotations ? json_tokener_parse(c->annotations) : NULL;
                ck_assert_msg(tool_class_from_annotations(a) == c->class, "%s", strempty(c->annotations));
        }
        ck_assert_str_eq(tool_class_to_string(TOOL_CLASS_DESTRUCTIVE), "destructive");
        ck_assert_int_eq(tool_class_from_string("read"), TOOL_CLASS_READ);
        ck_assert_int_eq(tool_class_from_string("delete"), _TOOL_CLASS_INVALID);
}
END_TEST

static Suite *ratelimit_suite(void) {
        Suite *s = suite_create("ratelimit");
        TCase *tc = tcase_create("ratelimit");
        tcase_add_test(tc, test_burst_beyond_bucket_is_refused_then_next_succeeds);
        tcase_add_test(tc, test_slow_rate_retry_after_rounds_up);
        tcase_add_test(tc, test_classes_and_principals_have_their_own_buckets);
        tcase_add_test(tc, test_table_is_bounded_and_drops_least_recently_used);
        tcase_add_test(tc, test_rule_parsing);
        tcase_add_test(tc, test_class_from_annotations);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(ratelimit_suite());
}
