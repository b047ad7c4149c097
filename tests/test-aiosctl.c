/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aiosctl key create|list|revoke, run as a real process on a store file, agree with the gateway's key
 * module: a created key verifies, a revoked one no longer does. */
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "apikey.h"
#include "strv.h"
#include "test-util.h"

static char dir[64], store[128], pepper[128];
static const char *aiosctl;

static void setup(void) {
        strcpy(dir, "/tmp/test-aiosctl-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(store, sizeof(store), "%s/api-keys", dir);
        snprintf(pepper, sizeof(pepper), "%s/pepper", dir);
}

static int remove_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(p);
}

static void teardown(void) {
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void read_all(int fd, char **ret) {
        size_t n = 0, cap = 4096;
        char *buf = malloc(cap);
        ck_assert_ptr_nonnull(buf);
        for (;;) {
                if (n + 1 >= cap)
                        ck_assert_ptr_nonnull(buf = realloc(buf, cap *= 2));
                ssize_t l = read(fd, buf + n, cap - n - 1);
                ck_assert_int_ge(l, 0);
                if (l == 0)
                        break;
                n += (size_t) l;
        }
        buf[n] = 0;
        *ret = buf;
}

/* Runs aiosctl --store STORE ARGS... (NULL-terminated); returns its exit status, with stdout and stderr. */
static int run(char **ret_out, char **ret_err, ...) {
        char *argv[32] = { (char *) aiosctl, (char *) "--store", store };
        size_t n = 3;
        va_list ap;
        va_start(ap, ret_err);
        for (char *a; (a = va_arg(ap, char *));) {
                ck_assert_uint_lt(n, ELEMENTSOF(argv) - 1);
                argv[n++] = a;
        }
        va_end(ap);

        int out[2], err[2];
        ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
        ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                dup2(out[1], STDOUT_FILENO);
                dup2(err[1], STDERR_FILENO);
                unsetenv("CREDENTIALS_DIRECTORY");
                execv(aiosctl, argv);
                _exit(127);
        }
        close(out[1]);
        close(err[1]);
        /* Small outputs: stderr fits its pipe while stdout is read to the end. */
        char *o, *e;
        read_all(out[0], &o);
        read_all(err[0], &e);
        close(out[0]);
        close(err[0]);
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status));
        if (ret_out)
                *ret_out = o;
        else
                free(o);
        if (ret_err)
                *ret_err = e;
        else
                free(e);
        return WEXITSTATUS(status);
}

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static int verify(const char *key, const char *pepper_text, char **ret_principal, char ***ret_scopes) {
        _cleanup_(apikey_store_freep) ApiKeyStore *s = NULL;
        ck_assert_int_eq(apikey_store_open(store, pepper_text, pepper_text ? strlen(pepper_text) : 0, &s), 0);
        return apikey_store_verify(s, key, now_usec(), ret_principal, ret_scopes, NULL);
}

START_TEST(test_create_verify_revoke) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        ck_assert_int_eq(run(&out, &err, "key", "create", "ci-bot", "--scope", "tools:sysops", "-s",
                                 "tools:conformance,admin", "--expires", "30d", NULL),
                0);
        /* stdout is the key alone, for scripts; stderr says what it is. */
        ck_assert(apikey_text_is_key(out));
        char *nl = strchr(out, '\n');
        ck_assert_ptr_nonnull(nl);
        ck_assert_str_eq(nl, "\n");
        *nl = 0;
        ck_assert_ptr_nonnull(strstr(err, "key:ci-bot"));
        ck_assert_ptr_nonnull(strstr(err, "tools:sysops tools:conformance admin"));

        _cleanup_free_ char *principal = NULL;
        _cleanup_strv_free_ char **scopes = NULL;
        ck_assert_int_eq(verify(out, NULL, &principal, &scopes), 1);
        ck_assert_str_eq(principal, "key:ci-bot");
        ck_assert_int_eq(strv_length(scopes), 3);
        ck_assert_str_eq(scopes[2], "admin");

        /* list shows the key's id and name, never its secret. */
        char id[13];
        memcpy(id, out + 5, 12);
        id[12] = 0;
        _cleanup_free_ char *list = NULL;
        ck_assert_int_eq(run(&list, NULL, "key", "list", NULL), 0);
        ck_assert_ptr_nonnull(strstr(list, id));
        ck_assert_ptr_nonnull(strstr(list, "ci-bot"));
        ck_assert_ptr_null(strstr(list, out + 18));

        _cleanup_free_ char *rerr = NULL;
        ck_assert_int_eq(run(NULL, &rerr, "key", "revoke", id, NULL), 0);
        ck_assert_int_eq(verify(out, NULL, NULL, NULL), 0);
        ck_assert_int_eq(run(NULL, NULL, "key", "revoke", id, NULL), 3); /* no such key */

        _cleanup_free_ char *list2 = NULL;
        ck_assert_int_eq(run(&list2, NULL, "key", "list", NULL), 0);
        ck_assert_ptr_null(strstr(list2, id));
}
END_TEST

