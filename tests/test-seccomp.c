/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seccomp allow-lists parse as written and, once loaded, allow, refuse or kill as listed. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "seccomp-policy.h"
#include "test-server.h"
#include "test-util.h"

/* What a forked child needs after loading a list, besides the calls under test: exiting (also from a
 * thread, which under AddressSanitizer maps memory and asks for its pid), writing a log line. Everything
 * else unlisted fails with EPERM, which the tests do not mind. */
#define CHILD_BASICS "exit_group\nexit\nwrite\nfutex\nmadvise\nmmap\nmunmap\nrt_sigprocmask\ngetpid\n"
/* And to create a thread or a process the ordinary way (AddressSanitizer reads /proc/self/maps in a new thread). */
#define CHILD_THREADS                                                                                                  \
        CHILD_BASICS "mprotect\nclone\nset_robust_list\nrseq\nwait4\nread\ngettid\nopenat\nclose\nsched_getaffinity\n"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

static char dir[] = "/tmp/test-seccomp-XXXXXX";

static char *shipped_list(const char *name);

static void setup(void) {
        ck_assert_ptr_nonnull(mkdtemp(dir));
#ifdef HAVE_ASAN
        /* A sanitized build loads <dir>/sanitizers.syscalls before every list (seccomp_policy_load()). */
        _cleanup_free_ char *sanitizers = shipped_list("sanitizers"), *cmd = NULL;
        ck_assert_int_ge(asprintf(&cmd, "cp '%s' '%s/'", sanitizers, dir), 0);
        ck_assert_int_eq(system(cmd), 0);
#endif
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

/* libseccomp's pseudo filter code for ctx (static storage, until the next call). */
static const char *pfc_of(scmp_filter_ctx ctx) {
        static char *text = NULL;
        FILE *f = tmpfile();
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(seccomp_export_pfc(ctx, fileno(f)), 0);
        rewind(f);
        free(text);
        text = NULL;
        size_t size = 0;
        ck_assert_int_gt(getdelim(&text, &size, 0, f), 0);
        fclose(f);
        return text;
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
        ck_assert_int_eq(parse("unknown", "read\nmmap2\nsocketcall\nno_such_syscall_at_all\n!no_such_either\n", &ctx),
                0);
#else
        ck_assert_int_eq(parse("unknown", "read\nno_such_syscall_at_all\n!no_such_either\n", &ctx), 0);
#endif
        assert_action(ctx, "read", "ALLOW");
        assert_action(ctx, "no_such_syscall_at_all", NULL);
}
END_TEST

START_TEST(test_malformed_lines_are_rejected) {
        static const char *const bad[] = {
                "read write\n", /* two names on a line */
                "Read\n",       /* not a syscall name */
                "!\n",          /* kill-listing nothing */
                "! ptrace\n",   /* a blank after ! */
                "!!ptrace\n",
                "read;\n",
                "@include\n", /* include of nothing */
                "@include ../etc/passwd\n",
                "@include a/b\n",
                "@include .hidden\n",
                "@include a b\n",
                "@includebase\n",
                "@exclude base\n", /* no such directive */
                "@\n",
                "@socket\n", /* no family */
                "@socket AF_FOO\n",
                "@socket af_unix\n",
                "@socket 1\n",
                "@socketAF_UNIX\n",
                "socket\n", /* only through @socket */
                "clone3\n", /* ENOSYS in every filter */
                "!clone3\n",
                "unshare\n", /* kills in every filter */
                "setns\n",
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

static char *source_dir(const char *sub) {
        char *path;
        const char *slash = strrchr(__FILE__, '/');
        ck_assert_int_ge(asprintf(&path, "%.*s/../%s", slash ? (int) (slash - __FILE__) : 1, slash ? __FILE__ : ".",
                                 sub),
                0);
        return path;
}

static char *shipped_list(const char *name) {
        char *path;
        _cleanup_free_ char *d = shipped_dir ? strdup(shipped_dir) : source_dir("seccomp");
        ck_assert_int_ge(asprintf(&path, "%s/%s.syscalls", d, name), 0);
        ck_assert_msg(access(path, R_OK) == 0, "%s not found (set AIOS_SECCOMP_DIR to the source tree's seccomp/)",
                path);
        return path;
}

/* Calls fn with the name of every shipped list (base, sanitizers, and one per daemon); returns how many. */
static unsigned foreach_shipped_list(void (*fn)(const char *name)) {
        _cleanup_free_ char *d = shipped_dir ? strdup(shipped_dir) : source_dir("seccomp");
        DIR *dd = opendir(d);
        ck_assert_msg(dd, "cannot open %s", d);
        unsigned n = 0;
        for (struct dirent *de; (de = readdir(dd));) {
                size_t l = strlen(de->d_name);
                if (de->d_name[0] == '.' || l <= strlen(".syscalls") ||
                        !streq(de->d_name + l - strlen(".syscalls"), ".syscalls"))
                        continue;
                _cleanup_free_ char *name = strndup(de->d_name, l - strlen(".syscalls"));
                fn(name);
                n++;
        }
        closedir(dd);
        return n;
}

static void assert_shipped_list_parses(const char *name) {
        _cleanup_free_ char *path = shipped_list(name);
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        ck_assert_msg(seccomp_policy_parse(path, &ctx) == 0, "%s does not parse", path);
        /* What every filter has, whatever it lists. */
        assert_action(ctx, "clone3", "ERRNO(38)");
        assert_action(ctx, "setns", "KILL_PROCESS");
        uint32_t v;
        ck_assert_int_eq(seccomp_attr_get(ctx, SCMP_FLTATR_ACT_BADARCH, &v), 0);
        ck_assert_uint_eq(v, SCMP_ACT_KILL_PROCESS);
        /* A daemon that makes sandboxes (@sandbox, in sandbox.syscalls) may unshare and mount, and execute its
         * sandboxes' programs; no other may. */
        _cleanup_free_ char *unshare = filter_action(ctx, "unshare");
        bool sandboxes = unshare && streq(unshare, "ALLOW");
        assert_action(ctx, "unshare", sandboxes ? "ALLOW" : "KILL_PROCESS");
        assert_action(ctx, "execve", sandboxes ? "ALLOW" : NULL);
        if (sandboxes) {
                assert_action(ctx, "mount", "ALLOW");
                assert_action(ctx, "pivot_root", "ALLOW");
        }
        if (streq(name, "sanitizers") || streq(name, "sandbox"))
                return; /* meant to be included with base */
        /* Every other list is base or includes it: the event loop, and the kill-list. */
        assert_action(ctx, "epoll_wait", "ALLOW");
        assert_action(ctx, "ptrace", "KILL_PROCESS");
        assert_action(ctx, "kexec_load", "KILL_PROCESS");
}

START_TEST(test_shipped_lists_parse) {
        /* Every list in the directory, so that a new daemon's list is checked without editing this test. */
        ck_assert_uint_ge(foreach_shipped_list(assert_shipped_list_parses), 5);

        _cleanup_free_ char *conformanced = shipped_list("aios-conformanced");
        _cleanup_free_ char *gatewayd = shipped_list("aios-gatewayd");
        _cleanup_(seccomp_releasep) scmp_filter_ctx c = NULL, g = NULL;
        ck_assert_int_eq(seccomp_policy_parse(conformanced, &c), 0);
        ck_assert_int_eq(seccomp_policy_parse(gatewayd, &g), 0);
        /* Only the gateway, an HTTP client with a resolver thread, starts threads and reads directories. */
        assert_action(g, "getdents64", "ALLOW");
        assert_action(c, "getdents64", NULL);
        ck_assert_ptr_nonnull(strstr(pfc_of(g), "# filter for syscall \"clone\""));
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

/* Kill-listing userfaultfd, not ptrace: a sanitized build needs ptrace (sanitizers.syscalls). */
static const char *const runtime_list = CHILD_BASICS "getppid\nprctl\n!userfaultfd\n";

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
        /* Harmless if it ran: no such flags, so EINVAL. */
        (void) syscall(SYS_userfaultfd, ~0);
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

#if defined(__x86_64__)
static void *thread_x32_call(void *userdata) {
        /* getpid with the x32 ABI's bit: the same architecture in seccomp's eyes, but another table. */
        (void) syscall(__X32_SYSCALL_BIT + SYS_getpid);
        return NULL;
}

static int child_x32_call(void) {
        if (seccomp_policy_load("runtime", dir) < 0)
                return 1;
        /* From a second thread: killing only that thread (libseccomp's default) would let this one go on. */
        pthread_t t;
        if (pthread_create(&t, NULL, thread_x32_call, NULL) != 0)
                return 2;
        (void) pthread_join(t, NULL);
        return 3;
}

static long int80_getpid(void) {
        long ret;
        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L /* i386 getpid */) : "memory");
        return ret;
}

static int child_i386_call(void) {
        if (seccomp_policy_load("runtime", dir) < 0)
                return 1;
        (void) int80_getpid();
        return 2;
}

static int child_i386_probe(void) {
        return int80_getpid() == getpid() ? 0 : 1;
}
#endif

START_TEST(test_foreign_abi_kills_the_process) {
#if defined(__x86_64__)
        _cleanup_free_ char *path = write_list("runtime", CHILD_THREADS);
        int status = run_in_child(child_x32_call);
        ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "x32 call: status %d", status);

        /* int 0x80 works only where the kernel has i386 emulation (else it faults with SIGSEGV before seccomp
         * sees anything): try it unfiltered first. */
        status = run_in_child(child_i386_probe);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "No i386 emulation in this kernel, the int 0x80 case is not tried.\n");
                return;
        }
        status = run_in_child(child_i386_call);
        ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "i386 call: status %d", status);
