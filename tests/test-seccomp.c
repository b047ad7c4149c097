/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seccomp allow-lists parse as written and, once loaded, allow, refuse or kill as listed. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "seccomp-policy.h"
#include "test-util.h"

/* What a forked child needs after loading a list, besides the calls under test: exiting (also from a
 * thread), writing a log line. Everything else unlisted fails with EPERM, which the tests do not mind. */
#define CHILD_BASICS "exit_group\nexit\nwrite\nfutex\nmadvise\nmunmap\nrt_sigprocmask\n"

static char dir[] = "/tmp/test-seccomp-XXXXXX";

static void setup(void) {
        ck_assert_ptr_nonnull(mkdtemp(dir));
        unsetenv("AIOS_SECCOMP");
        unsetenv("AIOS_SECCOMP_DIR");
}

static void teardown(void) {
        DIR *d = opendir(dir);
        ck_assert_ptr_nonnull(d);
        for (struct dirent *de; (de = readdir(d));)
                if (de->d_name[0] != '.')
                        ck_assert_int_eq(unlinkat(dirfd(d), de->d_name, 0), 0);
        closedir(d);
        ck_assert_int_eq(rmdir(dir), 0);
        strcpy(dir, "/tmp/test-seccomp-XXXXXX");
}

/* Writes <dir>/<name>.syscalls and returns its path (owned by the caller). */
static char *write_list(const char *name, const char *text) {
        char *path;
        ck_assert_int_ge(asprintf(&path, "%s/%s.syscalls", dir, name), 0);
        FILE *f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fwrite(text, 1, strlen(text), f), strlen(text));
        ck_assert_int_eq(fclose(f), 0);
        return path;
}

/* The action the filter takes for a syscall, from libseccomp's pseudo filter code, or NULL when it has no
 * rule for it (the default action applies). */
static char *filter_action(scmp_filter_ctx ctx, const char *syscall) {
        FILE *f = tmpfile();
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(seccomp_export_pfc(ctx, fileno(f)), 0);
        rewind(f);
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        ck_assert_int_gt(getdelim(&text, &size, 0, f), 0);
        fclose(f);

        char key[128];
        snprintf(key, sizeof(key), "# filter for syscall \"%s\" ", syscall);
        const char *p = strstr(text, key);
        if (!p)
                return NULL;
        p = strstr(p, "action ");
        ck_assert_ptr_nonnull(p);
        p += strlen("action ");
        return strndup(p, strcspn(p, ";"));
}

static int parse(const char *name, const char *text, scmp_filter_ctx *ret) {
        _cleanup_free_ char *path = write_list(name, text);
        return seccomp_policy_parse(path, ret);
}

static void assert_action(scmp_filter_ctx ctx, const char *syscall, const char *expected) {
        _cleanup_free_ char *action = filter_action(ctx, syscall);
        if (!expected)
                ck_assert_msg(!action, "%s should have no rule, has %s", syscall, action);
        else
                ck_assert_msg(action && streq(action, expected), "%s should be %s, is %s", syscall, expected,
                        action ?: "(default)");
}

START_TEST(test_good_list_allows_and_kills_what_it_lists) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        ck_assert_int_eq(parse("good", "read\nwrite\n!ptrace\n", &ctx), 0);
        ck_assert_ptr_nonnull(ctx);
        assert_action(ctx, "read", "ALLOW");
        assert_action(ctx, "write", "ALLOW");
        assert_action(ctx, "ptrace", "KILL_PROCESS");
        assert_action(ctx, "uname", NULL);
        /* The default for everything unlisted is EPERM, and NO_NEW_PRIVS is on. */
        uint32_t v;
        ck_assert_int_eq(seccomp_attr_get(ctx, SCMP_FLTATR_ACT_DEFAULT, &v), 0);
        ck_assert_uint_eq(v, SCMP_ACT_ERRNO(EPERM));
        ck_assert_int_eq(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_NNP, &v), 0);
        ck_assert_uint_eq(v, 1);
}
END_TEST

START_TEST(test_comments_and_blank_lines_are_ignored) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        ck_assert_int_eq(parse("comments",
                                 "# a whole-line comment naming uname\n"
                                 "\n"
                                 "   \t\n"
                                 "read # trailing comment: write\n"
                                 "\tgetppid   \n"
                                 "!ptrace# no blank before the comment\n"
                                 "close", /* no newline at the end */
                                 &ctx),
                0);
        assert_action(ctx, "read", "ALLOW");
        assert_action(ctx, "getppid", "ALLOW");
        assert_action(ctx, "close", "ALLOW");
        assert_action(ctx, "ptrace", "KILL_PROCESS");
        assert_action(ctx, "uname", NULL);
        assert_action(ctx, "write", NULL);
}
END_TEST

