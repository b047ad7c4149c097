/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: system_info, system_disk_usage and system_network, from /proc, /sys, statvfs and getifaddrs. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <time.h>
#if defined(__i386__) || defined(__x86_64__)
#include <cpuid.h>
#endif

#include "info.h"
#include "mcp-content.h"
#include "mcp-request.h"
#include "sysops.h"

#define READ_ONLY_ANNOTATIONS "{\"readOnlyHint\":true,\"openWorldHint\":false}"

/* Bounds: no file read here is larger than this, and no table longer. */
#define SMALL_FILE_MAX (64U * 1024U)
#define MOUNTINFO_MAX (4U * 1024U * 1024U)
#define MOUNTS_SCANNED_MAX 16384U
#define FILESYSTEMS_MAX 256U
#define INTERFACES_MAX 1024U
#define ADDRESSES_PER_INTERFACE_MAX 256U

/* --- helpers shared with the other families (info.h) ---------------------------------------------------- */

char *sysops_format_timestamp(char *buf, uint64_t usec, bool with_usec) {
        time_t sec = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;

        if (!gmtime_r(&sec, &tm)) {
                snprintf(buf, SYSOPS_TIMESTAMP_MAX, "1970-01-01T00:00:00Z");
                return buf;
        }
        size_t n = strftime(buf, SYSOPS_TIMESTAMP_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
        if (with_usec)
                snprintf(buf + n, SYSOPS_TIMESTAMP_MAX - n, ".%06lluZ", (unsigned long long) (usec % USEC_PER_SEC));
        else
                snprintf(buf + n, SYSOPS_TIMESTAMP_MAX - n, "Z");
        return buf;
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not one. */
static size_t utf8_sequence_length(const unsigned char *s, size_t n) {
        size_t len;
        uint32_t c;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                len = 2, c = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                len = 3, c = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                len = 4, c = s[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        /* Overlong forms, surrogates and code points beyond Unicode. */
        if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        return len;
}

json_object *sysops_json_string_clean(const char *s, size_t n) {
        /* Each byte becomes at most three (U+FFFD). */
        _cleanup_free_ char *out = malloc(n * 3 + 1);
        if (!out)
                return NULL;

        const unsigned char *p = (const unsigned char *) s;
        size_t o = 0;
        for (size_t i = 0; i < n;) {
                size_t len = utf8_sequence_length(p + i, n - i);
                if (len == 0) {
                        memcpy(out + o, "\xef\xbf\xbd", 3);
                        o += 3;
                        i++;
                } else if (len == 1 && (p[i] < 0x20 || p[i] == 0x7f) && p[i] != '\t' && p[i] != '\n') {
                        out[o++] = ' ';
                        i++;
                } else {
                        memcpy(out + o, p + i, len);
                        o += len;
                        i += len;
                }
        }
        return json_object_new_string_len(out, (int) o);
}

json_object *sysops_json_number(double value, int decimals) {
        char text[64];
        snprintf(text, sizeof(text), "%.*f", decimals, value);
        return json_object_new_double_s(value, text);
}

/* Reads a small file (a /proc or /sys attribute, os-release) whole, NUL-terminated. Files longer than max are
 * refused with -EFBIG rather than cut, so that nothing parses half a table. */
static int read_small_file(const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        size_t size = 0, allocated = 0;
        _cleanup_free_ char *buf = NULL;
        for (;;) {
                /* Room for one more byte than max, to tell a file of max bytes from a longer one. */
                if (allocated - size < 2) {
                        size_t bigger = MIN(allocated == 0 ? (size_t) 4096 : allocated * 2, max + 2);
                        char *p = realloc(buf, bigger);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        allocated = bigger;
                }
                ssize_t k = read(fd, buf + size, allocated - 1 - size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                size += (size_t) k;
                if (size > max)
                        return -EFBIG;
        }
        buf[size] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

/* The first line of a small file, without its newline and trailing blanks. */
static int read_one_line(const char *path, char **ret) {
        _cleanup_free_ char *text = NULL;
        int r = read_small_file(path, SMALL_FILE_MAX, &text, NULL);
        if (r < 0)
                return r;
        text[strcspn(text, "\n")] = 0;
        for (size_t n = strlen(text); n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'); n--)
                text[n - 1] = 0;
        *ret = TAKE_PTR(text);
        return 0;
}

static int read_uptime_usec(uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        int r = read_small_file("/proc/uptime", SMALL_FILE_MAX, &text, NULL);
        if (r < 0)
                return r;
        double uptime;
        if (sscanf(text, "%lf", &uptime) != 1 || !(uptime >= 0))
                return -EBADMSG;
        *ret = (uint64_t) (uptime * USEC_PER_SEC);
        return 0;
}

static uint64_t realtime_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000U;
}

int sysops_boot_time_usec(uint64_t *ret) {
        uint64_t uptime;
        int r = read_uptime_usec(&uptime);
        if (r < 0)
                return r;
        uint64_t now = realtime_usec();
        *ret = now > uptime ? now - uptime : 0;
        return 0;
}

/* stat() rather than access(2): no system call beyond what reading files needs. */
static bool path_exists(const char *path) {
        struct stat st;
        return stat(path, &st) >= 0;
}

/* json_add for a string that may be missing: JSON null then. */
static int add_string_or_null(json_object *o, const char *key, const char *value) {
        if (!value)
                return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
        return json_add(o, key, sysops_json_string_clean(value, strlen(value)));
}

/* "1.5 GiB": for the text summaries. */
static const char *format_bytes(char *buf, size_t size, uint64_t bytes) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        double v = (double) bytes;
        size_t u = 0;
        while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
                v /= 1024;
                u++;
        }
        if (u == 0)
                snprintf(buf, size, "%llu B", (unsigned long long) bytes);
        else
                snprintf(buf, size, "%.1f %s", v, units[u]);
        return buf;
}

static const char *format_duration(char *buf, size_t size, uint64_t usec) {
        uint64_t s = usec / USEC_PER_SEC;
        uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;
        if (d > 0)
                snprintf(buf, size, "%llud %lluh %llumin", (unsigned long long) d, (unsigned long long) h,
                        (unsigned long long) m);
        else if (h > 0)
                snprintf(buf, size, "%lluh %llumin", (unsigned long long) h, (unsigned long long) m);
        else
                snprintf(buf, size, "%llumin %llus", (unsigned long long) m, (unsigned long long) (s % 60));
        return buf;
}

int sysops_reply_structured(McpRequest *req, const char *summary, json_object *structured) {
        _cleanup_json_ json_object *text = sysops_json_string_clean(summary, strlen(summary));
        if (!text) {
                json_object_put(structured);
                return -ENOMEM;
        }
        return mcp_request_reply_content(req, JSON_ARRAY(mcp_content_text(json_object_get_string(text))), structured,
                false);
}

/* --- system_info ------------------------------------------------------------------------------------------ */

/* The value of an os-release assignment: shell-like, with "double" (backslash escapes \" \\ \$ \`) or
 * 'single' quotes, or bare. Writes the unquoted value over the input. */
static char *os_release_unquote(char *v) {
        char *out = v, *start = v;
        if (*v == '"') {
                for (v++; *v && *v != '"'; v++) {
                        if (*v == '\\' && v[1] && strchr("\"\\$`", v[1]))
                                v++;
                        *out++ = *v;
                }
        } else if (*v == '\'') {
                for (v++; *v && *v != '\''; v++)
                        *out++ = *v;
        } else {
                size_t n = strlen(v);
                while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                        n--;
                out = v + n;
        }
        *out = 0;
        return start;
}

static int os_release_add(json_object *info) {
        static const struct {
                const char *key, *field;
        } wanted[] = {
                { "NAME", "name" },
                { "ID", "id" },
                { "VERSION_ID", "version_id" },
                { "PRETTY_NAME", "pretty_name" },
        };
        _cleanup_free_ char *text = NULL;
        const char *found[ELEMENTSOF(wanted)] = {};

        /* The absence of both files is not an error: the fields are null then. */
        int r = read_small_file("/etc/os-release", SMALL_FILE_MAX, &text, NULL);
        if (r < 0)
                r = read_small_file("/usr/lib/os-release", SMALL_FILE_MAX, &text, NULL);
        if (r >= 0)
                for (char *line = text, *next; line; line = next) {
                        next = strchr(line, '\n');
                        if (next)
                                *next++ = 0;
                        line += strspn(line, " \t");
                        char *eq = strchr(line, '=');
                        if (line[0] == '#' || !eq)
                                continue;
                        *eq = 0;
                        for (size_t i = 0; i < ELEMENTSOF(wanted); i++)
                                if (streq(line, wanted[i].key))
                                        found[i] = os_release_unquote(eq + 1);
                }

        _cleanup_json_ json_object *os = json_object_new_object();
        if (!os)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(wanted); i++)
                if (add_string_or_null(os, wanted[i].field, found[i]) < 0)
                        return -ENOMEM;
        return json_add(info, "os", TAKE_PTR(os));
}

static int kernel_add(json_object *info) {
        struct utsname u;
        if (uname(&u) < 0)
                return -errno;
        _cleanup_json_ json_object *kernel = json_object_new_object();
        if (!kernel || add_string_or_null(kernel, "sysname", u.sysname) < 0 ||
            add_string_or_null(kernel, "release", u.release) < 0 || add_string_or_null(kernel, "version", u.version) < 0 ||
            add_string_or_null(kernel, "machine", u.machine) < 0)
                return -ENOMEM;
        return json_add(info, "kernel", TAKE_PTR(kernel));
}

static int uptime_add(json_object *info) {
        uint64_t uptime;
        int r = read_uptime_usec(&uptime);
        if (r < 0)
                return r;
        uint64_t now = realtime_usec();
        char ts[SYSOPS_TIMESTAMP_MAX];
        if (json_add_string(info, "boot_time", sysops_format_timestamp(ts, now > uptime ? now - uptime : 0, false)) < 0 ||
            json_add(info, "uptime_seconds", sysops_json_number((double) uptime / USEC_PER_SEC, 2)) < 0)
                return -ENOMEM;
        return 0;
}

static int loadavg_add(json_object *info) {
        _cleanup_free_ char *text = NULL;
        int r = read_small_file("/proc/loadavg", SMALL_FILE_MAX, &text, NULL);
        if (r < 0)
                return r;
        double l1, l5, l15;
        unsigned runnable, total;
        if (sscanf(text, "%lf %lf %lf %u/%u", &l1, &l5, &l15, &runnable, &total) != 5)
                return -EBADMSG;
        _cleanup_json_ json_object *load = json_object_new_object();
        _cleanup_json_ json_object *tasks = json_object_new_object();
        if (!load || !tasks || json_add(load, "1min", sysops_json_number(l1, 2)) < 0 ||
            json_add(load, "5min", sysops_json_number(l5, 2)) < 0 || json_add(load, "15min", sysops_json_number(l15, 2)) < 0 ||
            json_add(tasks, "runnable", json_object_new_int64(runnable)) < 0 ||
            json_add(tasks, "total", json_object_new_int64(total)) < 0 || json_add(info, "load_average", TAKE_PTR(load)) < 0 ||
            json_add(info, "tasks", TAKE_PTR(tasks)) < 0)
                return -ENOMEM;
        return 0;
}

static int meminfo_add(json_object *info) {
        _cleanup_free_ char *text = NULL;
        int r = read_small_file("/proc/meminfo", SMALL_FILE_MAX, &text, NULL);
        if (r < 0)
                return r;

        static const char *const keys[] = { "MemTotal", "MemAvailable", "SwapTotal", "SwapFree" };
        uint64_t values[ELEMENTSOF(keys)] = {};
        bool seen[ELEMENTSOF(keys)] = {};
        for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                char key[64];
                unsigned long long kib;
                if (sscanf(line, "%63[^:]: %llu kB", key, &kib) != 2)
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                        if (streq(key, keys[i]) && kib <= UINT64_MAX / 1024) {
                                values[i] = kib * 1024;
                                seen[i] = true;
                        }
        }
        if (!seen[0])
                return -EBADMSG;

        _cleanup_json_ json_object *memory = json_object_new_object();
        _cleanup_json_ json_object *swap = json_object_new_object();
        if (!memory || !swap || json_add(memory, "total_bytes", json_object_new_uint64(values[0])) < 0 ||
            json_add(memory, "available_bytes", json_object_new_uint64(values[1])) < 0 ||
            json_add(swap, "total_bytes", json_object_new_uint64(values[2])) < 0 ||
            json_add(swap, "free_bytes", json_object_new_uint64(values[3])) < 0 ||
            json_add(info, "memory", TAKE_PTR(memory)) < 0 || json_add(info, "swap", TAKE_PTR(swap)) < 0)
                return -ENOMEM;
        return 0;
}

static int cpus_add(json_object *info) {
        long online = sysconf(_SC_NPROCESSORS_ONLN), configured = sysconf(_SC_NPROCESSORS_CONF);
        _cleanup_json_ json_object *cpus = json_object_new_object();
        if (!cpus || json_add(cpus, "online", json_object_new_int64(MAX(online, 1L))) < 0 ||
            json_add(cpus, "configured", json_object_new_int64(MAX(configured, MAX(online, 1L)))) < 0)
                return -ENOMEM;
        return json_add(info, "cpus", TAKE_PTR(cpus));
}

/* Virtualization, the way systemd-detect-virt decides it and with its names, from what an unprivileged process
 * may read: whether we are in a container (the innermost layer is what matters to someone running commands
 * here), and whether the machine is a virtual one. */
static const char *container_name(char **buf) {
        static const char *const files[] = { "/run/systemd/container", "/run/host/container-manager" };
        FOREACH_ELEMENT(f, files) {
                _cleanup_free_ char *name = NULL;
                if (read_one_line(*f, &name) >= 0 && !isempty(name))
                        return *buf = TAKE_PTR(name);
        }

        if (path_exists("/.dockerenv"))
                return "docker";
        if (path_exists("/run/.containerenv"))
                return "podman";
        if (path_exists("/proc/vz") && !path_exists("/proc/bc"))
                return "openvz";

        _cleanup_free_ char *osrelease = NULL;
        if (read_one_line("/proc/sys/kernel/osrelease", &osrelease) >= 0 &&
            (strstr(osrelease, "Microsoft") || strstr(osrelease, "WSL")))
                return "wsl";

        /* Hints in PID 1's cgroup, readable by anyone: a container manager's scope around the whole system. */
        _cleanup_free_ char *cgroup = NULL;
        if (read_small_file("/proc/1/cgroup", SMALL_FILE_MAX, &cgroup, NULL) >= 0) {
                if (strstr(cgroup, "/docker/") || strstr(cgroup, "/docker-"))
                        return "docker";
                if (strstr(cgroup, "/libpod-") || strstr(cgroup, "/machine.slice/libpod"))
                        return "podman";
                if (strstr(cgroup, "/lxc/") || strstr(cgroup, "/lxc.payload"))
                        return "lxc";
                if (strstr(cgroup, "/kubepods"))
                        return "container-other";
        }
        return NULL;
}

static const char *vm_from_dmi(void) {
        static const struct {
                const char *prefix, *name;
        } vendors[] = {
                { "KVM", "kvm" },           { "OpenStack", "kvm" },   { "KubeVirt", "kvm" },
                { "Amazon EC2", "amazon" }, { "QEMU", "qemu" },       { "VMware", "vmware" },
                { "VMW", "vmware" },        { "innotek GmbH", "oracle" }, { "VirtualBox", "oracle" },
                { "Oracle Corporation", "oracle" }, { "Xen", "xen" }, { "Bochs", "bochs" },
                { "Parallels", "parallels" }, { "BHYVE", "bhyve" },   { "Hyper-V", "microsoft" },
                { "Apple Virtualization", "apple" }, { "Google Compute Engine", "google" },
        };
        static const char *const files[] = {
                "/sys/class/dmi/id/product_name",
                "/sys/class/dmi/id/sys_vendor",
                "/sys/class/dmi/id/board_vendor",
                "/sys/class/dmi/id/bios_vendor",
        };
        FOREACH_ELEMENT(f, files) {
                _cleanup_free_ char *s = NULL;
                if (read_one_line(*f, &s) < 0)
                        continue;
                FOREACH_ELEMENT(v, vendors)
                        if (startswith_ptr(s, v->prefix))
                                return v->name;
        }
        return NULL;
}

/* The hypervisor's CPUID signature (leaf 0x40000000), when the CPU says it runs under one. */
static const char *vm_from_cpuid(void) {
#if defined(__i386__) || defined(__x86_64__)
        static const struct {
                const char *signature, *name;
        } hypervisors[] = {
                { "KVMKVMKVM", "kvm" },         { "Linux KVM Hv", "kvm" }, { "TCGTCGTCGTCG", "qemu" },
                { "VMwareVMware", "vmware" },   { "Microsoft Hv", "microsoft" }, { "XenVMMXenVMM", "xen" },
                { "bhyve bhyve ", "bhyve" },    { "ACRNACRNACRN", "acrn" }, { "QNXQVMBSQG", "qnx" },
                { "SRESRESRESRE", "sre" },      { "Apple VZ", "apple" },  { "VBoxVBoxVBox", "oracle" },
        };
        unsigned eax, ebx, ecx, edx;
        if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & 0x80000000U))
                return NULL;
        union {
                uint32_t words[3];
                char text[13];
        } sig = {};
        __cpuid(0x40000000U, eax, sig.words[0], sig.words[1], sig.words[2]);
        FOREACH_ELEMENT(h, hypervisors)
                if (strncmp(sig.text, h->signature, 12) == 0)
                        return h->name;
        return "vm-other";