#else
        fprintf(stderr, "The foreign-ABI calls tried here are x86-64's (i386 and x32).\n");
#endif
}
END_TEST

static int child_clone3_enosys(void) {
        if (seccomp_policy_load("runtime", dir) < 0)
                return 1;
        struct {
                uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
        } args = { .exit_signal = SIGCHLD };
        errno = 0;
        if (syscall(SYS_clone3, &args, sizeof(args)) >= 0 || errno != ENOSYS)
                return 2;
        return 0;
}

static void *thread_nothing(void *userdata) {
        return userdata;
}

static int child_threads_fall_back_to_clone(void) {
        if (seccomp_policy_load("runtime", dir) < 0)
                return 1;
        /* glibc tries clone3, gets ENOSYS, and uses clone, which the list allows without namespace flags. */
        pthread_t t;
        void *result = NULL;
        if (pthread_create(&t, NULL, thread_nothing, (void *) 0x42) != 0)
                return 2;
        if (pthread_join(t, &result) != 0 || result != (void *) 0x42)
                return 3;
        /* And a plain clone, as fork() makes it. */
        long pid = syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid == 0)
                _exit(7);
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 7)
                return 4;
        return 0;
}

START_TEST(test_clone3_answers_enosys_and_threads_use_clone) {
        _cleanup_free_ char *path = write_list("runtime", CHILD_THREADS);
        assert_exited_zero(run_in_child(child_clone3_enosys));
        assert_exited_zero(run_in_child(child_threads_fall_back_to_clone));
}
END_TEST

