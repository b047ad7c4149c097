/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reads *.syscalls allow-lists into a libseccomp filter and installs it. */
#include <ctype.h>
#include <stdio.h>
#include <sys/stat.h>

#include "log.h"
#include "seccomp-policy.h"

/* Past this many nested @include lines something is wrong even without a loop. */
#define INCLUDE_DEPTH_MAX 16

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose);

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
        bool pinning; /* entries added now are pinned */
} Policy;

static void policy_done(Policy *p) {
        if (p->ctx)
                seccomp_release(p->ctx);
        free(p->entries);
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
static bool list_name_is_valid(const char *s) {
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

static int policy_add(Policy *p, const char *name, bool kill, const char *path, unsigned line) {
        int nr = seccomp_syscall_resolve_name(name);
        if (nr < 0) {
                /* __NR_SCMP_ERROR for names libseccomp does not know, a negative pseudo-number for those that
                 * exist only elsewhere (mmap2, socketcall, ...): lists are shared across architectures. */
                log_debug("%s:%u: %s is no syscall on this architecture, skipping.", path, line, name);
                return 0;
        }

        for (size_t i = 0; i < p->n_entries; i++) {
                if (p->entries[i].nr != nr)
                        continue;
                if (p->entries[i].pinned && p->entries[i].kill != kill) {
                        log_debug("%s:%u: %s stays %s for the sanitizers.", path, line, name,
                                p->entries[i].kill ? "kill-listed" : "allowed");
                        return 0;
                }
                if (p->entries[i].kill != kill)
                        return log_error_errno(EINVAL, "%s:%u: %s is both allowed and kill-listed.", path, line, name);
                return 0; /* listed twice the same way, e.g. in base and again in a daemon's list */
        }

        Entry *e = reallocarray(p->entries, p->n_entries + 1, sizeof(Entry));
        if (!e)
                return log_oom();
        p->entries = e;
        p->entries[p->n_entries++] = (Entry) { .nr = nr, .kill = kill, .pinned = p->pinning };

        int r = seccomp_rule_add(p->ctx, kill ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ALLOW, nr, 0);
        if (r < 0)
                return log_error_errno(r, "%s:%u: Failed to add a rule for %s: %m", path, line, name);
        return 0;
}

static int parse_include(Policy *p, const char *arg, const char *path, unsigned line, const IncludeFrame *frame) {
        if (!list_name_is_valid(arg))
                return log_error_errno(EINVAL,
                        "%s:%u: @include wants the name of a list in the same directory, not \"%s\".", path, line, arg);
        if (frame->depth >= INCLUDE_DEPTH_MAX)
                return log_error_errno(ELOOP, "%s:%u: @include nested more than %u deep.", path, line, INCLUDE_DEPTH_MAX);

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
                if (n != strlen("@include") || strncmp(l, "@include", n) != 0 || !l[n])
                        return log_error_errno(EINVAL,
                                "%s:%u: Malformed line \"%s\": the only directive is \"@include NAME\".", path, line, l);
                return parse_include(p, strstrip(l + n), path, line, frame);
        }

        bool kill = l[0] == '!';
        if (!syscall_name_is_valid(l + kill))
                return log_error_errno(EINVAL,
                        "%s:%u: Malformed line \"%s\": expected a syscall name, \"!name\" or \"@include NAME\".", path,
                        line, l);
        return policy_add(p, l + kill, kill, path, line);
}

static int parse_file(Policy *p, const char *path, const IncludeFrame *parent, const char *from, unsigned from_line) {
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        if (!f) {
                if (from)
                        return log_error_errno(errno, "%s:%u: Failed to open included list %s: %m", from, from_line, path);
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
        *p = (Policy) {
                .ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM)),
        };
        if (!p->ctx)
                return log_error_errno(ENOMEM, "Failed to allocate a seccomp filter.");

        /* libseccomp's default, stated: without NO_NEW_PRIVS an unprivileged process cannot load a filter, and
         * a filter is no use if an exec of a setuid binary can shed it. */
        int r = seccomp_attr_set(p->ctx, SCMP_FLTATR_CTL_NNP, 1);
        if (r < 0)
                return log_error_errno(r, "Failed to enable NO_NEW_PRIVS for the seccomp filter: %m");
        return 0;
}

int seccomp_policy_parse(const char *path, scmp_filter_ctx *ret) {
        assert(path);
        assert(ret);

        _cleanup_(policy_done) Policy p = {};
        int r = policy_init(&p);
        if (r < 0)
                return r;
        r = parse_file(&p, path, NULL, NULL, 0);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(p.ctx);
        return 0;
}

int seccomp_policy_load(const char *name, const char *dir) {
        assert(name);

        if (streq_ptr(getenv("AIOS_SECCOMP"), "off")) {
                log_warning("AIOS_SECCOMP=off: not installing the seccomp allow-list %s. For debugging only.", name);
                return 0;
        }

        if (!list_name_is_valid(name))
                return log_error_errno(EINVAL, "\"%s\" is not a valid seccomp allow-list name.", name);
        if (!dir)
                dir = getenv("AIOS_SECCOMP_DIR");
        if (isempty(dir))
                dir = SECCOMP_DIR;

        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s.syscalls", dir, name) < 0)
                return log_oom();

        _cleanup_(policy_done) Policy p = {};
        int r = policy_init(&p);
        if (r < 0)
                return r;

#ifdef HAVE_ASAN
        /* LeakSanitizer looks for leaks at exit from a thread that stops the others with ptrace, which the
         * lists kill-list; what the sanitizers need goes first, and stays as it says. */
        _cleanup_free_ char *sanitizers = NULL;
        if (asprintf(&sanitizers, "%s/sanitizers.syscalls", dir) < 0)
                return log_oom();
        p.pinning = true;
        r = parse_file(&p, sanitizers, NULL, NULL, 0);
        if (r < 0)
                return r;
        p.pinning = false;
#endif

        r = parse_file(&p, path, NULL, NULL, 0);
        if (r < 0)
                return r;

        /* Threads started before us (libraries may have some) get the filter too, or loading fails. */
        r = seccomp_attr_set(p.ctx, SCMP_FLTATR_CTL_TSYNC, 1);
        if (r < 0)
                return log_error_errno(r, "Failed to ask for the seccomp filter on all threads: %m");

        r = seccomp_load(p.ctx);
        if (r < 0)
                return log_error_errno(r, "Failed to install the seccomp allow-list %s: %m", path);

        log_debug("Installed the seccomp allow-list %s.", path);
        return 0;
}
