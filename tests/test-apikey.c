/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* API keys verify only as made, expire, and stop verifying everywhere once revoked; the store file stays
 * private, whole and shared between editors and replicas. */
#include <check.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "apikey.h"
#include "strv.h"
#include "test-util.h"

#define NOW (UINT64_C(1800000000) * USEC_PER_SEC)

static char dir[64], path[PATH_MAX];

static void setup(void) {
        strcpy(dir, "/tmp/test-apikey-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/api-keys", dir);
}

static int remove_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(p);
}

static void teardown(void) {
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static ApiKeyStore *store_new(const char *pepper) {
        ApiKeyStore *s = NULL;
        ck_assert_int_eq(apikey_store_open(path, pepper, pepper ? strlen(pepper) : 0, &s), 0);
        return s;
}

static char *create(ApiKeyStore *s, const char *name, char **scopes, uint64_t expires) {
        char *key = NULL;
        ck_assert_int_eq(apikey_create(s, name, scopes, NOW, expires, &key, NULL), 0);
        return key;
}

/* A key file written elsewhere: the hash is HMAC-SHA-256 keyed with salt || pepper, as Python's hmac module
 * computes it, so that a store outlives a change of the library that computes it. */
START_TEST(test_known_hash_verifies) {
        FILE *f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        fputs("pepper\t12cc194d24ee9a19\n"
              "0123456789ab\tknown\ttools:sysops\t1700000000\t0\t000102030405060708090a0b0c0d0e0f\t"
              "51bf56748793cf79684a6033545036340d276fd312af430b236143ef05086ec3\n",
                f);
        ck_assert_int_eq(fclose(f), 0);
        _cleanup_(apikey_store_freep) ApiKeyStore *s = store_new("server pepper");
        _cleanup_free_ char *principal = NULL;
        ck_assert_int_eq(apikey_store_verify(s, "aios_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NOW,
                                 &principal, NULL, NULL),
                1);
        ck_assert_str_eq(principal, "key:known");
        ck_assert_int_eq(apikey_store_verify(s, "aios_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", NOW,
                                 NULL, NULL, NULL),
                0);
}
END_TEST

START_TEST(test_created_key_verifies_with_its_principal_and_scopes) {
        _cleanup_(apikey_store_freep) ApiKeyStore *s = store_new(NULL);
        char *scopes[] = { (char *) "tools:sysops", (char *) "tools:sysops:system_info", NULL };
        _cleanup_free_ char *key = NULL;
        ApiKeyInfo info = {};
        ck_assert_int_eq(apikey_create(s, "ci-bot", scopes, NOW, 0, &key, &info), 0);
        ck_assert(apikey_text_is_key(key));
        ck_assert_int_eq(strlen(key), 5 + 12 + 1 + 43);
        ck_assert(strncmp(key + 5, info.id, 12) == 0);
        ck_assert_str_eq(info.name, "ci-bot");
        apikey_info_done(&info);

        _cleanup_free_ char *principal = NULL;
        _cleanup_strv_free_ char **got = NULL;
        const char *error = NULL;
        ck_assert_int_eq(apikey_store_verify(s, key, NOW, &principal, &got, &error), 1);
        ck_assert_str_eq(principal, "key:ci-bot");
        ck_assert_int_eq(strv_length(got), 2);
        ck_assert_str_eq(got[0], "tools:sysops");
        ck_assert_str_eq(got[1], "tools:sysops:system_info");
}
END_TEST

START_TEST(test_altered_unknown_and_malformed_keys_are_refused) {
        _cleanup_(apikey_store_freep) ApiKeyStore *s = store_new(NULL);
        _cleanup_free_ char *key = create(s, "a", NULL, 0);
        const char *error = NULL;

        /* Every character of the secret matters. */
        for (size_t i = 18; key[i]; i++) {
                char saved = key[i];
                key[i] = saved == 'A' ? 'B' : 'A';
                error = NULL;
                ck_assert_int_eq(apikey_store_verify(s, key, NOW, NULL, NULL, &error), 0);
                ck_assert_ptr_nonnull(error);
                key[i] = saved;
        }
        ck_assert_int_eq(apikey_store_verify(s, key, NOW, NULL, NULL, NULL), 1);

        /* Another id with the same secret. */
        _cleanup_free_ char *other = strdup(key);
        other[5] = other[5] == '0' ? '1' : '0';
        ck_assert_int_eq(apikey_store_verify(s, other, NOW, NULL, NULL, &error), 0);
        ck_assert_str_eq(error, "The API key is unknown or revoked.");

        const char *malformed[] = { "", "aios_", "Bearer x", "aios_0123456789ab", "eyJhbGciOiJub25lIn0.e30.",
                "aios_0123456789AB_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
        FOREACH_ELEMENT(m, malformed) {
                ck_assert_int_eq(apikey_store_verify(s, *m, NOW, NULL, NULL, &error), 0);
                ck_assert_str_eq(error, "The API key is malformed.");
        }
        /* The key with something appended or cut short. */
        _cleanup_free_ char *longer = NULL;
        ck_assert_int_ge(asprintf(&longer, "%sA", key), 0);
        ck_assert_int_eq(apikey_store_verify(s, longer, NOW, NULL, NULL, NULL), 0);
        key[strlen(key) - 1] = 0;
        ck_assert_int_eq(apikey_store_verify(s, key, NOW, NULL, NULL, NULL), 0);
}
END_TEST

START_TEST(test_expired_key_is_refused) {
        _cleanup_(apikey_store_freep) ApiKeyStore *s = store_new(NULL);
        uint64_t expires = NOW + 3600 * USEC_PER_SEC;
        _cleanup_free_ char *key = create(s, "temp", NULL, expires);
        const char *error = NULL;
        ck_assert_int_eq(apikey_store_verify(s, key, expires - USEC_PER_SEC, NULL, NULL, &error), 1);
        ck_assert_int_eq(apikey_store_verify(s, key, expires, NULL, NULL, &error), 0);
        ck_assert_str_eq(error, "The API key has expired.");

        /* An expiry in the past is refused when creating. */
        char *k = NULL;
        ck_assert_int_eq(apikey_create(s, "late", NULL, NOW, NOW, &k, NULL), -EINVAL);
        ck_assert_ptr_null(k);
}
END_TEST

START_TEST(test_revocation_reaches_another_replica_on_its_next_lookup) {
        _cleanup_(apikey_store_freep) ApiKeyStore *editor = store_new(NULL);
        _cleanup_(apikey_store_freep) ApiKeyStore *replica = store_new(NULL);
        _cleanup_free_ char *a = create(editor, "a", NULL, 0);
        _cleanup_free_ char *b = create(editor, "b", NULL, 0);
        ck_assert_int_eq(apikey_store_verify(replica, a, NOW, NULL, NULL, NULL), 1);
        ck_assert_int_eq(apikey_store_verify(replica, b, NOW, NULL, NULL, NULL), 1);

        char id[13];
        memcpy(id, a + 5, 12);
        id[12] = 0;
        ck_assert_int_eq(apikey_revoke(editor, id), 0);
        ck_assert_int_eq(apikey_revoke(editor, id), -ENOENT);
        ck_assert_int_eq(apikey_store_verify(replica, a, NOW, NULL, NULL, NULL), 0);
        ck_assert_int_eq(apikey_store_verify(replica, b, NOW, NULL, NULL, NULL), 1);

        /* A key made after the replica last read the file verifies at once too. */
        _cleanup_free_ char *c = create(editor, "c", NULL, 0);
        ck_assert_int_eq(apikey_store_verify(replica, c, NOW, NULL, NULL, NULL), 1);
}
END_TEST

START_TEST(test_missing_file_means_no_keys) {
        _cleanup_(apikey_store_freep) ApiKeyStore *s = store_new(NULL);
        ck_assert_int_eq(apikey_store_verify(s, "aios_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NOW,
                                 NULL, NULL, NULL),
                0);
        ApiKeyInfo *l = NULL;
        size_t n = 99;
        ck_assert_int_eq(apikey_list(s, &l, &n), 0);
        ck_assert_int_eq(n, 0);
        apikey_info_array_free(l, n);

        /* Removing the file removes every key. */
        _cleanup_free_ char *key = create(s, "a", NULL, 0);
        ck_assert_int_eq(apikey_store_verify(s, key, NOW, NULL, NULL, NULL), 1);
        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(apikey_store_verify(s, key, NOW, NULL, NULL, NULL), 0);
}
END_TEST

START_TEST(test_file_is_private_and_holds_no_secret) {
        _cleanup_(apikey_store_freep) ApiKeyStore *s = store_new(NULL);
        _cleanup_free_ char *key = create(s, "a", NULL, 0);
        struct stat st;
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_int_eq(st.st_mode & 07777, 0600);

        FILE *f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        char buf[4096] = {};
        fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        ck_assert_ptr_null(strstr(buf, key + 18));
        ck_assert_ptr_nonnull(strstr(buf, "\ta\t"));
}
END_TEST

START_TEST(test_pepper_is_part_of_the_hash) {
        _cleanup_(apikey_store_freep) ApiKeyStore *peppered = store_new("server pepper");
        _cleanup_(apikey_store_freep) ApiKeyStore *plain = store_new(NULL);
        _cleanup_(apikey_store_freep) ApiKeyStore *other = store_new("other pepper");
        _cleanup_free_ char *key = create(peppered, "a", NULL, 0);
        ck_assert_int_eq(apikey_store_verify(peppered, key, NOW, NULL, NULL, NULL), 1);

        /* The file says which pepper made its keys: a gateway with another one (or none) is told so
         * rather than refusing every key as if it were wrong. */
        ck_assert_int_eq(apikey_store_verify(plain, key, NOW, NULL, NULL, NULL), -EKEYREJECTED);
        ck_assert_int_eq(apikey_store_verify(other, key, NOW, NULL, NULL, NULL), -EKEYREJECTED);
        char *k = NULL;
        ck_assert_int_eq(apikey_create(other, "b", NULL, NOW, 0, &k, NULL), -EKEYREJECTED);
        ck_assert_int_eq(apikey_create(plain, "b", NULL, NOW, 0, &k, NULL), -EKEYREJECTED);
        ck_assert_ptr_null(k);

        /* Listing and revoking need no pepper, and keep the file's. */
        _cleanup_free_ char *key2 = create(peppered, "b", NULL, 0);
        char id[13];
        memcpy(id, key + 5, 12);
        id[12] = 0;
        ck_assert_int_eq(apikey_revoke(plain, id), 0);
        ck_assert_int_eq(apikey_store_verify(peppered, key, NOW, NULL, NULL, NULL), 0);
        ck_assert_int_eq(apikey_store_verify(peppered, key2, NOW, NULL, NULL, NULL), 1);
        ck_assert_int_eq(apikey_store_verify(plain, key2, NOW, NULL, NULL, NULL), -EKEYREJECTED);
}
END_TEST

START_TEST(test_store_without_pepper_record_takes_any_pepper) {
        /* Keys written before the store recorded its pepper: each key's hash alone decides. */
        _cleanup_(apikey_store_freep) ApiKeyStore *peppered = store_new("server pepper");
        _cleanup_(apikey_store_freep) ApiKeyStore *plain = store_new(NULL);
        _cleanup_free_ char *key = create(peppered, "a", NULL, 0);
        FILE *f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        char buf[4096] = {}, out[4096] = {};
        fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
                if (!startswith_ptr(line, "pepper\t")) {
                        strcat(out, line);
                        strcat(out, "\n");
                }
        f = fopen(path, "we");
        fputs(out, f);
        ck_assert_int_eq(fclose(f), 0);

        ck_assert_int_eq(apikey_store_verify(peppered, key, NOW, NULL, NULL, NULL), 1);
        ck_assert_int_eq(apikey_store_verify(plain, key, NOW, NULL, NULL, NULL), 0);
        /* A second pepper record, or a malformed one, is a corrupt file. */
        f = fopen(path, "ae");
        fputs("pepper\tnone\npepper\tnone\n", f);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(apikey_store_verify(peppered, key, NOW, NULL, NULL, NULL), -EBADMSG);
}
END_TEST

START_TEST(test_pepper_comes_from_the_credential) {
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/%s", dir, APIKEY_PEPPER_CREDENTIAL);
        void *pepper = NULL;
        size_t size = 0;

        ck_assert_int_eq(setenv("CREDENTIALS_DIRECTORY", dir, 1), 0);
        ck_assert_int_eq(apikey_pepper_load(NULL, &pepper, &size), 0);
        ck_assert_ptr_null(pepper);

        FILE *f = fopen(p, "we");
        ck_assert_ptr_nonnull(f);
        fputs("0123456789", f);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(apikey_pepper_load(NULL, &pepper, &size), 1);
        ck_assert_int_eq(size, 10);
        ck_assert_mem_eq(pepper, "0123456789", 10);
        free(pepper);

        f = fopen(p, "we");
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(apikey_pepper_load(NULL, &pepper, &size), -EINVAL);
        unsetenv("CREDENTIALS_DIRECTORY");
}
END_TEST

START_TEST(test_corrupt_file_verifies_nothing) {
        _cleanup_(apikey_store_freep) ApiKeyStore *s = store_new(NULL);
        _cleanup_free_ char *key = create(s, "a", NULL, 0);
        FILE *f = fopen(path, "ae");
        ck_assert_ptr_nonnull(f);
        fputs("this is not a key line\n", f);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(apikey_store_verify(s, key, NOW, NULL, NULL, NULL), -EBADMSG);
        /* ... and is not overwritten by an editor. */
        char *k = NULL;
        ck_assert_int_eq(apikey_create(s, "b", NULL, NOW, 0, &k, NULL), -EBADMSG);
}
END_TEST

START_TEST(test_invalid_names_and_scopes_are_refused) {
        _cleanup_(apikey_store_freep) ApiKeyStore *s = store_new(NULL);
        char *k = NULL;
        const char *names[] = { "", "has space", "tab\there", "new\nline", "comma,name",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
        FOREACH_ELEMENT(n, names)
        ck_assert_int_eq(apikey_create(s, *n, NULL, NOW, 0, &k, NULL), -EINVAL);
        char *bad[][2] = { { (char *) "tools:a,b", NULL }, { (char *) "", NULL }, { (char *) "a b", NULL } };
        FOREACH_ELEMENT(b, bad)
        ck_assert_int_eq(apikey_create(s, "ok", *b, NOW, 0, &k, NULL), -EINVAL);
        ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(test_concurrent_editors_lose_no_key) {
        enum { N = 8, PER = 5 };
        for (int c = 0; c < N; c++) {
                pid_t pid = fork();
                ck_assert_int_ge(pid, 0);
                if (pid == 0) {
                        ApiKeyStore *s = NULL;
                        if (apikey_store_open(path, NULL, 0, &s) < 0)
                                _exit(1);
                        for (int i = 0; i < PER; i++) {
                                char *k = NULL;
                                if (apikey_create(s, "worker", NULL, NOW, 0, &k, NULL) < 0)
                                        _exit(1);
                                free(k);
                        }
                        apikey_store_free(s);
                        _exit(0);
                }
        }
        for (int c = 0; c < N; c++) {
                int status;
                ck_assert_int_ge(wait(&status), 0);
                ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        _cleanup_(apikey_store_freep) ApiKeyStore *s = store_new(NULL);
        ApiKeyInfo *l = NULL;
        size_t n = 0;
        ck_assert_int_eq(apikey_list(s, &l, &n), 0);
        ck_assert_int_eq(n, N * PER);
        apikey_info_array_free(l, n);
}
END_TEST

START_TEST(test_default_path_follows_state_directory) {
        unsetenv("STATE_DIRECTORY");
        ck_assert_str_eq(apikey_store_default_path(), APIKEY_STORE_DEFAULT);
        setenv("STATE_DIRECTORY", "/var/lib/x:/var/lib/y", 1);
        ck_assert_str_eq(apikey_store_default_path(), "/var/lib/x/api-keys");
        setenv("STATE_DIRECTORY", "relative", 1);
        ck_assert_str_eq(apikey_store_default_path(), APIKEY_STORE_DEFAULT);
        unsetenv("STATE_DIRECTORY");
}
END_TEST

static Suite *apikey_suite(void) {
        Suite *s = suite_create("apikey");
        TCase *tc = tcase_create("apikey");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_created_key_verifies_with_its_principal_and_scopes);
        tcase_add_test(tc, test_altered_unknown_and_malformed_keys_are_refused);
        tcase_add_test(tc, test_expired_key_is_refused);
        tcase_add_test(tc, test_revocation_reaches_another_replica_on_its_next_lookup);
        tcase_add_test(tc, test_missing_file_means_no_keys);
        tcase_add_test(tc, test_file_is_private_and_holds_no_secret);
        tcase_add_test(tc, test_pepper_is_part_of_the_hash);
        tcase_add_test(tc, test_store_without_pepper_record_takes_any_pepper);
        tcase_add_test(tc, test_pepper_comes_from_the_credential);
        tcase_add_test(tc, test_corrupt_file_verifies_nothing);
        tcase_add_test(tc, test_invalid_names_and_scopes_are_refused);
        tcase_add_test(tc, test_concurrent_editors_lose_no_key);
        tcase_add_test(tc, test_default_path_follows_state_directory);
        tcase_add_test(tc, test_known_hash_verifies);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(apikey_suite());
}