static unsigned long clone_flag;

static int child_clone_with_namespace(void) {
        if (seccomp_policy_load("runtime", dir) < 0)
                return 1;
        long pid = syscall(SYS_clone, SIGCHLD | clone_flag, NULL, NULL, NULL, NULL);
        if (pid == 0)
                _exit(0);
        return 2; /* made it, or failed: either way not killed */
}

START_TEST(test_clone_with_namespace_flags_kills) {
        static const unsigned long flags[] = { CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC,
                CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWTIME };
        /* With clone allowed, and with clone not listed at all (where it would fail with EPERM otherwise). */
        static const char *const lists[] = { CHILD_THREADS, CHILD_BASICS };
        FOREACH_ELEMENT(list, lists) {
                _cleanup_free_ char *path = write_list("runtime", *list);
                FOREACH_ELEMENT(f, flags) {
                        clone_flag = *f;
                        int status = run_in_child(child_clone_with_namespace);
                        ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "clone with 0x%lx: status %d",
                                *f, status);
                }
        }
}
END_TEST

static int child_unshare(void) {
        if (seccomp_policy_load("runtime", dir) < 0)
                return 1;
        (void) unshare(CLONE_NEWUSER);
        return 2;
}

static int child_setns(void) {
        if (seccomp_policy_load("runtime", dir) < 0)
                return 1;
        (void) setns(-1, 0);
        return 2;
}

