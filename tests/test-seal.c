/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sealed tokens open only unaltered, with the same key and the same context. */
#include <check.h>

#include "seal.h"
#include "test-util.h"

static SealKey key, other;

static void setup(void) {
        ck_assert_int_eq(seal_key_generate(&key), 0);
        ck_assert_int_eq(seal_key_generate(&other), 0);
}

START_TEST(test_seal_round_trip) {
        _cleanup_free_ char *token = NULL;
        _cleanup_free_ void *data = NULL;
        size_t size;
        ck_assert_int_eq(seal(&key, "ctx", "hello", 5, &token), 0);
        ck_assert_int_eq(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                strlen(token));
        ck_assert_int_eq(unseal(&key, "ctx", token, &data, &size), 0);
        ck_assert_int_eq(size, 5);
        ck_assert_str_eq(data, "hello");
}
END_TEST

START_TEST(test_seal_empty_data) {
        _cleanup_free_ char *token = NULL;
        _cleanup_free_ void *data = NULL;
        size_t size = 99;
        ck_assert_int_eq(seal(&key, "ctx", "", 0, &token), 0);
        ck_assert_int_eq(unseal(&key, "ctx", token, &data, &size), 0);
        ck_assert_int_eq(size, 0);
}
END_TEST

START_TEST(test_same_data_seals_differently) {
        _cleanup_free_ char *a = NULL, *b = NULL;
        ck_assert_int_eq(seal(&key, "ctx", "same", 4, &a), 0);
        ck_assert_int_eq(seal(&key, "ctx", "same", 4, &b), 0);
        ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(test_tampered_token_is_refused) {
        _cleanup_free_ char *token = NULL;
        void *data = NULL;
        ck_assert_int_eq(seal(&key, "ctx", "some state", 10, &token), 0);
        for (size_t i = 0; token[i]; i++) {
                char saved = token[i];
                token[i] = saved == 'A' ? 'B' : 'A';
                ck_assert_int_eq(unseal(&key, "ctx", token, &data, NULL), -EBADMSG);
                token[i] = saved;
        }
}
END_TEST

START_TEST(test_truncated_token_is_refused) {
        _cleanup_free_ char *token = NULL;
        void *data = NULL;
        ck_assert_int_eq(seal(&key, "ctx", "some state", 10, &token), 0);
        for (size_t l = strlen(token); l-- > 0;) {
                token[l] = 0;
                ck_assert_int_eq(unseal(&key, "ctx", token, &data, NULL), -EBADMSG);
        }
}
END_TEST

START_TEST(test_foreign_key_or_context_is_refused) {
        _cleanup_free_ char *token = NULL;
        void *data = NULL;
        ck_assert_int_eq(seal(&key, "ctx", "x", 1, &token), 0);
        ck_assert_int_eq(unseal(&other, "ctx", token, &data, NULL), -EBADMSG);
        ck_assert_int_eq(unseal(&key, "other", token, &data, NULL), -EBADMSG);
}
END_TEST

START_TEST(test_garbage_is_refused) {
        void *data = NULL;
        ck_assert_int_eq(unseal(&key, "ctx", "", &data, NULL), -EBADMSG);
        ck_assert_int_eq(unseal(&key, "ctx", "not base64!", &data, NULL), -EBADMSG);
        ck_assert_int_eq(unseal(&key, "ctx", "AAAA", &data, NULL), -EBADMSG);
}
END_TEST

START_TEST(test_derived_keys_agree_per_purpose) {
        /* Derived when first used: a key from the same secret and purpose opens what another sealed, one for
         * another purpose or from another secret does not. */
        _cleanup_(seal_key_wipe) SealKey a = {}, b = {}, c = {}, d = {};
        ck_assert_int_eq(seal_key_derive(&a, "secret", 6, "purpose"), 0);
        ck_assert_int_eq(seal_key_derive(&b, "secret", 6, "purpose"), 0);
        ck_assert_int_eq(seal_key_derive(&c, "secret", 6, "other"), 0);
        ck_assert_int_eq(seal_key_derive(&d, "secreT", 6, "purpose"), 0);
        _cleanup_free_ char *token = NULL;
        ck_assert_int_eq(seal(&a, "ctx", "x", 1, &token), 0);
        ck_assert_ptr_null(a.pending);
        _cleanup_free_ void *data = NULL;
        ck_assert_int_eq(unseal(&b, "ctx", token, &data, NULL), 0);
        ck_assert_str_eq(data, "x");
        ck_assert_mem_eq(a.bytes, b.bytes, SEAL_KEY_SIZE);
        ck_assert_int_eq(unseal(&c, "ctx", token, &data, NULL), -EBADMSG);
        ck_assert_int_eq(unseal(&d, "ctx", token, &data, NULL), -EBADMSG);
        ck_assert(memcmp(a.bytes, c.bytes, SEAL_KEY_SIZE) != 0);
}
END_TEST

START_TEST(test_wiped_pending_key_is_all_zero) {
        SealKey k, zero = {};
        ck_assert_int_eq(seal_key_derive(&k, "secret", 6, "purpose"), 0);
        ck_assert_ptr_nonnull(k.pending);
        seal_key_wipe(&k);
        ck_assert(memcmp(&k, &zero, sizeof(k)) == 0);
}
END_TEST

START_TEST(test_wiped_key_is_all_zero) {
        SealKey k, zero = {};
        ck_assert_int_eq(seal_key_generate(&k), 0);
        ck_assert(memcmp(&k, &zero, sizeof(k)) != 0);
        seal_key_wipe(&k);
        ck_assert(memcmp(&k, &zero, sizeof(k)) == 0);
        seal_key_wipe(NULL);
}
END_TEST

static Suite *seal_suite(void) {
        Suite *s = suite_create("seal");
        TCase *tc = tcase_create("seal");
        tcase_add_checked_fixture(tc, setup, NULL);
        tcase_add_test(tc, test_seal_round_trip);
        tcase_add_test(tc, test_seal_empty_data);
        tcase_add_test(tc, test_same_data_seals_differently);
        tcase_add_test(tc, test_tampered_token_is_refused);
        tcase_add_test(tc, test_truncated_token_is_refused);
        tcase_add_test(tc, test_foreign_key_or_context_is_refused);
        tcase_add_test(tc, test_garbage_is_refused);
        tcase_add_test(tc, test_derived_keys_agree_per_purpose);
        tcase_add_test(tc, test_wiped_key_is_all_zero);
        tcase_add_test(tc, test_wiped_pending_key_is_all_zero);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(seal_suite());
}