START_TEST(test_refusals) {
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
        ck_assert_int_eq(run(NULL, &e1, "key", "create", "noscope", NULL), 2); /* wrong usage */
        ck_assert_ptr_nonnull(strstr(e1, "--scope"));
        ck_assert_int_eq(run(NULL, &e2, "key", "create", "bad name", "--scope", "a", NULL), 2);
        ck_assert_ptr_nonnull(strstr(e2, "NAME"));
        ck_assert_int_eq(run(NULL, &e3, "key", "create", "n", "--scope", "a", "--expires", "soon", NULL), 2);
        ck_assert_ptr_nonnull(strstr(e3, "--expires"));
        ck_assert_int_eq(run(NULL, &e4, "key", "frobnicate", NULL), 2);
        ck_assert_ptr_nonnull(strstr(e4, "Unknown command"));
        ck_assert_int_eq(access(store, F_OK), -1);

        /* A key for later that expires in a second: refused by the module after it. */
        _cleanup_free_ char *out = NULL;
        ck_assert_int_eq(run(&out, NULL, "key", "create", "short", "--scope", "a", "--expires", "1s", NULL), 0);
        out[strcspn(out, "\n")] = 0;
        _cleanup_(apikey_store_freep) ApiKeyStore *s = NULL;
        ck_assert_int_eq(apikey_store_open(store, NULL, 0, &s), 0);
        ck_assert_int_eq(apikey_store_verify(s, out, now_usec() + 2 * USEC_PER_SEC, NULL, NULL, NULL), 0);
}
END_TEST

START_TEST(test_pepper_file) {
        FILE *f = fopen(pepper, "we");
        ck_assert_ptr_nonnull(f);
        fputs("a pepper of the gateway", f);
        ck_assert_int_eq(fclose(f), 0);

        _cleanup_free_ char *out = NULL;
        ck_assert_int_eq(run(&out, NULL, "--pepper", pepper, "key", "create", "p", "--scope", "a", NULL), 0);
        out[strcspn(out, "\n")] = 0;
        ck_assert_int_eq(verify(out, "a pepper of the gateway", NULL, NULL), 1);
        ck_assert_int_eq(verify(out, NULL, NULL, NULL), -EKEYREJECTED);

        /* A second key without the pepper would never verify: refused, saying why. */
        _cleanup_free_ char *perr = NULL;
        ck_assert_int_eq(run(NULL, &perr, "key", "create", "q", "--scope", "a", NULL), 1);
        ck_assert_ptr_nonnull(strstr(perr, "another pepper"));

        _cleanup_free_ char *err = NULL;
        char missing[160];
        snprintf(missing, sizeof(missing), "%s/none", dir);
        ck_assert_int_eq(run(NULL, &err, "--pepper", missing, "key", "create", "p", "--scope", "a", NULL), 1);
        ck_assert_ptr_nonnull(strstr(err, "does not exist"));
}
END_TEST

START_TEST(test_root_writes_for_the_directory_owner) {
        if (geteuid() != 0)
                return; /* only root changes owners; the test is reported as passing without checking */
        ck_assert_int_eq(chown(dir, 65534, 65534), 0);
        ck_assert_int_eq(run(NULL, NULL, "key", "create", "r", "--scope", "a", NULL), 0);
        struct stat st;
        ck_assert_int_eq(stat(store, &st), 0);
        ck_assert_int_eq(st.st_uid, 65534);
        ck_assert_int_eq(st.st_gid, 65534);
        ck_assert_int_eq(st.st_mode & 07777, 0600);
}
END_TEST

static Suite *aiosctl_suite(void) {
        Suite *s = suite_create("aiosctl");
        TCase *tc = tcase_create("aiosctl");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_create_verify_revoke);
        tcase_add_test(tc, test_refusals);
        tcase_add_test(tc, test_pepper_file);
        tcase_add_test(tc, test_root_writes_for_the_directory_owner);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        aiosctl = getenv("AIOS_AIOSCTL");
        if (!aiosctl || access(aiosctl, X_OK) < 0) {
                fprintf(stderr, "AIOS_AIOSCTL does not name the aiosctl binary; skipping.\n");
                return 77;
        }
        return test_run_suite(aiosctl_suite());
}