START_TEST(test_include_adds_the_other_list) {
        _cleanup_free_ char *base = write_list("base", "read\n!ptrace\n");
        _cleanup_free_ char *mid = write_list("mid", "@include base\nclose\n");
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        /* Including the same list twice on different paths is no loop; listing a syscall twice is fine. */
        ck_assert_int_eq(parse("daemon", "@include mid\n@include\tbase   # shared\nread\ngetppid\n", &ctx), 0);
        assert_action(ctx, "read", "ALLOW");
        assert_action(ctx, "close", "ALLOW");
        assert_action(ctx, "getppid", "ALLOW");
        assert_action(ctx, "ptrace", "KILL_PROCESS");
        assert_action(ctx, "uname", NULL);
}
END_TEST

START_TEST(test_unknown_syscall_names_are_skipped) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        /* mmap2 and socketcall exist on 32-bit architectures only (on those, pick others: the point is a name
         * libseccomp knows but this architecture lacks, and one nobody knows). */
#if defined(__x86_64__) || defined(__aarch64__)
        ck_assert_int_eq(parse("unknown", "read\nmmap2\nsocketcall\nno_such_syscall_at_all\n!no_such_either\n", &ctx), 0);
#else
        ck_assert_int_eq(parse("unknown", "read\nno_such_syscall_at_all\n!no_such_either\n", &ctx), 0);
#endif
        assert_action(ctx, "read", "ALLOW");
        assert_action(ctx, "no_such_syscall_at_all", NULL);
}
END_TEST

START_TEST(test_malformed_lines_are_rejected) {
        static const char *const bad[] = {
                "read write\n",      /* two names on a line */
                "Read\n",            /* not a syscall name */
                "!\n",               /* kill-listing nothing */
                "! ptrace\n",        /* a blank after ! */
                "!!ptrace\n",
                "read;\n",
                "@include\n",        /* include of nothing */
                "@include ../etc/passwd\n",
                "@include a/b\n",
                "@include .hidden\n",
                "@include a b\n",
                "@includebase\n",
                "@exclude base\n",   /* no such directive */
                "@\n",
        };
        _cleanup_free_ char *base = write_list("base", "read\n");
        FOREACH_ELEMENT(b, bad) {
                scmp_filter_ctx ctx = NULL;
                _cleanup_free_ char *text = NULL;
                /* The bad line is the third one: the message names file and line (read the log). */
                ck_assert_int_ge(asprintf(&text, "read\n# fine so far\n%s", *b), 0);
                ck_assert_msg(parse("bad", text, &ctx) == -EINVAL, "accepted: %s", *b);
                ck_assert_ptr_null(ctx);
        }
        /* A NUL byte in a line. */
        _cleanup_free_ char *path = NULL;
        ck_assert_int_ge(asprintf(&path, "%s/nul.syscalls", dir), 0);
        FILE *f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fwrite("read\0write\n", 1, 11, f), 11);
        ck_assert_int_eq(fclose(f), 0);
        scmp_filter_ctx ctx = NULL;
        ck_assert_int_eq(seccomp_policy_parse(path, &ctx), -EINVAL);
}
END_TEST

START_TEST(test_allowed_and_kill_listed_is_rejected) {
        _cleanup_free_ char *base = write_list("base", "!ptrace\nread\n");
        scmp_filter_ctx ctx = NULL;
        ck_assert_int_eq(parse("conflict", "@include base\nptrace\n", &ctx), -EINVAL);
        ck_assert_int_eq(parse("conflict", "!read\n@include base\n", &ctx), -EINVAL);
        ck_assert_ptr_null(ctx);
}
END_TEST

START_TEST(test_missing_file_gives_enoent) {
        scmp_filter_ctx ctx = NULL;
        _cleanup_free_ char *path = NULL;
        ck_assert_int_ge(asprintf(&path, "%s/none.syscalls", dir), 0);
        ck_assert_int_eq(seccomp_policy_parse(path, &ctx), -ENOENT);
        /* Also when it is an included list that is missing. */
        ck_assert_int_eq(parse("includer", "read\n@include none\n", &ctx), -ENOENT);
        ck_assert_ptr_null(ctx);
}
END_TEST

START_TEST(test_include_loop_is_rejected) {
        scmp_filter_ctx ctx = NULL;
        ck_assert_int_eq(parse("self", "read\n@include self\n", &ctx), -ELOOP);
        _cleanup_free_ char *a = write_list("a", "@include b\n");
        _cleanup_free_ char *b = write_list("b", "read\n@include c\n");
        _cleanup_free_ char *c = write_list("c", "@include a\n");
        ck_assert_int_eq(seccomp_policy_parse(a, &ctx), -ELOOP);
        ck_assert_ptr_null(ctx);
}
END_TEST