START_TEST(test_unshare_and_setns_kill_unlisted) {
        /* The list does not mention them: every filter kills on them. */
        _cleanup_free_ char *path = write_list("runtime", CHILD_BASICS);
        static int (*const children[])(void) = { child_unshare, child_setns };
        FOREACH_ELEMENT(fn, children) {
                int status = run_in_child(*fn);
                ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "status %d", status);
        }
}
END_TEST

START_TEST(test_sandbox_directive_lets_a_daemon_make_sandboxes) {
        /* Whether base (which kill-lists mount, umount2 and pivot_root) comes before or after @sandbox. */
        _cleanup_free_ char *base = write_list("base", "read\n!mount\n!umount2\n!pivot_root\n!unshare\n!ptrace\n");
        static const char *const lists[] = { "@include base\n@sandbox\nclone\n", "@sandbox\nclone\n@include base\n" };
        FOREACH_ELEMENT(list, lists) {
                _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
                ck_assert_int_eq(parse("daemon", *list, &ctx), 0);
                assert_action(ctx, "mount", "ALLOW");
                assert_action(ctx, "umount2", "ALLOW");
                assert_action(ctx, "pivot_root", "ALLOW");
                assert_action(ctx, "unshare", "ALLOW");
                assert_action(ctx, "clone", "ALLOW"); /* whatever its flags */
                assert_action(ctx, "setns", "KILL_PROCESS");
                assert_action(ctx, "ptrace", "KILL_PROCESS");
                ck_assert_ptr_null(strstr(pfc_of(ctx), "KILL_PROCESS; # clone"));
        }
        /* Without @sandbox, allowing what it allows is refused as before. */
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        ck_assert_int_eq(parse("daemon", "@include base\nmount\n", &ctx), -EINVAL);
}
END_TEST

static int child_clone_new_user(void) {
        if (seccomp_policy_load("runtime", dir) < 0)
                return 1;
        long pid = syscall(SYS_clone, SIGCHLD | CLONE_NEWUSER, NULL, NULL, NULL, NULL);
        if (pid == 0)
                _exit(0);
        return pid > 0 && waitpid(pid, NULL, 0) == pid ? 0 : 2;
}

START_TEST(test_sandbox_directive_allows_clone_into_namespaces) {
        _cleanup_free_ char *path = write_list("runtime", "@sandbox\n" CHILD_THREADS "wait4\n");
        int status = run_in_child(child_clone_new_user);
        /* Made it, or the kernel said no (no user namespaces here): either way not killed. */
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 1, "status %d", status);
}
END_TEST

static int socket_errno(int family, int type) {
        int fd = socket(family, type | SOCK_CLOEXEC, 0);
        if (fd >= 0) {
                close(fd);
                return 0;
        }
        return errno;
}

static int child_socket_families(void) {
        if (seccomp_policy_load("runtime", dir) < 0)
                return 1;
        if (socket_errno(AF_UNIX, SOCK_STREAM) != 0)
                return 2;
        /* Refused as a family the kernel lacks: EAFNOSUPPORT, so that libraries take their fallback. */
        if (socket_errno(AF_INET, SOCK_STREAM) != EAFNOSUPPORT)
                return 3;
        if (socket_errno(AF_INET6, SOCK_DGRAM) != EAFNOSUPPORT)
                return 4;
        if (socket_errno(AF_NETLINK, SOCK_RAW) != EAFNOSUPPORT)
                return 5;
        if (socket_errno(AF_PACKET, SOCK_RAW) != EAFNOSUPPORT)
                return 6;
        if (socket_errno(4242, SOCK_STREAM) != EAFNOSUPPORT)
                return 7;
        if (socket_errno(-1, SOCK_STREAM) != EAFNOSUPPORT)
                return 8;
        return 0;
}

static int child_socket_not_allowed(void) {
        if (seccomp_policy_load("runtime", dir) < 0)
                return 1;
        /* Without any @socket line, socket() is a call not listed. */
        return socket_errno(AF_UNIX, SOCK_STREAM) == EPERM ? 0 : 2;
}