#else
        return NULL;
#endif
}

/* The "hypervisor" CPU flag in /proc/cpuinfo: read line by line up to the first flags line. */
static bool cpuinfo_has_hypervisor_flag(void) {
        _cleanup_close_ int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        FILE *f = fdopen(fd, "re");
        if (!f)
                return false;
        TAKE_FD(fd);
        char *line = NULL;
        size_t size = 0;
        bool found = false;
        for (unsigned n = 0; n < 256 && getline(&line, &size, f) > 0; n++)
                if (startswith_ptr(line, "flags")) {
                        found = strstr(line, " hypervisor") != NULL;
                        break;
                }
        free(line);
        fclose(f);
        return found;
}

static const char *vm_name(char **buf) {
        const char *name = vm_from_dmi();
        if (name || (name = vm_from_cpuid()))
                return name;
        if (read_one_line("/sys/hypervisor/type", buf) >= 0 && streq(*buf, "xen"))
                return "xen";
        return cpuinfo_has_hypervisor_flag() ? "vm-other" : NULL;
}

static int virtualization_add(json_object *info) {
        _cleanup_free_ char *buf = NULL, *xen = NULL;
        const char *container = container_name(&buf), *vm = vm_name(&xen);

        _cleanup_json_ json_object *virt = json_object_new_object();
        if (!virt || json_add_string(virt, "type", container ? "container" : vm ? "vm" : "none") < 0 ||
            add_string_or_null(virt, "name", container ?: vm) < 0 || add_string_or_null(virt, "vm", vm) < 0 ||
            add_string_or_null(virt, "container", container) < 0)
                return -ENOMEM;
        return json_add(info, "virtualization", TAKE_PTR(virt));
}

