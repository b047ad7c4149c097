/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Installs a daemon's seccomp allow-list: which directory it comes from, and when it may be skipped. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "seccomp-policy.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

/* Whether this binary runs from the build tree it was compiled in (AIOS_BUILD_ROOT), rather than installed.
 * Leaves the path of the binary in exe either way, for the log. */
static bool running_from_build_tree(char *exe, size_t size) {
        ssize_t n = readlink("/proc/self/exe", exe, size - 1);
        if (n < 0) {
                snprintf(exe, size, "%s", program_invocation_name);
                return false;
        }
        exe[n] = 0;

        char root[PATH_MAX];
        if (!realpath(AIOS_BUILD_ROOT, root))
                return false; /* no build tree here: installed from a package */
        size_t l = strlen(root);
        return strncmp(exe, root, l) == 0 && exe[l] == '/';
}

const char *seccomp_policy_default_dir(void) {
        const char *dir = getenv("AIOS_SECCOMP_DIR");
        if (!isempty(dir))
                return dir;
        char exe[PATH_MAX];
        return running_from_build_tree(exe, sizeof(exe)) ? AIOS_SOURCE_ROOT "/seccomp" : SECCOMP_DIR;
}

int seccomp_policy_load(const char *name, const char *dir) {
        assert(name);

        if (streq_ptr(getenv("AIOS_SECCOMP"), "off")) {
                char exe[PATH_MAX];
                if (running_from_build_tree(exe, sizeof(exe))) {
                        log_warning("AIOS_SECCOMP=off: not installing the seccomp allow-list %s. For debugging only.",
                                name);
                        return 0;
                }
                /* An environment variable is too easily set, or left set, to switch off the filter of an
                 * installed daemon: that takes editing its list. */
                log_warning("AIOS_SECCOMP=off is ignored: %s is not run from its build tree (%s), and an installed "
                            "daemon always installs its seccomp allow-list.",
                        exe, AIOS_BUILD_ROOT);
        }

        if (!seccomp_policy_name_is_valid(name))
                return log_error_errno(EINVAL, "\"%s\" is not a valid seccomp allow-list name.", name);
        if (!dir)
                dir = seccomp_policy_default_dir();

        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s.syscalls", dir, name) < 0)
                return log_oom();
        if (access(path, R_OK) < 0)
                return log_error_errno(errno,
                        "Failed to open the seccomp allow-list %s: %m. Set $AIOS_SECCOMP_DIR to the directory of "
                        "the *.syscalls lists: the installed share/aios/seccomp, or seccomp/ in the source tree.",
                        path);

        _cleanup_free_ char *sanitizers = NULL;
#ifdef HAVE_ASAN
        /* LeakSanitizer looks for leaks at exit from a thread that stops the others with ptrace, which the
         * lists kill-list; what the sanitizers need goes first, and stays as it says. */
        if (asprintf(&sanitizers, "%s/sanitizers.syscalls", dir) < 0)
                return log_oom();
#endif

        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        int r = seccomp_policy_parse_pinned(sanitizers, path, &ctx);
        if (r < 0)
                return r;

        /* Threads started before us (libraries may have some) get the filter too, or loading fails. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
        if (r < 0)
                return log_error_errno(r, "Failed to ask for the seccomp filter on all threads: %m");

        r = seccomp_load(ctx);
        if (r < 0)
                return log_error_errno(r, "Failed to install the seccomp allow-list %s: %m", path);

        log_debug("Installed the seccomp allow-list %s.", path);
        return 0;
}