START_TEST(test_socket_opens_only_the_listed_families) {
        _cleanup_free_ char *base = write_list("base", "@socket AF_UNIX\n");
        _cleanup_free_ char *path = write_list("runtime", "@include base\n" CHILD_BASICS "close\n");
        assert_exited_zero(run_in_child(child_socket_families));

        _cleanup_free_ char *none = write_list("runtime", CHILD_BASICS "close\n");
        assert_exited_zero(run_in_child(child_socket_not_allowed));
}
END_TEST

/* The families from @socket lines add up over includes. */
static int child_socket_union(void) {
        if (seccomp_policy_load("runtime", dir) < 0)
                return 1;
        if (socket_errno(AF_UNIX, SOCK_STREAM) != 0 || socket_errno(AF_INET, SOCK_DGRAM) == EAFNOSUPPORT)
                return 2;
        return socket_errno(AF_INET6, SOCK_DGRAM) == EAFNOSUPPORT ? 0 : 3;
}

START_TEST(test_socket_families_add_up_over_includes) {
        _cleanup_free_ char *base = write_list("base", "@socket AF_UNIX\n");
        _cleanup_free_ char *path =
                write_list("runtime", "@include base\n@socket\tAF_INET # IPv4 only\n" CHILD_BASICS "close\n");
        assert_exited_zero(run_in_child(child_socket_union));
}
END_TEST

/* What a shipped daemon list lets socket() open, tried in a child that loads it: a bit per entry of
 * families[] in the exit code, for the families this kernel has. */
static const int probe_families[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET };
static const char *probe_family_names[] = { "AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET" };
static const char *probe_list;

static int socket_probe_type(int family) {
        return family == AF_NETLINK || family == AF_PACKET ? SOCK_RAW : SOCK_DGRAM;
}

static int child_probe_families(void) {
        if (seccomp_policy_load(probe_list, shipped_dir) < 0)
                return 255;
        int bits = 0;
        for (size_t i = 0; i < ELEMENTSOF(probe_families); i++)
                if (socket_errno(probe_families[i], socket_probe_type(probe_families[i])) != EAFNOSUPPORT)
                        bits |= 1 << i;
        return bits;
}

/* RestrictAddressFamilies= of units/<name>.service.in as the same bits, or -1 without such a unit. */
static int unit_families(const char *name) {
        _cleanup_free_ char *units = source_dir("units"), *path = NULL;
        ck_assert_int_ge(asprintf(&path, "%s/%s.service.in", units, name), 0);
        FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        int bits = 0;
        char line[512];
        while (fgets(line, sizeof(line), f)) {
                if (!startswith_ptr(line, "RestrictAddressFamilies="))
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(probe_family_names); i++) {
                        char word[32];
                        snprintf(word, sizeof(word), "%s", probe_family_names[i]);
                        for (const char *p = line; (p = strstr(p, word)); p += strlen(word))
                                if (strchr(" \n", p[strlen(word)]) && (p == line || strchr(" =", p[-1])))
                                        bits |= 1 << i;
                }
        }
        fclose(f);
        return bits;
}

static void assert_families_match_unit(const char *name) {
        int want = unit_families(name);
        if (want < 0)
                return; /* base, sanitizers: no unit */

        /* Families this kernel lacks (or refuses us) cannot be told apart from the filter's refusal. */
        int have = 0;
        for (size_t i = 0; i < ELEMENTSOF(probe_families); i++)
                if (socket_errno(probe_families[i], socket_probe_type(probe_families[i])) != EAFNOSUPPORT)
                        have |= 1 << i;

        probe_list = name;
        int status = run_in_child(child_probe_families);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 255, "%s: the probe failed (status %d)", name,
                status);
        int got = WEXITSTATUS(status);
        ck_assert_msg((got & have) == (want & have),
                "%s.syscalls lets socket() open families 0x%x, its unit's RestrictAddressFamilies= 0x%x (bits: "
                "AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET)",
                name, got & have, want & have);
}

START_TEST(test_shipped_lists_open_the_families_their_units_allow) {
        if (!shipped_dir)
                shipped_dir = source_dir("seccomp");
        foreach_shipped_list(assert_families_match_unit);
}
END_TEST

