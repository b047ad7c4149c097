/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: system_disk_usage, from /proc/self/mountinfo and statvfs. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <sys/statvfs.h>

#include "info-internal.h"
#include "mcp-request.h"
#include "sysops-util.h"

/* Bounds: no file read here is larger than this, and no table longer. */
#define MOUNTINFO_MAX (4U * 1024U * 1024U)
#define MOUNTS_SCANNED_MAX 16384U
#define FILESYSTEMS_MAX 256U

/* --- system_disk_usage ---------------------------------------------------------------------------------- */

/* Kernel-internal and virtual file systems: no storage behind them. */
static bool fs_type_is_pseudo(const char *type) {
        static const char *const pseudo[] = {
                "proc",
                "sysfs",
                "cgroup",
                "cgroup2",
                "devpts",
                "mqueue",
                "tracefs",
                "debugfs",
                "securityfs",
                "pstore",
                "bpf",
                "configfs",
                "fusectl",
                "autofs",
                "binfmt_misc",
                "hugetlbfs",
                "nsfs",
                "efivarfs",
                "selinuxfs",
                "rpc_pipefs",
                "nfsd",
                "sockfs",
                "pipefs",
                "ramfs",
                "rootfs",
                "fuse.gvfsd-fuse",
                "fuse.portal",
                "fuse.lxcfs",
        };
        FOREACH_ELEMENT(p, pseudo)
        if (streq(type, *p))
                return true;
        return false;
}

/* File systems whose statvfs() may wait on something else (a server, a FUSE daemon, an automounter): one that
 * is gone would stall the whole daemon, so they are listed without their usage. */
static bool fs_type_may_block(const char *type) {
        static const char *const blocking[] = {
                "nfs",
                "nfs4",
                "cifs",
                "smb3",
                "smbfs",
                "ncpfs",
                "ceph",
                "glusterfs",
                "9p",
                "afs",
                "lustre",
                "gfs2",
                "ocfs2",
                "davfs",
                "autofs",
                "fuse",
                "fuseblk",
        };
        if (startswith_ptr(type, "fuse."))
                return true;
        FOREACH_ELEMENT(b, blocking)
        if (streq(type, *b))
                return true;
        return false;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. In place. */
static char *mountinfo_unescape(char *s) {
        char *out = s, *start = s;
        for (; *s; s++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
                        s[3] <= '7') {
                        *out++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
                        s += 3;
                } else
                        *out++ = *s;
        }
        *out = 0;
        return start;
}

typedef struct MountEntry {
        char *mount_point, *source, *fs_type;
        bool read_only;
} MountEntry;

/* Parses one mountinfo line in place: "36 35 98:0 /root /mnt opts [optional...] - fstype source superopts". */
static bool mountinfo_parse_line(char *line, MountEntry *ret) {
        char *fields[64];
        size_t n = 0;
        for (char *save = NULL, *t = strtok_r(line, " ", &save); t && n < ELEMENTSOF(fields);
                t = strtok_r(NULL, " ", &save))
                fields[n++] = t;

        size_t dash = 6;
        while (dash < n && !streq(fields[dash], "-"))
                dash++;
        if (n < 6 || dash + 2 >= n)
                return false;

        /* Read-only is the file system's state (the super block's options), not this mount's: a sandboxed
         * service (ProtectSystem=strict) sees read-only bind mounts of file systems that are writable. */
        const char *options = dash + 3 < n ? fields[dash + 3] : fields[5];
        *ret = (MountEntry){
                .mount_point = mountinfo_unescape(fields[4]),
                .fs_type = mountinfo_unescape(fields[dash + 1]),
                .source = mountinfo_unescape(fields[dash + 2]),
                .read_only = streq(options, "ro") || startswith_ptr(options, "ro,"),
        };
        return true;
}

/* A mount point as the caller wrote it, compared as mountinfo has it: without trailing slashes. Nothing on the
 * file system is looked at, so that the answer says nothing about paths that are not mount points. */
