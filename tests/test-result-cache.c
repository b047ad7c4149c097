/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gateway's result cache: a result is reused only within its lifetime, only for the same caller with the
 * same scopes and arguments, only for tools that say they allow it, and within its bounds. */
#include <check.h>
#include <stdio.h>

#include "json-util.h"
#include "result-cache.h"
#include "test-util.h"

#define SEC USEC_PER_SEC

static json_object *parse(const char *text) {
        json_object *o = NULL;
        ck_assert_int_eq(json_parse_strict(text, strlen(text), &o, NULL), 0);
        return o;
}

static void key_of(const char *principal, const char *scopes, const char *arguments, char key[static 65]) {
        _cleanup_json_ json_object *args = parse(arguments);
        ck_assert_int_eq(result_cache_key("sysops", "system_info", principal, scopes, args, key), 0);
}

START_TEST(test_a_result_is_reused_within_its_lifetime_only) {
        _cleanup_(result_cache_freep) ResultCache *c = NULL;
        ck_assert_int_eq(result_cache_new(&c), 0);
        char key[65];
        key_of("key:a", "tools:sysops", "{}", key);
        _cleanup_json_ json_object *result = parse("{\"content\":[{\"type\":\"text\",\"text\":\"up\"}]}");
        ck_assert_int_eq(result_cache_put(c, key, result, 100 * SEC + 1 * SEC), 0);

        _cleanup_json_ json_object *hit = result_cache_get(c, key, 100 * SEC + 999999);
        ck_assert_ptr_nonnull(hit);
        ck_assert_str_eq(json_to_string(hit), json_to_string(result));
        /* At its end it is gone, and stays gone. */
        ck_assert_ptr_null(result_cache_get(c, key, 101 * SEC));
        ck_assert_ptr_null(result_cache_get(c, key, 100 * SEC));
        ck_assert_uint_eq(result_cache_size(c), 0);
}
END_TEST

START_TEST(test_keys_tell_callers_scopes_and_arguments_apart) {
        char a[65], b[65], a_other_scopes[65], a_other_args[65], a_reordered[65];
        key_of("key:a", "tools:sysops", "{\"x\":1,\"y\":2}", a);
        key_of("key:b", "tools:sysops", "{\"x\":1,\"y\":2}", b);
        key_of("key:a", "tools:*", "{\"x\":1,\"y\":2}", a_other_scopes);
        key_of("key:a", "tools:sysops", "{\"x\":1,\"y\":3}", a_other_args);
        key_of("key:a", "tools:sysops", "{\"y\":2,\"x\":1}", a_reordered);
        ck_assert_str_ne(a, b);
        ck_assert_str_ne(a, a_other_scopes);
        ck_assert_str_ne(a, a_other_args);
        /* The same arguments in another order are the same call. */
        ck_assert_str_eq(a, a_reordered);

        /* Parts are delimited: "ab" + "c" is not "a" + "bc". */
        char k1[65], k2[65];
        _cleanup_json_ json_object *args = parse("{}");
        ck_assert_int_eq(result_cache_key("sysops", "system_info", "ab", "c", args, k1), 0);
        ck_assert_int_eq(result_cache_key("sysops", "system_info", "a", "bc", args, k2), 0);
        ck_assert_str_ne(k1, k2);
}
END_TEST

START_TEST(test_only_tools_that_allow_it_are_cached) {
        static const struct {
                const char *descriptor;
                uint64_t ttl;
        } cases[] = {
                { "{\"annotations\":{\"readOnlyHint\":true,\"idempotentHint\":true},\"_meta\":{\"io.aios/cacheTtlMs\":1500}}",
                        1500 * USEC_PER_MSEC },
                /* Not idempotent, not read-only, no lifetime, a lifetime that is no number: never. */
                { "{\"annotations\":{\"readOnlyHint\":true},\"_meta\":{\"io.aios/cacheTtlMs\":1500}}", 0 },
                { "{\"annotations\":{\"idempotentHint\":true},\"_meta\":{\"io.aios/cacheTtlMs\":1500}}", 0 },
                { "{\"annotations\":{\"readOnlyHint\":true,\"idempotentHint\":true}}", 0 },
                { "{\"annotations\":{\"readOnlyHint\":true,\"idempotentHint\":true},\"_meta\":{\"io.aios/cacheTtlMs\":\"9\"}}",
                        0 },
                { "{\"annotations\":{\"readOnlyHint\":true,\"idempotentHint\":true},\"_meta\":{\"io.aios/cacheTtlMs\":-5}}",
                        0 },
                /* A server cannot ask for more than the gateway's maximum. */
                { "{\"annotations\":{\"readOnlyHint\":true,\"idempotentHint\":true},\"_meta\":{\"io.aios/cacheTtlMs\":86400000}}",
                        RESULT_CACHE_TTL_MAX_USEC },
        };
        FOREACH_ELEMENT(t, cases) {
                _cleanup_json_ json_object *d = parse(t->descriptor);
                ck_assert_uint_eq(result_cache_ttl_of(d), t->ttl);
        }
        ck_assert_uint_eq(result_cache_ttl_of(NULL), 0);
}
END_TEST

START_TEST(test_bounded_least_recently_used_first) {
        _cleanup_(result_cache_freep) ResultCache *c = NULL;
        ck_assert_int_eq(result_cache_new(&c), 0);
        _cleanup_json_ json_object *result = parse("{\"content\":[]}");
        char first[65] = "", key[65];
        for (unsigned i = 0; i < RESULT_CACHE_ENTRIES_MAX + 10; i++) {
                char args[32];
                snprintf(args, sizeof(args), "{\"i\":%u}", i);
                key_of("key:a", "", args, key);
                ck_assert_int_eq(result_cache_put(c, key, result, 1000 * SEC), 0);
                if (i == 0)
                        memcpy(first, key, sizeof(first));
                /* The first is used all along, so it stays. */
                json_object_put(result_cache_get(c, first, SEC));
        }
        ck_assert_uint_eq(result_cache_size(c), RESULT_CACHE_ENTRIES_MAX);
        _cleanup_json_ json_object *kept = result_cache_get(c, first, SEC);
        ck_assert_ptr_nonnull(kept);
        key_of("key:a", "", "{\"i\":1}", key);
        ck_assert_ptr_null(result_cache_get(c, key, SEC));
}
END_TEST

static Suite *result_cache_suite(void) {
        Suite *s = suite_create("result-cache");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_a_result_is_reused_within_its_lifetime_only);
        tcase_add_test(tc, test_keys_tell_callers_scopes_and_arguments_apart);
        tcase_add_test(tc, test_only_tools_that_allow_it_are_cached);
        tcase_add_test(tc, test_bounded_least_recently_used_first);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(result_cache_suite());
}