static void *thread_resolve(void *userdata) {
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
        int r = getaddrinfo("localhost", "80", &hints, &ai);
        if (ai)
                freeaddrinfo(ai);
        return (void *) (intptr_t) r;
}

static int child_gateway_resolves_in_a_thread(void) {
        if (seccomp_policy_load("aios-gatewayd", shipped_dir) < 0)
                return 1;
        /* libcurl's threaded resolver: a thread (clone3 gets ENOSYS, glibc falls back to clone) that runs
         * getaddrinfo(), which reads /etc/hosts and may ask netlink for local addresses (refused, it copes). */
        pthread_t t;
        void *result = (void *) 1;
        if (pthread_create(&t, NULL, thread_resolve, NULL) != 0)
                return 2;
        if (pthread_join(t, &result) != 0 || result != NULL)
                return 3;
        if (socket_errno(AF_INET, SOCK_STREAM) != 0 || socket_errno(AF_UNIX, SOCK_STREAM) != 0)
                return 4;
        if (socket_errno(AF_NETLINK, SOCK_RAW) != EAFNOSUPPORT)
                return 5;
        return 0;
}

START_TEST(test_gateway_list_lets_a_thread_resolve_names) {
        if (!shipped_dir)
                shipped_dir = source_dir("seccomp");
        assert_exited_zero(run_in_child(child_gateway_resolves_in_a_thread));
}
END_TEST

START_TEST(test_build_tree_binary_reads_the_source_lists) {
        /* This test runs from the build tree, with AIOS_SECCOMP_DIR unset (setup()). */
        _cleanup_free_ char *source = source_dir("seccomp");
        char want[PATH_MAX], got[PATH_MAX];
        ck_assert_ptr_nonnull(realpath(source, want));
        ck_assert_ptr_nonnull(realpath(seccomp_policy_default_dir(), got));
        ck_assert_str_eq(got, want);
        setenv("AIOS_SECCOMP_DIR", dir, 1);
        ck_assert_str_eq(seccomp_policy_default_dir(), dir);
        unsetenv("AIOS_SECCOMP_DIR");
}
END_TEST

/* A server process, its stderr in a file, for the tests that start the real daemon. */
typedef struct Daemon {
        TestServer server;
        char log[PATH_MAX];
} Daemon;

static void daemon_start(Daemon *d, const char *binary) {
        snprintf(d->log, sizeof(d->log), "%s/stderr", dir);
        int fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ck_assert_int_ge(fd, 0);
        int saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        ck_assert_int_ge(saved, 0);
        ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
        test_server_start(&d->server, binary, (const char *const[]){ "--no-bus", "--log-level=debug", NULL });
        ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
        close(saved);
        close(fd);
}

static char *daemon_log(Daemon *d) {
        FILE *f = fopen(d->log, "re");
        ck_assert_ptr_nonnull(f);
        char *text = NULL;
        size_t size = 0;
        if (getdelim(&text, &size, 0, f) < 0) {
                free(text);
                text = strdup("");
        }
        fclose(f);
        return text;
}

/* The Seccomp: line of /proc/PID/status: 0 none, 2 a filter. */
static int seccomp_mode(pid_t pid) {
        char path[64], line[256];
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        FILE *f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        int mode = -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "Seccomp: %d", &mode) == 1)
                        break;
        fclose(f);
        return mode;
}

/* A copy of the server binary outside its build tree, as an installed one is. */
static char *copy_out_of_build_tree(const char *binary) {
        char *copy;
        ck_assert_int_ge(asprintf(&copy, "%s/aios-conformanced", dir), 0);
        _cleanup_free_ char *cmd = NULL;
        ck_assert_int_ge(asprintf(&cmd, "cp '%s' '%s'", binary, copy), 0);
        ck_assert_int_eq(system(cmd), 0);
        return copy;
}

static const char *conformanced(void) {
        const char *b = getenv("AIOS_CONFORMANCED");
        ck_assert_msg(b, "set AIOS_CONFORMANCED to the server binary");
        return b;
}

