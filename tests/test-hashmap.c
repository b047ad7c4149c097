/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The string hashmap: put, get, remove, growth and iteration with removal. */
#include <check.h>
#include <stdio.h>

#include "hashmap.h"
#include "test-util.h"

START_TEST(test_put_get_remove) {
        _cleanup_(hashmap_freep) Hashmap *h = hashmap_new();
        int a = 1, b = 2;
        ck_assert_int_eq(hashmap_put(h, "a", &a), 0);
        ck_assert_int_eq(hashmap_put(h, "b", &b), 0);
        ck_assert_int_eq(hashmap_put(h, "a", &b), -EEXIST);
        ck_assert_ptr_eq(hashmap_get(h, "a"), &a);
        ck_assert_ptr_eq(hashmap_remove(h, "a"), &a);
        ck_assert_ptr_null(hashmap_get(h, "a"));
        ck_assert_ptr_null(hashmap_remove(h, "a"));
        ck_assert_int_eq(hashmap_size(h), 1);
        ck_assert_int_eq(hashmap_put(h, "a", &a), 0);
}
END_TEST

START_TEST(test_many_keys_grow_and_iterate) {
        _cleanup_(hashmap_freep) Hashmap *h = hashmap_new();
        static char keys[5000][16];
        for (int i = 0; i < 5000; i++) {
                snprintf(keys[i], sizeof(keys[i]), "k%d", i);
                ck_assert_int_eq(hashmap_put(h, keys[i], keys[i]), 0);
        }
        ck_assert_int_eq(hashmap_size(h), 5000);

        /* Remove every other entry while iterating. */
        size_t state = 0, seen = 0;
        const char *key;
        void *value;
        while (hashmap_iterate(h, &state, &value, &key)) {
                ck_assert_ptr_eq(key, value);
                if (seen++ % 2 == 0)
                        hashmap_remove(h, key);
        }
        ck_assert_int_eq(seen, 5000);
        ck_assert_int_eq(hashmap_size(h), 2500);
        for (int i = 0; i < 5000; i++)
                if (hashmap_get(h, keys[i]))
                        ck_assert_ptr_eq(hashmap_get(h, keys[i]), keys[i]);
}
END_TEST

START_TEST(test_churn_reuses_tombstones) {
        _cleanup_(hashmap_freep) Hashmap *h = hashmap_new();
        static char keys[64][16];
        for (int round = 0; round < 1000; round++) {
                char *k = keys[round % 64];
                snprintf(k, 16, "r%d", round);
                ck_assert_int_eq(hashmap_put(h, k, k), 0);
                if (round >= 32)
                        hashmap_remove(h, keys[(round - 32) % 64]);
        }
        ck_assert_int_eq(hashmap_size(h), 32);
}
END_TEST

static Suite *hashmap_suite(void) {
        Suite *s = suite_create("hashmap");
        TCase *tc = tcase_create("hashmap");
        tcase_add_test(tc, test_put_get_remove);
        tcase_add_test(tc, test_many_keys_grow_and_iterate);
        tcase_add_test(tc, test_churn_reuses_tombstones);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(hashmap_suite());
}