static void mount_point_normalize(char *path) {
        size_t n = strlen(path);
        while (n > 1 && path[n - 1] == '/')
                path[--n] = 0;
}

static int filesystem_to_json(const MountEntry *m, json_object **ret) {
        _cleanup_json_ json_object *fs = json_object_new_object();
        if (!fs || sysops_add_string_or_null(fs, "mount_point", m->mount_point) < 0 ||
                sysops_add_string_or_null(fs, "device", m->source) < 0 ||
                sysops_add_string_or_null(fs, "fs_type", m->fs_type) < 0 ||
                json_add(fs, "read_only", json_object_new_boolean(m->read_only)) < 0)
                return -ENOMEM;

        struct statvfs st;
        const char *skipped = NULL;
        if (fs_type_may_block(m->fs_type))
                skipped = "not queried: a remote, FUSE or automounted file system can stall the caller";
        else if (statvfs(m->mount_point, &st) < 0)
                skipped = errno == EACCES || errno == EPERM ? "not queried: permission denied"
                                                            : "not queried: statvfs failed";

        if (skipped) {
                if (json_object_object_add(fs, "usage", NULL) < 0 || json_add_string(fs, "usage_note", skipped) < 0)
                        return -ENOMEM;
                *ret = TAKE_PTR(fs);
                return 0;
        }

        uint64_t frsize = st.f_frsize ?: st.f_bsize;
        uint64_t total = (uint64_t) st.f_blocks * frsize, free_ = (uint64_t) st.f_bfree * frsize,
                 avail = (uint64_t) st.f_bavail * frsize;
        uint64_t used = total > free_ ? total - free_ : 0;
        /* As df(1): what is used, of what non-privileged users could have (reserved blocks excluded). */
        double percent = used + avail > 0 ? ceil((double) used * 1000.0 / (double) (used + avail)) / 10.0 : 0.0;
        uint64_t inodes_used = st.f_files > st.f_ffree ? (uint64_t) (st.f_files - st.f_ffree) : 0;

        _cleanup_json_ json_object *usage = json_object_new_object();
        if (!usage || json_add(usage, "total_bytes", json_object_new_uint64(total)) < 0 ||
                json_add(usage, "used_bytes", json_object_new_uint64(used)) < 0 ||
                json_add(usage, "available_bytes", json_object_new_uint64(avail)) < 0 ||
                json_add(usage, "percent_used", sysops_json_number(percent, 1)) < 0 ||
                json_add(usage, "inodes_total", json_object_new_uint64(st.f_files)) < 0 ||
                json_add(usage, "inodes_used", json_object_new_uint64(inodes_used)) < 0 ||
                json_add(usage, "inodes_free", json_object_new_uint64(st.f_ffree)) < 0 ||
                json_add(fs, "usage", TAKE_PTR(usage)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(fs);
        return 0;
}

int tool_system_disk_usage(McpRequest *req, json_object *args) {
        bool include_pseudo = json_get_bool(args, "include_pseudo", false);
        const char *path = json_get_string(args, "path");
        _cleanup_free_ char *resolved = NULL;

        /* Only mount points, from mountinfo, never the file system itself: the service's user resolving any
         * path a caller names would tell the caller whether it exists. */
        if (path) {
                resolved = strdup(path);
                if (!resolved)
                        return -ENOMEM;
                mount_point_normalize(resolved);
        }

        _cleanup_free_ char *text = NULL;
        int r = sysops_read_small_file("/proc/self/mountinfo", MOUNTINFO_MAX, &text, NULL);
        if (r < 0)
                return mcp_request_reply_tool_error(req, "Cannot read /proc/self/mountinfo: %s", strerror(-r));

        size_t lines = 1;
        for (const char *p = text; (p = strchr(p, '\n')); p++)
                lines++;
        _cleanup_free_ MountEntry *mounts = new0(MountEntry, MIN(lines, (size_t) MOUNTS_SCANNED_MAX));
        if (!mounts)
                return -ENOMEM;
        size_t n = 0;
        bool scan_truncated = false;
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (n >= MIN(lines, (size_t) MOUNTS_SCANNED_MAX)) {
                        scan_truncated = true;
                        break;
                }
                if (mountinfo_parse_line(line, &mounts[n]))
                        n++;
        }

        /* With a path: the file system mounted there, the last one when several are stacked (the one seen). */
        size_t only = SIZE_MAX;
        if (resolved) {
                for (size_t i = 0; i < n; i++)
                        if (streq(mounts[i].mount_point, resolved))
                                only = i;
                if (only == SIZE_MAX)
                        return mcp_request_reply_tool_error(req,
                                "\"%s\" is not a mount point. system_disk_usage answers for mount points only; without "
                                "path it lists every mounted file system, with its mount point.",
                                resolved);
        }

        _cleanup_json_ json_object *list = json_object_new_array();
        if (!list)
                return -ENOMEM;
        size_t listed = 0, skipped_pseudo = 0;
        bool truncated = scan_truncated;
        for (size_t i = 0; i < n; i++) {
                if (only != SIZE_MAX && i != only)
                        continue;
                if (only == SIZE_MAX && !include_pseudo && fs_type_is_pseudo(mounts[i].fs_type)) {
                        skipped_pseudo++;
                        continue;
                }
                if (listed >= FILESYSTEMS_MAX) {
                        truncated = true;
                        break;
                }
                json_object *fs = NULL;
                r = filesystem_to_json(&mounts[i], &fs);
                if (r < 0)
                        return r;
                if (json_object_array_add(list, fs) < 0) {
                        json_object_put(fs);
                        return -ENOMEM;
                }
                listed++;
        }

        _cleanup_json_ json_object *result = json_object_new_object();
        if (!result || json_add(result, "filesystems", TAKE_PTR(list)) < 0 ||
                json_add(result, "count", json_object_new_int64((int64_t) listed)) < 0 ||
                json_add(result, "pseudo_skipped", json_object_new_int64((int64_t) skipped_pseudo)) < 0 ||
                json_add(result, "truncated", json_object_new_boolean(truncated)) < 0)
                return -ENOMEM;

        _cleanup_free_ char *summary = NULL;
        json_object *first = json_object_array_get_idx(json_get_array(result, "filesystems"), 0);
        json_object *usage = json_get_object(first, "usage"), *v;
        if (resolved && usage && json_object_object_get_ex(usage, "percent_used", &v)) {
                char used[32], total[32];
                json_object *u, *t;
                json_object_object_get_ex(usage, "used_bytes", &u);
                json_object_object_get_ex(usage, "total_bytes", &t);
                r = asprintf(&summary, "The file system mounted on %s (%s, %s): %s used of %s (%.1f%%)",
                        json_get_string(first, "mount_point"), json_get_string(first, "device"),
                        json_get_string(first, "fs_type"),
                        sysops_format_bytes(used, sizeof(used), json_object_get_uint64(u)),
                        sysops_format_bytes(total, sizeof(total), json_object_get_uint64(t)),
                        json_object_get_double(v));
        } else if (resolved)
                r = asprintf(&summary, "The file system mounted on %s (%s, %s): its usage was not queried",
                        json_get_string(first, "mount_point"), json_get_string(first, "device"),
                        json_get_string(first, "fs_type"));
        else
                r = asprintf(&summary, "%zu file systems%s%s", listed,
                        skipped_pseudo > 0 && !include_pseudo ? " (pseudo file systems left out)" : "",
                        truncated ? "; the list was cut at 256 entries" : "");
        if (r < 0)
                return -ENOMEM;
        return sysops_reply_structured(req, summary, TAKE_PTR(result));
}