/* Where the lists we install are: $AIOS_SECCOMP_DIR as meson's test setup sets it (saved before setup()
 * unsets it), else the source tree next to this file, as seen from the build directory. */
static char *shipped_dir = NULL;

static char *shipped_list(const char *name) {
        char *path;
        const char *slash = strrchr(__FILE__, '/');
        if (shipped_dir)
                ck_assert_int_ge(asprintf(&path, "%s/%s.syscalls", shipped_dir, name), 0);
        else
                ck_assert_int_ge(asprintf(&path, "%.*s/../seccomp/%s.syscalls", slash ? (int) (slash - __FILE__) : 1,
                                         slash ? __FILE__ : ".", name),
                        0);
        ck_assert_msg(access(path, R_OK) == 0, "%s not found (set AIOS_SECCOMP_DIR to the source tree's seccomp/)", path);
        return path;
}

START_TEST(test_shipped_lists_parse) {
        static const char *const names[] = { "base", "sanitizers", "aios-conformanced", "aios-gatewayd" };
        FOREACH_ELEMENT(n, names) {
                _cleanup_free_ char *path = shipped_list(*n);
                _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
                ck_assert_msg(seccomp_policy_parse(path, &ctx) == 0, "%s does not parse", path);
        }

        _cleanup_free_ char *conformanced = shipped_list("aios-conformanced");
        _cleanup_free_ char *gatewayd = shipped_list("aios-gatewayd");
        _cleanup_(seccomp_releasep) scmp_filter_ctx c = NULL, g = NULL;
        ck_assert_int_eq(seccomp_policy_parse(conformanced, &c), 0);
        ck_assert_int_eq(seccomp_policy_parse(gatewayd, &g), 0);
        /* Both get base: the event loop, and the kill-list. */
        assert_action(c, "epoll_wait", "ALLOW");
        assert_action(c, "ptrace", "KILL_PROCESS");
        assert_action(g, "epoll_wait", "ALLOW");
        assert_action(g, "kexec_load", "KILL_PROCESS");
        /* Only the gateway, an HTTP client with a resolver thread, starts threads and reads directories. */
        assert_action(g, "clone3", "ALLOW");
        assert_action(g, "getdents64", "ALLOW");
        assert_action(c, "clone3", NULL);
        assert_action(c, "getdents64", NULL);
        assert_action(c, "execve", NULL);
        assert_action(g, "execve", NULL);
}
END_TEST

/* Forks, runs fn in the child and returns its wait status. The child must not use Check's asserts: it
 * reports through its exit code. */
static int run_in_child(int (*fn)(void)) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0)
                _exit(fn());
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        return status;
}

