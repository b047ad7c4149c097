/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sandboxes' cgroups: the daemon's delegated subtree, and a cgroup with limits for each sandbox. */
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "log.h"
#include "sandbox-internal.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static int write_attribute(const char *dir, const char *name, const char *value) {
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        if (write(fd, value, strlen(value)) < 0)
                return -errno;
        return 0;
}

/* Our cgroup v2 path, from the "0::" line of /proc/self/cgroup. */
static int own_cgroup(char **ret) {
        _cleanup_(fclosep) FILE *f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return log_debug_errno(errno, "Failed to open /proc/self/cgroup: %m");

        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        while (getline(&line, &size, f) > 0) {
                if (!startswith_ptr(line, "0::/"))
                        continue;
                line[strcspn(line, "\n")] = 0;
                char *path = strdup(line + strlen("0::"));
                if (!path)
                        return -ENOMEM;
                *ret = path;
                return 0;
        }
        return -ENOENT;
}

int sandbox_cgroup_setup(char **ret_parent) {
        assert(ret_parent);

        struct statfs sfs;
        if (statfs(CGROUP_ROOT, &sfs) < 0)
                return log_debug_errno(errno, "No cgroup file system at " CGROUP_ROOT ": %m");
        if (sfs.f_type != CGROUP2_SUPER_MAGIC)
                return log_debug_errno(EOPNOTSUPP, CGROUP_ROOT " is no cgroup v2 hierarchy (a v1 or hybrid layout).");

        _cleanup_free_ char *own = NULL;
        int r = own_cgroup(&own);
        if (r < 0)
                return log_debug_errno(r, "Found no cgroup v2 path of ours in /proc/self/cgroup: %m");

        _cleanup_free_ char *dir = NULL, *leaf = NULL;
        if (asprintf(&dir, CGROUP_ROOT "%s", streq(own, "/") ? "" : own) < 0 || asprintf(&leaf, "%s/daemon", dir) < 0)
                return log_oom();
        if (access(dir, W_OK) < 0)
                return log_debug_errno(errno, "Our cgroup %s is not ours to write (no Delegate=yes?): %m", dir);

        /* A cgroup with children has no processes of its own: we go into a leaf beside our sandboxes. */
        if (mkdir(leaf, 0755) < 0 && errno != EEXIST)
                return log_debug_errno(errno, "Failed to make the cgroup %s: %m", leaf);
        r = write_attribute(leaf, "cgroup.procs", "0");
        if (r < 0)
                return log_debug_errno(r, "Failed to move into the cgroup %s: %m", leaf);

        static const char *const controllers[] = { "+memory", "+pids", "+cpu" };
        FOREACH_ELEMENT(c, controllers) {
                r = write_attribute(dir, "cgroup.subtree_control", *c);
                if (r < 0)
                        return log_debug_errno(r, "Failed to enable the %s controller for %s's children: %m", *c + 1,
                                dir);
        }

        log_debug("Sandboxes get cgroups under %s.", dir);
        *ret_parent = TAKE_PTR(dir);
        return 0;
}

int sandbox_cgroup_make(const char *parent, pid_t pid, const SandboxLimits *limits, char **ret_path) {
        assert(parent);
        assert(limits);
        assert(ret_path);

        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/sandbox-%d", parent, pid) < 0)
                return log_oom();
        if (mkdir(path, 0755) < 0) {
                /* Left behind by a sandbox of the same pid whose daemon died: empty, or it could not be. */
                if (errno != EEXIST || rmdir(path) < 0 || mkdir(path, 0755) < 0)
                        return log_error_errno(errno, "Failed to make the sandbox's cgroup %s: %m", path);
        }

        char memory[32], tasks[32], cpu[48];
        (void) snprintf(memory, sizeof(memory), "%llu", (unsigned long long) limits->memory_bytes);
        (void) snprintf(tasks, sizeof(tasks), "%llu", (unsigned long long) limits->tasks);
        (void) snprintf(cpu, sizeof(cpu), "%llu 100000", (unsigned long long) limits->cpu_quota_pct * 1000);
        const struct {
                const char *name;
                const char *value; /* NULL: no limit */
        } attributes[] = {
                { "memory.max", limits->memory_bytes > 0 ? memory : NULL },
                { "memory.swap.max", limits->memory_bytes > 0 ? "0" : NULL }, /* no swap where memory is limited */
                { "pids.max", limits->tasks > 0 ? tasks : NULL },
                { "cpu.max", limits->cpu_quota_pct > 0 ? cpu : NULL },
        };
        FOREACH_ELEMENT(a, attributes) {
                if (!a->value)
                        continue;
                int r = write_attribute(path, a->name, a->value);
                /* memory.swap.max is missing where swap is not accounted for: there is nothing to limit. */
                if (r == -ENOENT && streq(a->name, "memory.swap.max"))
                        continue;
                if (r < 0) {
                        (void) rmdir(path);
                        return log_error_errno(r, "Failed to write %s to %s/%s: %m", a->value, path, a->name);
                }
        }

        *ret_path = TAKE_PTR(path);
        return 0;
}

int sandbox_cgroup_attach(const char *path, pid_t pid) {
        char value[32];
        (void) snprintf(value, sizeof(value), "%d", pid);
        int r = write_attribute(path, "cgroup.procs", value);
        if (r < 0)
                return log_error_errno(r, "Failed to move the sandbox %d into its cgroup %s: %m", pid, path);
        return 0;
}

int sandbox_cgroup_kill(const char *path) {
        int r = write_attribute(path, "cgroup.kill", "1");
        /* cgroup.kill came with Linux 5.14; the init's death ends the PID namespace anyway. */
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "Failed to kill the processes of the cgroup %s: %m", path);
        return 0;
}

int sandbox_cgroup_remove(const char *path) {
        /* Once the init is reaped its namespace is empty, but the cgroup may lag behind for a moment. */
        for (unsigned i = 0; i < 100; i++) {
                if (rmdir(path) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY)
                        break;
                (void) usleep(1000);
        }
        return log_warning_errno(errno, "Failed to remove the sandbox's cgroup %s: %m", path);
}
