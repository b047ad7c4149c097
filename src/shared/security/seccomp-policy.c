/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reads *.syscalls allow-lists into a libseccomp filter, with the rules every filter has whatever it lists. */
#include <ctype.h>
#include <sched.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "log.h"
#include "seccomp-policy.h"

/* Past this many nested @include lines something is wrong even without a loop. */
#define INCLUDE_DEPTH_MAX 16

/* Namespaces are never an aios daemon's to make or join: clone with any of these flags kills the process, as
 * unshare and setns do. (CLONE_NEWTIME is clone3's and unshare's only; in clone's flags its bit would be an
 * exit signal above 64, which is no signal.) */
#define CLONE_NAMESPACE_FLAGS                                                                                          \
        (CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP |   \
                CLONE_NEWTIME)

/* clone's flags are its first argument, except on s390, where the stack comes first. */
#if defined(__s390__) || defined(__s390x__)
#define SCMP_CLONE_FLAGS SCMP_A1
#else
#define SCMP_CLONE_FLAGS SCMP_A0
#endif

/* Address families as @socket names them; a bit each in Policy.families. */
static const struct {
        const char *name;
        int family;
} address_families[] = {
        { "AF_UNIX", AF_UNIX },
        { "AF_INET", AF_INET },
        { "AF_INET6", AF_INET6 },
        { "AF_NETLINK", AF_NETLINK },
        { "AF_PACKET", AF_PACKET },
        { "AF_VSOCK", AF_VSOCK },
        { "AF_ALG", AF_ALG },
        { "AF_BLUETOOTH", AF_BLUETOOTH },
        { "AF_CAN", AF_CAN },
};
#define FAMILY_BITS 64
_Static_assert(AF_MAX <= FAMILY_BITS, "address families fit in a uint64_t");

/* What has been listed so far, to tell a repeated entry from a conflicting one. */
typedef struct Entry {
        int nr;
        bool kill;
        bool pinned; /* from sanitizers.syscalls: other lists cannot change it */
} Entry;

typedef struct Policy {
        scmp_filter_ctx ctx;
        Entry *entries;
        size_t n_entries;
        uint64_t families; /* what @socket allows, a bit per address family */
        bool pinning;      /* entries added now are pinned */
        bool sandbox;      /* @sandbox: the process makes sandboxes, clone may take namespace flags */
} Policy;

static void policy_done(Policy *p) {
        if (p->ctx)
                seccomp_release(p->ctx);
        free(p->entries);
}

static Entry *policy_find(Policy *p, int nr) {
        for (size_t i = 0; i < p->n_entries; i++)
                if (p->entries[i].nr == nr)
                        return &p->entries[i];
        return NULL;
}

/* The files being read, innermost first: an @include of one of them is a loop. */
typedef struct IncludeFrame {
        const struct IncludeFrame *parent;
        dev_t dev;
        ino_t ino;
        unsigned depth;
} IncludeFrame;

static int parse_file(Policy *p, const char *path, const IncludeFrame *parent, const char *from, unsigned from_line);

static bool syscall_name_is_valid(const char *s) {
        if (isempty(s))
                return false;
        for (; *s; s++)
                if (!(islower((unsigned char) *s) || isdigit((unsigned char) *s) || *s == '_'))
                        return false;
        return true;
}

/* An included list is named, not given as a path: it is always <dir>/<name>.syscalls. */
bool seccomp_policy_name_is_valid(const char *s) {
        if (isempty(s) || s[0] == '.')
                return false;
        for (; *s; s++)
                if (!(isalnum((unsigned char) *s) || strchr("-_.", *s)))
                        return false;
        return true;
}

static char *strstrip(char *s) {
        s += strspn(s, " \t\r\n");
        size_t l = strlen(s);
        while (l > 0 && strchr(" \t\r\n", s[l - 1]))
                s[--l] = 0;
        return s;
}