static int system_info_build(json_object **ret) {
        _cleanup_json_ json_object *info = json_object_new_object();
        char hostname[HOST_NAME_MAX + 1] = "";
        if (!info)
                return -ENOMEM;
        if (gethostname(hostname, sizeof(hostname) - 1) < 0)
                return -errno;
        if (add_string_or_null(info, "hostname", hostname) < 0)
                return -ENOMEM;

        int (*const parts[])(json_object *) = {
                os_release_add, kernel_add, uptime_add, loadavg_add, meminfo_add, cpus_add, virtualization_add,
        };
        FOREACH_ELEMENT(part, parts) {
                int r = (*part)(info);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(info);
        return 0;
}

static char *system_info_summary(json_object *info) {
        json_object *os = json_get_object(info, "os"), *kernel = json_get_object(info, "kernel");
        json_object *memory = json_get_object(info, "memory"), *load = json_get_object(info, "load_average");
        json_object *virt = json_get_object(info, "virtualization"), *v;
        char up[64], avail[32], total[32];
        uint64_t uptime = 0, mem_total = 0, mem_avail = 0;
        double l[3] = {};

        if (json_object_object_get_ex(info, "uptime_seconds", &v))
                uptime = (uint64_t) (json_object_get_double(v) * USEC_PER_SEC);
        if (json_object_object_get_ex(memory, "total_bytes", &v))
                mem_total = json_object_get_uint64(v);
        if (json_object_object_get_ex(memory, "available_bytes", &v))
                mem_avail = json_object_get_uint64(v);
        static const char *const keys[] = { "1min", "5min", "15min" };
        for (size_t i = 0; i < 3; i++)
                if (json_object_object_get_ex(load, keys[i], &v))
                        l[i] = json_object_get_double(v);
        json_object *online = NULL;
        json_object_object_get_ex(json_get_object(info, "cpus"), "online", &online);

        char *text = NULL;
        if (asprintf(&text, "%s: %s, %s %s %s, %s%s%s%s, up %s since %s, load %.2f %.2f %.2f, %d CPUs, memory %s available of %s",
                    strempty(json_get_string(info, "hostname")),
                    json_get_string(os, "pretty_name") ?: json_get_string(os, "name") ?: "unknown OS",
                    strempty(json_get_string(kernel, "sysname")), strempty(json_get_string(kernel, "release")),
                    strempty(json_get_string(kernel, "machine")), strempty(json_get_string(virt, "type")),
                    json_get_string(virt, "name") ? " (" : "", strempty(json_get_string(virt, "name")),
                    json_get_string(virt, "name") ? ")" : "", format_duration(up, sizeof(up), uptime),
                    strempty(json_get_string(info, "boot_time")), l[0], l[1], l[2], json_object_get_int(online),
                    format_bytes(avail, sizeof(avail), mem_avail), format_bytes(total, sizeof(total), mem_total)) < 0)
                return NULL;
        return text;
}

static int tool_system_info(McpRequest *req, json_object *args) {
        _cleanup_json_ json_object *info = NULL;
        int r = system_info_build(&info);
        if (r < 0)
                return mcp_request_reply_tool_error(req, "Could not read the system's state: %s", strerror(-r));
        _cleanup_free_ char *summary = system_info_summary(info);
        if (!summary)
                return -ENOMEM;
        return sysops_reply_structured(req, summary, TAKE_PTR(info));
}

int sysops_read_system_info(McpRequest *req, const char *uri, json_object *variables) {
        _cleanup_json_ json_object *info = NULL;
        int r = system_info_build(&info);
        if (r < 0)
                return r;
        _cleanup_json_ json_object *result = json_object_new_object();
        if (!result ||
            json_add(result, "contents", JSON_ARRAY(mcp_resource_text(uri, "application/json", json_to_string(info)))) < 0)
                return -ENOMEM;
        return mcp_request_reply(req, TAKE_PTR(result));
}

/* --- system_disk_usage ---------------------------------------------------------------------------------- */

/* Kernel-internal and virtual file systems: no storage behind them. */
static bool fs_type_is_pseudo(const char *type) {
        static const char *const pseudo[] = {
                "proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "tracefs", "debugfs", "securityfs",
                "pstore", "bpf", "configfs", "fusectl", "autofs", "binfmt_misc", "hugetlbfs", "nsfs", "efivarfs",
                "selinuxfs", "rpc_pipefs", "nfsd", "sockfs", "pipefs", "ramfs", "rootfs", "fuse.gvfsd-fuse",
                "fuse.portal", "fuse.lxcfs",
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
                "nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "ceph", "glusterfs", "9p", "afs", "lustre",
                "gfs2", "ocfs2", "davfs", "autofs", "fuse", "fuseblk",
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
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
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
        for (char *save = NULL, *t = strtok_r(line, " ", &save); t && n < ELEMENTSOF(fields); t = strtok_r(NULL, " ", &save))
                fields[n++] = t;

        size_t dash = 6;
        while (dash < n && !streq(fields[dash], "-"))
                dash++;
        if (n < 6 || dash + 2 >= n)
                return false;

        /* Read-only is the file system's state (the super block's options), not this mount's: a sandboxed
         * service (ProtectSystem=strict) sees read-only bind mounts of file systems that are writable. */
        const char *options = dash + 3 < n ? fields[dash + 3] : fields[5];
        *ret = (MountEntry) {
                .mount_point = mountinfo_unescape(fields[4]),
                .fs_type = mountinfo_unescape(fields[dash + 1]),
                .source = mountinfo_unescape(fields[dash + 2]),
                .read_only = streq(options, "ro") || startswith_ptr(options, "ro,"),
        };
        return true;
}

/* Whether mount point m holds path p: m is p or a directory above it. */
static size_t mount_point_covers(const char *m, const char *p) {
        size_t n = strlen(m);
        if (streq(m, "/"))
                return 1;
        if (strncmp(m, p, n) == 0 && (p[n] == 0 || p[n] == '/'))
                return n;
        return 0;
}

static int filesystem_to_json(const MountEntry *m, json_object **ret) {
        _cleanup_json_ json_object *fs = json_object_new_object();
        if (!fs || add_string_or_null(fs, "mount_point", m->mount_point) < 0 ||
            add_string_or_null(fs, "device", m->source) < 0 || add_string_or_null(fs, "fs_type", m->fs_type) < 0 ||
            json_add(fs, "read_only", json_object_new_boolean(m->read_only)) < 0)
                return -ENOMEM;

        struct statvfs st;
        const char *skipped = NULL;
        if (fs_type_may_block(m->fs_type))
                skipped = "not queried: a remote, FUSE or automounted file system can stall the caller";
        else if (statvfs(m->mount_point, &st) < 0)
                skipped = errno == EACCES || errno == EPERM ? "not queried: permission denied" : "not queried: statvfs failed";

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

static int tool_system_disk_usage(McpRequest *req, json_object *args) {
        bool include_pseudo = json_get_bool(args, "include_pseudo", false);
        const char *path = json_get_string(args, "path");
        _cleanup_free_ char *resolved = NULL;

        if (path) {
                resolved = realpath(path, NULL);
                if (!resolved)
                        return mcp_request_reply_tool_error(req, "Cannot resolve the path \"%s\": %s", path, strerror(errno));
        }

        _cleanup_free_ char *text = NULL;
        int r = read_small_file("/proc/self/mountinfo", MOUNTINFO_MAX, &text, NULL);
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

        /* With a path: only the mount that holds it, the deepest (and, at the same point, the last) one. */
        size_t only = SIZE_MAX, best = 0;
        if (resolved) {
                for (size_t i = 0; i < n; i++) {
                        size_t len = mount_point_covers(mounts[i].mount_point, resolved);
                        if (len > 0 && len >= best) {
                                best = len;
                                only = i;
                        }
                }
                if (only == SIZE_MAX)
                        return mcp_request_reply_tool_error(req, "No mounted file system holds \"%s\".", resolved);
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
                r = asprintf(&summary, "%s is on %s (%s, %s): %s used of %s (%.1f%%)", resolved,
                        json_get_string(first, "mount_point"), json_get_string(first, "device"),
                        json_get_string(first, "fs_type"), format_bytes(used, sizeof(used), json_object_get_uint64(u)),
                        format_bytes(total, sizeof(total), json_object_get_uint64(t)), json_object_get_double(v));
        } else if (resolved)
                r = asprintf(&summary, "%s is on %s (%s, %s); its usage was not queried", resolved,
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

/* --- system_network --------------------------------------------------------------------------------------- */

static int sysfs_net_read(const char *ifname, const char *attribute, char **ret) {
        char path[128];
        snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, attribute);
        return read_one_line(path, ret);
}

static int interface_add_sysfs(json_object *iface, const char *ifname) {
        _cleanup_free_ char *mac = NULL, *operstate = NULL, *mtu = NULL, *ifindex = NULL;
        (void) sysfs_net_read(ifname, "address", &mac);
        (void) sysfs_net_read(ifname, "operstate", &operstate);
        (void) sysfs_net_read(ifname, "mtu", &mtu);
        (void) sysfs_net_read(ifname, "ifindex", &ifindex);

        if (add_string_or_null(iface, "mac", isempty(mac) ? NULL : mac) < 0 ||
            add_string_or_null(iface, "operstate", operstate) < 0)
                return -ENOMEM;
        if (json_object_object_add(iface, "mtu", mtu ? json_object_new_int64(strtoll(mtu, NULL, 10)) : NULL) < 0 ||
            json_object_object_add(iface, "index", ifindex ? json_object_new_int64(strtoll(ifindex, NULL, 10)) : NULL) < 0)
                return -ENOMEM;

        static const char *const counters[] = {
                "rx_bytes", "rx_packets", "rx_errors", "rx_dropped", "tx_bytes", "tx_packets", "tx_errors", "tx_dropped",
        };
        _cleanup_json_ json_object *stats = json_object_new_object();
        if (!stats)
                return -ENOMEM;
        bool any = false;
        FOREACH_ELEMENT(c, counters) {
                char attribute[64];
                _cleanup_free_ char *value = NULL;
                snprintf(attribute, sizeof(attribute), "statistics/%s", *c);
                if (sysfs_net_read(ifname, attribute, &value) < 0)
                        continue;
                if (json_add(stats, *c, json_object_new_uint64(strtoull(value, NULL, 10))) < 0)
                        return -ENOMEM;
                any = true;
        }
        /* An alias label ("eth0:1") has no directory of its own in sysfs: no counters then. */
        return json_object_object_add(iface, "statistics", any ? TAKE_PTR(stats) : NULL) < 0 ? -ENOMEM : 0;
}

static unsigned prefix_length(const struct sockaddr *netmask) {
        const unsigned char *b;
        size_t n;
        if (!netmask)
                return 0;
        if (netmask->sa_family == AF_INET) {
                b = (const unsigned char *) &((const struct sockaddr_in *) netmask)->sin_addr;
                n = 4;
        } else if (netmask->sa_family == AF_INET6) {
                b = (const unsigned char *) &((const struct sockaddr_in6 *) netmask)->sin6_addr;
                n = 16;
        } else
                return 0;
        unsigned bits = 0;
        for (size_t i = 0; i < n; i++)
                bits += (unsigned) __builtin_popcount(b[i]);
        return bits;
}

static const char *address_scope(const struct sockaddr *a) {
        if (a->sa_family == AF_INET) {
                uint32_t v = ntohl(((const struct sockaddr_in *) a)->sin_addr.s_addr);
                if ((v >> 24) == 127)
                        return "host";
                if ((v >> 16) == 0xa9fe)
                        return "link";
                return "global";
        }
        const struct in6_addr *v6 = &((const struct sockaddr_in6 *) a)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(v6))
                return "host";
        if (IN6_IS_ADDR_LINKLOCAL(v6))
                return "link";
        return "global";
}

static int address_to_json(const struct ifaddrs *ifa, json_object **ret) {
        char text[INET6_ADDRSTRLEN];
        const void *raw = ifa->ifa_addr->sa_family == AF_INET ?
                (const void *) &((const struct sockaddr_in *) ifa->ifa_addr)->sin_addr :
                (const void *) &((const struct sockaddr_in6 *) ifa->ifa_addr)->sin6_addr;
        if (!inet_ntop(ifa->ifa_addr->sa_family, raw, text, sizeof(text)))
                return -errno;
        _cleanup_json_ json_object *a = json_object_new_object();
        if (!a || json_add_string(a, "family", ifa->ifa_addr->sa_family == AF_INET ? "inet" : "inet6") < 0 ||
            json_add_string(a, "address", text) < 0 ||
            json_add(a, "prefix_length", json_object_new_int64(prefix_length(ifa->ifa_netmask))) < 0 ||
            json_add_string(a, "scope", address_scope(ifa->ifa_addr)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(a);
        return 0;
}

static json_object *interface_find(json_object *list, const char *name) {
        size_t n = json_object_array_length(list);
        for (size_t i = 0; i < n; i++) {
                json_object *iface = json_object_array_get_idx(list, i);
                if (streq_ptr(json_get_string(iface, "name"), name))
                        return iface;
        }
        return NULL;
}

static int interface_new(const struct ifaddrs *ifa, json_object **ret) {
        _cleanup_json_ json_object *iface = json_object_new_object();
        if (!iface || json_add_string(iface, "name", ifa->ifa_name) < 0 ||
            json_add(iface, "up", json_object_new_boolean(!!(ifa->ifa_flags & IFF_UP))) < 0 ||
            json_add(iface, "running", json_object_new_boolean(!!(ifa->ifa_flags & IFF_RUNNING))) < 0 ||
            json_add(iface, "loopback", json_object_new_boolean(!!(ifa->ifa_flags & IFF_LOOPBACK))) < 0 ||
            json_add(iface, "addresses", json_object_new_array()) < 0)
                return -ENOMEM;
        int r = interface_add_sysfs(iface, ifa->ifa_name);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(iface);
        return 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct ifaddrs *, freeifaddrs);

static int tool_system_network(McpRequest *req, json_object *args) {
        const char *only = json_get_string(args, "interface");
        _cleanup_(freeifaddrsp) struct ifaddrs *addrs = NULL;

        if (getifaddrs(&addrs) < 0)
                return mcp_request_reply_tool_error(req, "Cannot list the network interfaces: %s", strerror(errno));

        _cleanup_json_ json_object *list = json_object_new_array();
        if (!list)
                return -ENOMEM;
        bool truncated = false;
        for (const struct ifaddrs *ifa = addrs; ifa; ifa = ifa->ifa_next) {
                if (!ifa->ifa_name || (only && !streq(ifa->ifa_name, only)))
                        continue;
                json_object *iface = interface_find(list, ifa->ifa_name);
                if (!iface) {
                        if (json_object_array_length(list) >= INTERFACES_MAX) {
                                truncated = true;
                                continue;
                        }
                        int r = interface_new(ifa, &iface);
                        if (r < 0)
                                return r;
                        if (json_object_array_add(list, iface) < 0) {
                                json_object_put(iface);
                                return -ENOMEM;
                        }
                }
                if (!ifa->ifa_addr || (ifa->ifa_addr->sa_family != AF_INET && ifa->ifa_addr->sa_family != AF_INET6))
                        continue;
                json_object *addresses = json_get_array(iface, "addresses"), *a = NULL;
                if (json_object_array_length(addresses) >= ADDRESSES_PER_INTERFACE_MAX) {
                        truncated = true;
                        continue;
                }
                int r = address_to_json(ifa, &a);
                if (r < 0)
                        return r;
                if (json_object_array_add(addresses, a) < 0) {
                        json_object_put(a);
                        return -ENOMEM;
                }
        }

        size_t n = json_object_array_length(list);
        if (only && n == 0) {
                _cleanup_free_ char *known = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&known, &len);
                if (!f)
                        return -ENOMEM;
                const char *sep = "";
                for (const struct ifaddrs *ifa = addrs; ifa; ifa = ifa->ifa_next)
                        if (ifa->ifa_addr && ifa->ifa_addr->sa_family == AF_PACKET && ifa->ifa_name) {
                                fprintf(f, "%s%s", sep, ifa->ifa_name);
                                sep = ", ";
                        }
                if (fclose(f) != 0)
                        return -ENOMEM;
                return mcp_request_reply_tool_error(req, "No network interface is named \"%s\". Interfaces here: %s.",
                        only, isempty(known) ? "none" : known);
        }

        _cleanup_free_ char *summary = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&summary, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, "%zu interface%s", n, n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++) {
                json_object *iface = json_object_array_get_idx(list, i);
                json_object *addresses = json_get_array(iface, "addresses");
                fprintf(f, "%s %s (%s)", i == 0 ? ":" : ";", json_get_string(iface, "name"),
                        json_get_string(iface, "operstate") ?: (json_get_bool(iface, "up", false) ? "up" : "down"));
                for (size_t k = 0; k < json_object_array_length(addresses) && k < 4; k++) {
                        json_object *a = json_object_array_get_idx(addresses, k), *p;
                        json_object_object_get_ex(a, "prefix_length", &p);
                        fprintf(f, " %s/%d", json_get_string(a, "address"), json_object_get_int(p));
                }
        }
        if (fclose(f) != 0)
                return -ENOMEM;

        _cleanup_json_ json_object *result = json_object_new_object();
        if (!result || json_add(result, "interfaces", TAKE_PTR(list)) < 0 ||
            json_add(result, "count", json_object_new_int64((int64_t) n)) < 0 ||
            json_add(result, "truncated", json_object_new_boolean(truncated)) < 0)
                return -ENOMEM;
        return sysops_reply_structured(req, summary, TAKE_PTR(result));
}

/* --- the table ---------------------------------------------------------------------------------------- */

#define NULLABLE_STRING "{\"type\":[\"string\",\"null\"]}"
#define COUNT "{\"type\":\"integer\",\"minimum\":0}"

static const char system_info_output[] =
        "{\"type\":\"object\",\"properties\":{"
        "\"hostname\":{\"type\":\"string\"},"
        "\"os\":{\"type\":\"object\",\"description\":\"From /etc/os-release (or /usr/lib/os-release)\",\"properties\":{"
        "\"name\":" NULLABLE_STRING ",\"id\":" NULLABLE_STRING ",\"version_id\":" NULLABLE_STRING ",\"pretty_name\":" NULLABLE_STRING "},"
        "\"required\":[\"name\",\"id\",\"version_id\",\"pretty_name\"]},"
        "\"kernel\":{\"type\":\"object\",\"description\":\"uname(2)\",\"properties\":{"
        "\"sysname\":{\"type\":\"string\"},\"release\":{\"type\":\"string\"},\"version\":{\"type\":\"string\"},\"machine\":{\"type\":\"string\"}},"
        "\"required\":[\"sysname\",\"release\",\"version\",\"machine\"]},"
        "\"boot_time\":{\"type\":\"string\",\"format\":\"date-time\",\"description\":\"ISO 8601, UTC\"},"
        "\"uptime_seconds\":{\"type\":\"number\",\"minimum\":0},"
        "\"load_average\":{\"type\":\"object\",\"properties\":{\"1min\":{\"type\":\"number\"},\"5min\":{\"type\":\"number\"},\"15min\":{\"type\":\"number\"}},"
        "\"required\":[\"1min\",\"5min\",\"15min\"]},"
        "\"tasks\":{\"type\":\"object\",\"properties\":{\"runnable\":" COUNT ",\"total\":" COUNT "},\"required\":[\"runnable\",\"total\"]},"
        "\"memory\":{\"type\":\"object\",\"properties\":{\"total_bytes\":" COUNT ",\"available_bytes\":" COUNT "},"
        "\"required\":[\"total_bytes\",\"available_bytes\"]},"
        "\"swap\":{\"type\":\"object\",\"properties\":{\"total_bytes\":" COUNT ",\"free_bytes\":" COUNT "},"
        "\"required\":[\"total_bytes\",\"free_bytes\"]},"
        "\"cpus\":{\"type\":\"object\",\"properties\":{\"online\":{\"type\":\"integer\",\"minimum\":1},\"configured\":{\"type\":\"integer\",\"minimum\":1}},"
        "\"required\":[\"online\",\"configured\"]},"
        "\"virtualization\":{\"type\":\"object\",\"properties\":{"
        "\"type\":{\"enum\":[\"none\",\"vm\",\"container\"],\"description\":\"The innermost layer\"},"
        "\"name\":{\"type\":[\"string\",\"null\"],\"description\":\"kvm, qemu, vmware, microsoft, xen, amazon, oracle, ... for a vm; "
        "systemd-nspawn, docker, podman, lxc, wsl, ... for a container, as systemd-detect-virt names them; vm-other or container-other when the kind is not known\"},"
        "\"vm\":{\"type\":[\"string\",\"null\"],\"description\":\"The hypervisor beneath, also when inside a container\"},"
        "\"container\":{\"type\":[\"string\",\"null\"]}},"
        "\"required\":[\"type\",\"name\",\"vm\",\"container\"]}},"
        "\"required\":[\"hostname\",\"os\",\"kernel\",\"boot_time\",\"uptime_seconds\",\"load_average\",\"tasks\",\"memory\",\"swap\",\"cpus\",\"virtualization\"]}";

static const char disk_usage_input[] =
        "{\"type\":\"object\",\"properties\":{"
        "\"include_pseudo\":{\"type\":\"boolean\",\"default\":false,"
        "\"description\":\"Also list kernel-internal file systems without storage (proc, sysfs, cgroup, devpts, ...)\"},"
        "\"path\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":4096,\"pattern\":\"^/\","
        "\"description\":\"An absolute path: only the file system that holds it is reported\"}},"
        "\"additionalProperties\":false}";

static const char disk_usage_output[] =
        "{\"type\":\"object\",\"properties\":{"
        "\"filesystems\":{\"type\":\"array\",\"maxItems\":256,\"items\":{\"type\":\"object\",\"properties\":{"
        "\"mount_point\":{\"type\":\"string\"},\"device\":{\"type\":\"string\"},\"fs_type\":{\"type\":\"string\"},"
        "\"read_only\":{\"type\":\"boolean\",\"description\":\"The file system is mounted read-only\"},"
        "\"usage\":{\"type\":[\"object\",\"null\"],\"properties\":{"
        "\"total_bytes\":" COUNT ",\"used_bytes\":" COUNT ",\"available_bytes\":" COUNT ","
        "\"percent_used\":{\"type\":\"number\",\"minimum\":0,\"maximum\":100},"
        "\"inodes_total\":" COUNT ",\"inodes_used\":" COUNT ",\"inodes_free\":" COUNT "},"
        "\"required\":[\"total_bytes\",\"used_bytes\",\"available_bytes\",\"percent_used\",\"inodes_total\",\"inodes_used\",\"inodes_free\"]},"
        "\"usage_note\":{\"type\":\"string\",\"description\":\"Why usage is null\"}},"
        "\"required\":[\"mount_point\",\"device\",\"fs_type\",\"read_only\",\"usage\"]}},"
        "\"count\":" COUNT ",\"pseudo_skipped\":" COUNT ",\"truncated\":{\"type\":\"boolean\"}},"
        "\"required\":[\"filesystems\",\"count\",\"pseudo_skipped\",\"truncated\"]}";

static const char network_input[] =
        "{\"type\":\"object\",\"properties\":{"
        "\"interface\":{\"type\":\"string\",\"pattern\":\"^[A-Za-z0-9_.:-]{1,15}$\","
        "\"description\":\"Only this interface, e.g. eth0 or lo\"}},"
        "\"additionalProperties\":false}";

static const char network_output[] =
        "{\"type\":\"object\",\"properties\":{"
        "\"interfaces\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
        "\"name\":{\"type\":\"string\"},\"index\":{\"type\":[\"integer\",\"null\"]},"
        "\"up\":{\"type\":\"boolean\"},\"running\":{\"type\":\"boolean\"},\"loopback\":{\"type\":\"boolean\"},"
        "\"mac\":" NULLABLE_STRING ",\"operstate\":" NULLABLE_STRING ",\"mtu\":{\"type\":[\"integer\",\"null\"]},"
        "\"addresses\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
        "\"family\":{\"enum\":[\"inet\",\"inet6\"]},\"address\":{\"type\":\"string\"},"
        "\"prefix_length\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":128},\"scope\":{\"enum\":[\"host\",\"link\",\"global\"]}},"
        "\"required\":[\"family\",\"address\",\"prefix_length\",\"scope\"]}},"
        "\"statistics\":{\"type\":[\"object\",\"null\"],\"properties\":{"
        "\"rx_bytes\":" COUNT ",\"rx_packets\":" COUNT ",\"rx_errors\":" COUNT ",\"rx_dropped\":" COUNT ","
        "\"tx_bytes\":" COUNT ",\"tx_packets\":" COUNT ",\"tx_errors\":" COUNT ",\"tx_dropped\":" COUNT "}}},"
        "\"required\":[\"name\",\"up\",\"running\",\"loopback\",\"addresses\",\"statistics\"]}},"
        "\"count\":" COUNT ",\"truncated\":{\"type\":\"boolean\"}},"
        "\"required\":[\"interfaces\",\"count\",\"truncated\"]}";

const McpTool sysops_info_tools[] = {
        { .name = "system_info",
          .title = "System information",
          .description = "This machine at a glance: hostname, OS release, kernel, boot time and uptime, load averages, "
                         "memory and swap, CPU count and virtualization (none, vm or container, with its kind).",
          .input_schema = "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}",
          .output_schema = system_info_output,
          .annotations = READ_ONLY_ANNOTATIONS,
          .polkit_action = SYSOPS_ACTION_READ,
          .handler = tool_system_info },
        { .name = "system_disk_usage",
          .title = "Disk usage",
          .description = "Mounted file systems with their size, used and available bytes, inodes and percent used "
                         "(as df reports them). Pseudo file systems are left out unless include_pseudo is true; with path, "
                         "only the file system holding that path. Remote, FUSE and automounted file systems are listed "
                         "without usage, so that a server that is gone cannot stall the call. At most 256 entries.",
          .input_schema = disk_usage_input,
          .output_schema = disk_usage_output,
          .annotations = READ_ONLY_ANNOTATIONS,
          .polkit_action = SYSOPS_ACTION_READ,
          .handler = tool_system_disk_usage },
        { .name = "system_network",
          .title = "Network interfaces",
          .description = "Network interfaces with their state (up, running, operstate), MAC address, MTU, IPv4 and IPv6 "
                         "addresses with prefix length and scope, and receive/transmit counters (bytes, packets, errors, "
                         "drops). Optionally one interface by name; an unknown name is an error listing the known ones.",
          .input_schema = network_input,
          .output_schema = network_output,
          .annotations = READ_ONLY_ANNOTATIONS,
          .polkit_action = SYSOPS_ACTION_READ,
          .handler = tool_system_network },
        {}
};