START_TEST(test_off_is_ignored_by_an_installed_daemon) {
        _cleanup_free_ char *lists = shipped_dir ? strdup(shipped_dir) : source_dir("seccomp");
        _cleanup_free_ char *copy = copy_out_of_build_tree(conformanced());
        setenv("AIOS_SECCOMP", "off", 1);
        setenv("AIOS_SECCOMP_DIR", lists, 1);

        Daemon d = {};
        daemon_start(&d, copy);
        /* Once it answers, the loop runs, and the filter went in before it. */
        ck_assert_ptr_nonnull(mcp_test_initialize(&d.server, "2025-11-25"));
        ck_assert_int_eq(seccomp_mode(d.server.pid), 2);
        test_server_stop(&d.server);
        _cleanup_free_ char *log = daemon_log(&d);
        ck_assert_msg(strstr(log, "AIOS_SECCOMP=off is ignored"), "no word of it in the log: %s", log);
        ck_assert_int_eq(unlink(copy), 0);
        ck_assert_int_eq(unlink(d.log), 0);
}
END_TEST

START_TEST(test_off_is_honoured_in_the_build_tree) {
        setenv("AIOS_SECCOMP", "off", 1);
        Daemon d = {};
        daemon_start(&d, conformanced());
        ck_assert_ptr_nonnull(mcp_test_initialize(&d.server, "2025-11-25"));
        ck_assert_int_eq(seccomp_mode(d.server.pid), 0);
        test_server_stop(&d.server);
        ck_assert_int_eq(unlink(d.log), 0);
}
END_TEST

START_TEST(test_build_tree_daemon_without_dir_loads_its_list) {
        /* AIOS_SECCOMP_DIR unset (setup()): it finds the source tree's seccomp/ by itself. */
        Daemon d = {};
        daemon_start(&d, conformanced());
        ck_assert_ptr_nonnull(mcp_test_initialize(&d.server, "2025-11-25"));
        ck_assert_int_eq(seccomp_mode(d.server.pid), 2);
        test_server_stop(&d.server);
        ck_assert_int_eq(unlink(d.log), 0);
}
END_TEST

START_TEST(test_missing_list_says_how_to_fix_it) {
        _cleanup_free_ char *copy = copy_out_of_build_tree(conformanced());
        setenv("AIOS_SECCOMP_DIR", "/nonexistent", 1);
        Daemon d = {};
        daemon_start(&d, copy);
        int status = 0;
        pid_t p = 0;
        for (int i = 0; i < 1000 && (p = waitpid(d.server.pid, &status, WNOHANG)) == 0; i++)
                usleep(10000);
        ck_assert_msg(p == d.server.pid, "the server did not exit within 10 s");
        d.server.pid = 0;
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) != 0);
        _cleanup_free_ char *log = daemon_log(&d);
        ck_assert_msg(strstr(log, "/nonexistent/aios-conformanced.syscalls") && strstr(log, "Set $AIOS_SECCOMP_DIR"),
                "the log does not say how to fix it: %s", log);
        ck_assert_int_eq(unlink(copy), 0);
        ck_assert_int_eq(unlink(d.log), 0);
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
        tcase_add_test(tc, test_sandbox_directive_lets_a_daemon_make_sandboxes);
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
        tcase_add_test(tc, test_foreign_abi_kills_the_process);
        tcase_add_test(tc, test_clone3_answers_enosys_and_threads_use_clone);
        tcase_add_test(tc, test_clone_with_namespace_flags_kills);
        tcase_add_test(tc, test_unshare_and_setns_kill_unlisted);
        tcase_add_test(tc, test_sandbox_directive_allows_clone_into_namespaces);
        tcase_add_test(tc, test_socket_opens_only_the_listed_families);
        tcase_add_test(tc, test_socket_families_add_up_over_includes);
        tcase_add_test(tc, test_shipped_lists_open_the_families_their_units_allow);
        tcase_add_test(tc, test_gateway_list_lets_a_thread_resolve_names);
        tcase_add_test(tc, test_build_tree_binary_reads_the_source_lists);
        suite_add_tcase(s, tc);

        tc = tcase_create("daemon");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_off_is_ignored_by_an_installed_daemon);
        tcase_add_test(tc, test_off_is_honoured_in_the_build_tree);
        tcase_add_test(tc, test_build_tree_daemon_without_dir_loads_its_list);
        tcase_add_test(tc, test_missing_list_says_how_to_fix_it);
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