/* The calls every filter decides the same way, whatever a list says: refused here with the reason. */
static int check_fixed(const char *name, bool kill, const char *path, unsigned line) {
        if (streq(name, "clone3"))
                return log_error_errno(EINVAL,
                        "%s:%u: clone3 cannot be listed: a filter cannot see its flags, so every filter answers it "
                        "with ENOSYS and callers fall back to clone, which can be listed.",
                        path, line);
        if (streq(name, "socket"))
                return log_error_errno(EINVAL,
                        "%s:%u: socket cannot be listed: \"@socket AF_...\" allows it for the address families named.",
                        path, line);
        if (!kill && (streq(name, "unshare") || streq(name, "setns")))
                return log_error_errno(EINVAL, "%s:%u: %s cannot be allowed: it kills the process in every filter.",
                        path, line, name);
        return 0;
}

static int policy_append(Policy *p, int nr, bool kill, bool pinned) {
        Entry *e = reallocarray(p->entries, p->n_entries + 1, sizeof(Entry));
        if (!e)
                return log_oom();
        p->entries = e;
        p->entries[p->n_entries++] = (Entry){ .nr = nr, .kill = kill, .pinned = pinned };
        return 0;
}

static int policy_add(Policy *p, const char *name, bool kill, const char *path, unsigned line) {
        int r = check_fixed(name, kill, path, line);
        if (r < 0)
                return r;

        int nr = seccomp_syscall_resolve_name(name);
        if (nr < 0) {
                /* __NR_SCMP_ERROR for names libseccomp does not know, a negative pseudo-number for those that
                 * exist only elsewhere (mmap2, socketcall, ...): lists are shared across architectures. */
                log_debug("%s:%u: %s is no syscall on this architecture, skipping.", path, line, name);
                return 0;
        }

        Entry *e = policy_find(p, nr);
        if (e) {
                if (e->pinned && e->kill != kill) {
                        log_debug("%s:%u: %s stays %s for the sanitizers or @sandbox.", path, line, name,
                                e->kill ? "kill-listed" : "allowed");
                        return 0;
                }
                if (e->kill != kill)
                        return log_error_errno(EINVAL, "%s:%u: %s is both allowed and kill-listed.", path, line, name);
                return 0; /* listed twice the same way, e.g. in base and again in a daemon's list */
        }

        return policy_append(p, nr, kill, p->pinning);
}

/* What the init of a sandbox does while it builds one (sandbox-init.c) and every other filter kills: allowed
 * in a process that makes sandboxes, whatever its lists say before or after. setns still kills: a sandbox is
 * made, never joined. */
static int policy_allow_sandbox(Policy *p) {
        static const char *const calls[] = { "unshare", "mount", "umount2", "pivot_root" };

        p->sandbox = true;
        FOREACH_ELEMENT(name, calls) {
                int nr = seccomp_syscall_resolve_name(*name);
                if (nr < 0)
                        continue;
                Entry *e = policy_find(p, nr);
                if (!e) {
                        int r = policy_append(p, nr, false, true);
                        if (r < 0)
                                return r;
                        continue;
                }
                e->kill = false;
                e->pinned = true;
        }
        return 0;
}