static void assert_exited_zero(int status) {
        ck_assert_msg(WIFEXITED(status), "child died of signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        ck_assert_msg(WEXITSTATUS(status) == 0, "child failed check %d", WEXITSTATUS(status));
}

static const char *const runtime_list = CHILD_BASICS "getppid\nprctl\n!ptrace\n";

static int child_allowed_works(void) {
        if (seccomp_policy_load("runtime", dir) < 0)
                return 1;
        if (prctl(PR_GET_SECCOMP) != 2) /* SECCOMP_MODE_FILTER */
                return 2;
        if (getppid() <= 1)
                return 3;
        return 0;
}

START_TEST(test_loaded_list_allows_listed_syscalls) {
        _cleanup_free_ char *path = write_list("runtime", runtime_list);
        assert_exited_zero(run_in_child(child_allowed_works));
}
END_TEST

static int child_unlisted_fails(void) {
        struct utsname u;
        if (uname(&u) < 0) /* works before */
                return 1;
        if (seccomp_policy_load("runtime", dir) < 0)
                return 2;
        errno = 0;
        if (uname(&u) >= 0 || errno != EPERM)
                return 3;
        errno = 0;
        if (mkdirat(AT_FDCWD, "/tmp", 0700) >= 0 || errno != EPERM) /* not EEXIST: it never reached the kernel */
                return 4;
        return 0;
}

START_TEST(test_loaded_list_refuses_unlisted_syscalls_with_eperm) {
        _cleanup_free_ char *path = write_list("runtime", runtime_list);
        assert_exited_zero(run_in_child(child_unlisted_fails));
}
END_TEST

static int child_kill_listed_dies(void) {
        if (seccomp_policy_load("runtime", dir) < 0)
                return 1;
        /* Harmless if it ran: pid 0 is nobody we trace, so ESRCH. */
        (void) syscall(SYS_ptrace, PTRACE_PEEKDATA, 0, NULL, NULL);
        return 2;
}

START_TEST(test_loaded_list_kills_on_kill_listed_syscalls) {
        _cleanup_free_ char *path = write_list("runtime", runtime_list);
        int status = run_in_child(child_kill_listed_dies);
        ck_assert_msg(WIFSIGNALED(status), "child exited with %d instead of dying", WEXITSTATUS(status));
        ck_assert_int_eq(WTERMSIG(status), SIGSYS);
}
END_TEST

static int thread_result = -1;
static int thread_started[2], thread_go[2];

static void *thread_uname(void *userdata) {
        char c;
        /* Say we run (glibc has set the thread up: its rseq registration would abort under the filter), then
         * wait until the filter is loaded. */
        if (write(thread_started[1], "x", 1) != 1 || read(thread_go[0], &c, 1) != 1)
                return NULL;
        struct utsname u;
        errno = 0;
        thread_result = uname(&u) < 0 ? errno : 0;
        return NULL;
}

static int child_threads_get_the_filter(void) {
        pthread_t t;
        char c;
        if (pipe(thread_started) < 0 || pipe(thread_go) < 0 || pthread_create(&t, NULL, thread_uname, NULL) != 0)
                return 1;
        if (read(thread_started[0], &c, 1) != 1)
                return 2;
        if (seccomp_policy_load("threads", dir) < 0)
                return 3;
        if (write(thread_go[1], "x", 1) != 1 || pthread_join(t, NULL) != 0)
                return 4;
        return thread_result == EPERM ? 0 : 5;
}

START_TEST(test_threads_started_before_get_the_filter) {
        _cleanup_free_ char *path = write_list("threads", CHILD_BASICS "read\n");
        assert_exited_zero(run_in_child(child_threads_get_the_filter));
}
END_TEST

static int child_dir_from_environment(void) {
        if (setenv("AIOS_SECCOMP_DIR", dir, 1) < 0)
                return 1;
        if (seccomp_policy_load("runtime", NULL) < 0)
                return 2;
        struct utsname u;
        errno = 0;
        if (uname(&u) >= 0 || errno != EPERM)
                return 3;
        return 0;
}

START_TEST(test_dir_defaults_to_environment) {
        _cleanup_free_ char *path = write_list("runtime", runtime_list);
        assert_exited_zero(run_in_child(child_dir_from_environment));
}
END_TEST

static int child_off_skips(void) {
        if (setenv("AIOS_SECCOMP", "off", 1) < 0)
                return 1;
        if (seccomp_policy_load("runtime", dir) != 0)
                return 2;
        if (prctl(PR_GET_SECCOMP) != 0)
                return 3;
        struct utsname u;
        if (uname(&u) < 0)
                return 4;
        return 0;
}

START_TEST(test_off_in_environment_skips_loading) {
        _cleanup_free_ char *path = write_list("runtime", runtime_list);
        assert_exited_zero(run_in_child(child_off_skips));
}
END_TEST

START_TEST(test_load_of_missing_list_fails) {
        /* Nothing is installed when the list cannot be read: this process stays unfiltered. */
        ck_assert_int_eq(seccomp_policy_load("none", dir), -ENOENT);
        ck_assert_int_eq(seccomp_policy_load("../etc/passwd", dir), -EINVAL);
        ck_assert_int_eq(prctl(PR_GET_SECCOMP), 0);
}
END_TEST

static Suite *seccomp_suite(void) {
        Suite *s = suite_create("seccomp");
        TCase *tc = tcase_create("parse");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_good_list_allows_and_kills_what_it_lists);
        tcase_add_test(tc, test_comments_and_blank_lines_are_ignored);
        tcase_add_test(tc, test_include_adds_the_other_list);
        tcase_add_test(tc, test_unknown_syscall_names_are_skipped);
        tcase_add_test(tc, test_malformed_lines_are_rejected);
        tcase_add_test(tc, test_allowed_and_kill_listed_is_rejected);
        tcase_add_test(tc, test_missing_file_gives_enoent);
        tcase_add_test(tc, test_include_loop_is_rejected);
        tcase_add_test(tc, test_shipped_lists_parse);
        suite_add_tcase(s, tc);

        tc = tcase_create("load");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_loaded_list_allows_listed_syscalls);
        tcase_add_test(tc, test_loaded_list_refuses_unlisted_syscalls_with_eperm);
        tcase_add_test(tc, test_loaded_list_kills_on_kill_listed_syscalls);
        tcase_add_test(tc, test_threads_started_before_get_the_filter);
        tcase_add_test(tc, test_dir_defaults_to_environment);
        tcase_add_test(tc, test_off_in_environment_skips_loading);
        tcase_add_test(tc, test_load_of_missing_list_fails);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        const char *e = getenv("AIOS_SECCOMP_DIR");
        shipped_dir = e ? strdup(e) : NULL;
        int r = test_run_suite(seccomp_suite());
        free(shipped_dir);
        return r;
}