static int parse_socket(Policy *p, char *args, const char *path, unsigned line) {
        if (!args[0])
                return log_error_errno(EINVAL, "%s:%u: @socket wants the address families it allows, e.g. AF_UNIX.",
                        path, line);
        for (char *save = NULL, *w = strtok_r(args, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                int family = -1;
                FOREACH_ELEMENT(f, address_families)
                if (streq(f->name, w))
                        family = f->family;
                if (family < 0)
                        return log_error_errno(EINVAL, "%s:%u: @socket: \"%s\" is no address family known here.", path,
                                line, w);
                p->families |= UINT64_C(1) << family;
        }
        return 0;
}

static int parse_include(Policy *p, const char *arg, const char *path, unsigned line, const IncludeFrame *frame) {
        if (!seccomp_policy_name_is_valid(arg))
                return log_error_errno(EINVAL,
                        "%s:%u: @include wants the name of a list in the same directory, not \"%s\".", path, line, arg);
        if (frame->depth >= INCLUDE_DEPTH_MAX)
                return log_error_errno(ELOOP, "%s:%u: @include nested more than %u deep.", path, line,
                        INCLUDE_DEPTH_MAX);

        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *included = NULL;
        if (asprintf(&included, "%.*s%s.syscalls", slash ? (int) (slash - path + 1) : 0, path, arg) < 0)
                return log_oom();
        return parse_file(p, included, frame, path, line);
}

static int parse_line(Policy *p, char *text, const char *path, unsigned line, const IncludeFrame *frame) {
        char *hash = strchr(text, '#');
        if (hash)
                *hash = 0;
        char *l = strstrip(text);
        if (!l[0])
                return 0;

        if (l[0] == '@') {
                size_t n = strcspn(l, " \t");
                if (n == strlen("@include") && strncmp(l, "@include", n) == 0 && l[n])
                        return parse_include(p, strstrip(l + n), path, line, frame);
                if (n == strlen("@socket") && strncmp(l, "@socket", n) == 0)
                        return parse_socket(p, strstrip(l + n), path, line);
                if (streq(l, "@sandbox"))
                        return policy_allow_sandbox(p);
                return log_error_errno(EINVAL,
                        "%s:%u: Malformed line \"%s\": the directives are \"@include NAME\", \"@socket AF_...\" and "
                        "\"@sandbox\".",
                        path, line, l);
        }

        bool kill = l[0] == '!';
        if (!syscall_name_is_valid(l + kill))
                return log_error_errno(EINVAL,
                        "%s:%u: Malformed line \"%s\": expected a syscall name, \"!name\" or a directive.", path, line,
                        l);
        return policy_add(p, l + kill, kill, path, line);
}

static int parse_file(Policy *p, const char *path, const IncludeFrame *parent, const char *from, unsigned from_line) {
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        if (!f) {
                if (from)
                        return log_error_errno(errno, "%s:%u: Failed to open included list %s: %m", from, from_line,
                                path);
                return log_error_errno(errno, "Failed to open seccomp allow-list %s: %m", path);
        }

        struct stat st;
        if (fstat(fileno(f), &st) < 0)
                return log_error_errno(errno, "Failed to stat %s: %m", path);
        for (const IncludeFrame *i = parent; i; i = i->parent)
                if (i->dev == st.st_dev && i->ino == st.st_ino)
                        return log_error_errno(ELOOP, "%s:%u: Including %s again makes a loop.", from, from_line, path);

        IncludeFrame frame = {
                .parent = parent,
                .dev = st.st_dev,
                .ino = st.st_ino,
                .depth = parent ? parent->depth + 1 : 0,
        };

        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        unsigned line = 0;
        for (;;) {
                errno = 0;
                ssize_t n = getline(&buf, &size, f);
                if (n < 0) {
                        if (errno != 0)
                                return log_error_errno(errno, "Failed to read %s: %m", path);
                        return 0;
                }
                line++;
                if ((size_t) n != strlen(buf))
                        return log_error_errno(EINVAL, "%s:%u: Malformed line: it contains a NUL byte.", path, line);
                int r = parse_line(p, buf, path, line, &frame);
                if (r < 0)
                        return r;
        }
}

static int policy_init(Policy *p) {
        *p = (Policy){
                .ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM)),
        };
        if (!p->ctx)
                return log_error_errno(ENOMEM, "Failed to allocate a seccomp filter.");

        /* libseccomp's default, stated: without NO_NEW_PRIVS an unprivileged process cannot load a filter, and
         * a filter is no use if an exec of a setuid binary can shed it. */
        int r = seccomp_attr_set(p->ctx, SCMP_FLTATR_CTL_NNP, 1);
        if (r < 0)
                return log_error_errno(r, "Failed to enable NO_NEW_PRIVS for the seccomp filter: %m");

        /* A system call of another ABI (i386's int 0x80 or x32 numbers on x86-64) would get past every rule,
         * which names the native ABI's numbers: it kills the process, not just the thread (the default). */
        r = seccomp_attr_set(p->ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        if (r < 0)
                return log_error_errno(r, "Failed to make the seccomp filter kill on foreign system calls: %m");

        /* unshare and setns kill in every filter, as if each list kill-listed them (check_fixed() refuses a
         * list that allows them). */
        static const char *const always_killed[] = { "unshare", "setns" };
        FOREACH_ELEMENT(name, always_killed) {
                r = policy_add(p, *name, true, "(fixed)", 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* socket() for the families @socket allows; any other family fails with EAFNOSUPPORT, which is what the
 * kernel says of a family it lacks and what systemd's RestrictAddressFamilies= answers, so that libraries
 * take their fallback (glibc's getaddrinfo() asks netlink for the local addresses and does without). */
static int add_socket_rules(Policy *p) {
        if (p->families == 0)
                return 0; /* socket() is not allowed at all: EPERM, as for any call not listed */

        for (int family = 0; family < FAMILY_BITS; family++) {
                bool allowed = p->families & (UINT64_C(1) << family);
                int r = seccomp_rule_add(p->ctx, allowed ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EAFNOSUPPORT),
                        SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, family));
                if (r < 0)
                        return log_error_errno(r, "Failed to add a rule for socket(%d): %m", family);
        }
        int r = seccomp_rule_add(p->ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                SCMP_A0(SCMP_CMP_GE, FAMILY_BITS));
        if (r < 0)
                return log_error_errno(r, "Failed to add a rule for socket(): %m");
        return 0;
}

/* clone without namespace flags where the lists allow clone, and death with any of them, listed or not. */
static int add_clone_rules(Policy *p) {
        Entry *e = policy_find(p, SCMP_SYS(clone));
        if (e && e->kill)
                return 0; /* kill-listed as a whole, rule added with the others */

        int r;
        if (p->sandbox) {
                /* The sandbox's init is cloned into its namespaces. */
                r = e ? seccomp_rule_add(p->ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 0) : 0;
                if (r < 0)
                        return log_error_errno(r, "Failed to add a rule for clone: %m");
                return 0;
        }
        if (e) {
                r = seccomp_rule_add(p->ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                        SCMP_CLONE_FLAGS(SCMP_CMP_MASKED_EQ, CLONE_NAMESPACE_FLAGS, 0));
                if (r < 0)
                        return log_error_errno(r, "Failed to add a rule for clone: %m");
        }
        for (unsigned bit = 0; bit < 32; bit++) {
                uint64_t flag = UINT64_C(1) << bit;
                if (!(CLONE_NAMESPACE_FLAGS & flag))
                        continue;
                r = seccomp_rule_add(p->ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
                        SCMP_CLONE_FLAGS(SCMP_CMP_MASKED_EQ, flag, flag));
                if (r < 0)
                        return log_error_errno(r, "Failed to add a rule for clone with namespace flags: %m");
        }
        return 0;
}

/* Turns what the lists said into the filter's rules. */
static int policy_build(Policy *p) {
        int r;
        for (size_t i = 0; i < p->n_entries; i++) {
                const Entry *e = &p->entries[i];
                if (e->nr == SCMP_SYS(clone) && !e->kill)
                        continue; /* by its flags, below */
                r = seccomp_rule_add(p->ctx, e->kill ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ALLOW, e->nr, 0);
                if (r < 0) {
                        _cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, e->nr);
                        return log_error_errno(r, "Failed to add a rule for %s: %m", strempty(name));
                }
        }

        r = add_clone_rules(p);
        if (r < 0)
                return r;
        r = add_socket_rules(p);
        if (r < 0)
                return r;

        /* clone3 passes its flags in memory, out of a filter's sight: ENOSYS, as under systemd's
         * SystemCallFilter=, and glibc and others fall back to clone. */
        r = seccomp_rule_add(p->ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
        if (r < 0)
                return log_error_errno(r, "Failed to add a rule for clone3: %m");
        return 0;
}

int seccomp_policy_parse_pinned(const char *pinned, const char *path, scmp_filter_ctx *ret) {
        assert(path);
        assert(ret);

        _cleanup_(policy_done) Policy p = {};
        int r = policy_init(&p);
        if (r < 0)
                return r;

        if (pinned) {
                p.pinning = true;
                r = parse_file(&p, pinned, NULL, NULL, 0);
                if (r < 0)
                        return r;
                p.pinning = false;
        }
        r = parse_file(&p, path, NULL, NULL, 0);
        if (r < 0)
                return r;
        r = policy_build(&p);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(p.ctx);
        return 0;
}

int seccomp_policy_parse(const char *path, scmp_filter_ctx *ret) {
        return seccomp_policy_parse_pinned(NULL, path, ret);
}
