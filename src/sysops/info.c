/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: system_info and the system://info resource, from /proc, /sys, os-release, uname and CPUID. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#if defined(__i386__) || defined(__x86_64__)
#include <cpuid.h>
#endif

#include "info-internal.h"
#include "info.h"
#include "systemd-bus.h"
#include "mcp-content.h"
#include "mcp-request.h"
#include "sysops-util.h"

/* stat() rather than access(2): no system call beyond what reading files needs. */
static bool path_exists(const char *path) {
        struct stat st;
        return stat(path, &st) >= 0;
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
        int r = sysops_read_small_file("/etc/os-release", SMALL_FILE_MAX, &text, NULL);
        if (r < 0)
                r = sysops_read_small_file("/usr/lib/os-release", SMALL_FILE_MAX, &text, NULL);
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
                if (sysops_add_string_or_null(os, wanted[i].field, found[i]) < 0)
                        return -ENOMEM;
        return json_add(info, "os", TAKE_PTR(os));
}

static int kernel_add(json_object *info) {
        struct utsname u;
        if (uname(&u) < 0)
                return -errno;
        _cleanup_json_ json_object *kernel = json_object_new_object();
        if (!kernel || sysops_add_string_or_null(kernel, "sysname", u.sysname) < 0 ||
                sysops_add_string_or_null(kernel, "release", u.release) < 0 ||
                sysops_add_string_or_null(kernel, "version", u.version) < 0 ||
                sysops_add_string_or_null(kernel, "machine", u.machine) < 0)
                return -ENOMEM;
        return json_add(info, "kernel", TAKE_PTR(kernel));
}

static int uptime_add(json_object *info) {
        uint64_t uptime;
        int r = sysops_read_uptime_usec(&uptime);
        if (r < 0)
                return r;
        uint64_t now = sysops_realtime_usec();
        char ts[SYSOPS_TIMESTAMP_MAX];
        if (json_add_string(info, "boot_time", sysops_format_timestamp(ts, now > uptime ? now - uptime : 0, false)) <
                        0 ||
                json_add(info, "uptime_seconds", sysops_json_number((double) uptime / USEC_PER_SEC, 2)) < 0)
                return -ENOMEM;
        return 0;
}

static int loadavg_add(json_object *info) {
        _cleanup_free_ char *text = NULL;
        int r = sysops_read_small_file("/proc/loadavg", SMALL_FILE_MAX, &text, NULL);
        if (r < 0)
                return r;
        double l1, l5, l15;
        unsigned runnable, total;
        if (sscanf(text, "%lf %lf %lf %u/%u", &l1, &l5, &l15, &runnable, &total) != 5)
                return -EBADMSG;
        _cleanup_json_ json_object *load = json_object_new_object();
        _cleanup_json_ json_object *tasks = json_object_new_object();
        if (!load || !tasks || json_add(load, "1min", sysops_json_number(l1, 2)) < 0 ||
                json_add(load, "5min", sysops_json_number(l5, 2)) < 0 ||
                json_add(load, "15min", sysops_json_number(l15, 2)) < 0 ||
                json_add(tasks, "runnable", json_object_new_int64(runnable)) < 0 ||
                json_add(tasks, "total", json_object_new_int64(total)) < 0 ||
                json_add(info, "load_average", TAKE_PTR(load)) < 0 || json_add(info, "tasks", TAKE_PTR(tasks)) < 0)
                return -ENOMEM;
        return 0;
}

static int meminfo_add(json_object *info) {
        _cleanup_free_ char *text = NULL;
        int r = sysops_read_small_file("/proc/meminfo", SMALL_FILE_MAX, &text, NULL);
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
                if (sysops_read_one_line(*f, &name) >= 0 && !isempty(name))
                        return *buf = TAKE_PTR(name);
        }

        if (path_exists("/.dockerenv"))
                return "docker";
        if (path_exists("/run/.containerenv"))
                return "podman";
        if (path_exists("/proc/vz") && !path_exists("/proc/bc"))
                return "openvz";

        _cleanup_free_ char *osrelease = NULL;
        if (sysops_read_one_line("/proc/sys/kernel/osrelease", &osrelease) >= 0 &&
                (strstr(osrelease, "Microsoft") || strstr(osrelease, "WSL")))
                return "wsl";

        /* Hints in PID 1's cgroup, readable by anyone: a container manager's scope around the whole system. */
        _cleanup_free_ char *cgroup = NULL;
        if (sysops_read_small_file("/proc/1/cgroup", SMALL_FILE_MAX, &cgroup, NULL) >= 0) {
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
                { "KVM", "kvm" },
                { "OpenStack", "kvm" },
                { "KubeVirt", "kvm" },
                { "Amazon EC2", "amazon" },
                { "QEMU", "qemu" },
                { "VMware", "vmware" },
                { "VMW", "vmware" },
                { "innotek GmbH", "oracle" },
                { "VirtualBox", "oracle" },
                { "Oracle Corporation", "oracle" },
                { "Xen", "xen" },
                { "Bochs", "bochs" },
                { "Parallels", "parallels" },
                { "BHYVE", "bhyve" },
                { "Hyper-V", "microsoft" },
                { "Apple Virtualization", "apple" },
                { "Google Compute Engine", "google" },
        };
        static const char *const files[] = {
                "/sys/class/dmi/id/product_name",
                "/sys/class/dmi/id/sys_vendor",
                "/sys/class/dmi/id/board_vendor",
                "/sys/class/dmi/id/bios_vendor",
        };
        FOREACH_ELEMENT(f, files) {
                _cleanup_free_ char *s = NULL;
                if (sysops_read_one_line(*f, &s) < 0)
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
                { "KVMKVMKVM", "kvm" },
                { "Linux KVM Hv", "kvm" },
                { "TCGTCGTCGTCG", "qemu" },
                { "VMwareVMware", "vmware" },
                { "Microsoft Hv", "microsoft" },
                { "XenVMMXenVMM", "xen" },
                { "bhyve bhyve ", "bhyve" },
                { "ACRNACRNACRN", "acrn" },
                { "QNXQVMBSQG", "qnx" },
                { "SRESRESRESRE", "sre" },
                { "Apple VZ", "apple" },
                { "VBoxVBoxVBox", "oracle" },
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
        if (sysops_read_one_line("/sys/hypervisor/type", buf) >= 0 && streq(*buf, "xen"))
                return "xen";
        return cpuinfo_has_hypervisor_flag() ? "vm-other" : NULL;
}

static int virtualization_add(json_object *info) {
        _cleanup_free_ char *buf = NULL, *xen = NULL;
        const char *container = container_name(&buf), *vm = vm_name(&xen);

        _cleanup_json_ json_object *virt = json_object_new_object();
        if (!virt ||
                json_add_string(virt, "type",
                        container    ? "container"
                                : vm ? "vm"
                                     : "none") < 0 ||
                sysops_add_string_or_null(virt, "name", container ?: vm) < 0 ||
                sysops_add_string_or_null(virt, "vm", vm) < 0 ||
                sysops_add_string_or_null(virt, "container", container) < 0)
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
        if (sysops_add_string_or_null(info, "hostname", hostname) < 0)
                return -ENOMEM;

        int (*const parts[])(json_object *) = {
                os_release_add,
                kernel_add,
                uptime_add,
                loadavg_add,
                meminfo_add,
                cpus_add,
                virtualization_add,
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
                    sysops_format_bytes(avail, sizeof(avail), mem_avail), sysops_format_bytes(total, sizeof(total), mem_total)) < 0)
                return NULL;
        return text;
}

static int system_info_reply(McpRequest *req, json_object *info) {
        _cleanup_free_ char *summary = system_info_summary(info);
        if (!summary)
                return -ENOMEM;
        return sysops_reply_structured(req, summary, json_object_get(info));
}

/* What systemd-hostnamed says wins where it runs: the pretty and static host names, chassis, hardware. */
static void hostname1_merge(json_object *info, sd_bus_message *m) {
        if (sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
                return;
        json_object *hardware = json_object_new_object();
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                const char *key, *contents = NULL, *value = NULL;
                if (sd_bus_message_read(m, "s", &key) < 0 || sd_bus_message_peek_type(m, NULL, &contents) < 0)
                        break;
                if (streq_ptr(contents, "s") && sd_bus_message_read(m, "v", "s", &value) >= 0) {
                        if (isempty(value))
                                ;
                        else if (streq(key, "Hostname"))
                                (void) json_add_string(info, "hostname", value);
                        else if (streq(key, "Chassis"))
                                (void) json_add_string(info, "chassis", value);
                        else if (streq(key, "HardwareVendor") && hardware)
                                (void) json_add_string(hardware, "vendor", value);
                        else if (streq(key, "HardwareModel") && hardware)
                                (void) json_add_string(hardware, "model", value);
                } else if (sd_bus_message_skip(m, "v") < 0)
                        break;
                if (sd_bus_message_exit_container(m) < 0)
                        break;
        }
        if (hardware && json_object_object_length(hardware) > 0)
                (void) json_add(info, "hardware", hardware);
        else
                json_object_put(hardware);
        (void) json_add_string(info, "source", "hostname1");
}

/* hostnamed answers at once, or is started in well under a second: beyond that, the files answer. */
#define HOSTNAME1_TIMEOUT_USEC (2 * USEC_PER_SEC)

typedef struct InfoCall {
        McpRequest *req;
        json_object *info;
} InfoCall;

static int on_hostname1(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        InfoCall *c = userdata;
        if (!sd_bus_message_is_method_error(m, NULL))
                hostname1_merge(c->info, m);
        if (!mcp_request_is_done(c->req)) {
                int r = system_info_reply(c->req, c->info);
                if (r < 0)
                        (void) mcp_request_reply_tool_error(c->req, "Could not answer: %s", strerror(-r));
        }
        mcp_request_unref(c->req);
        json_object_put(c->info);
        free(c);
        return 0;
}

int tool_system_info(McpRequest *req, json_object *args) {
        _cleanup_json_ json_object *info = NULL;
        int r = system_info_build(&info);
        if (r < 0)
                return mcp_request_reply_tool_error(req, "Could not read the system's state: %s", strerror(-r));
        if (json_add_string(info, "source", "proc") < 0)
                return -ENOMEM;

        /* Ask systemd-hostnamed briefly (it is started on demand where it is installed); without it, what the
         * kernel and /etc say is the answer. */
        sd_bus *bus = NULL;
        if (sysops_bus_get(sysops_context_of(req), mcp_request_get_event(req), &bus) >= 0) {
                InfoCall *c = new0(InfoCall, 1);
                if (!c)
                        return -ENOMEM;
                c->req = mcp_request_ref(req);
                c->info = json_object_get(info);
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.hostname1", "/org/freedesktop/hostname1",
                        "org.freedesktop.DBus.Properties", "GetAll");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", "org.freedesktop.hostname1");
                if (r >= 0)
                        r = sd_bus_call_async(bus, NULL, m, on_hostname1, c, HOSTNAME1_TIMEOUT_USEC);
                if (r >= 0)
                        return 0;
                mcp_request_unref(c->req);
                json_object_put(c->info);
                free(c);
        }
        return system_info_reply(req, info);
}

int sysops_read_system_info(McpRequest *req, const char *uri, json_object *variables) {
        _cleanup_json_ json_object *info = NULL;
        int r = system_info_build(&info);
        if (r < 0)
                return r;
        _cleanup_json_ json_object *result = json_object_new_object();
        if (!result ||
                json_add(result, "contents",
                        JSON_ARRAY(mcp_resource_text(uri, "application/json", json_to_string(info)))) < 0)
                return -ENOMEM;
        return mcp_request_reply(req, TAKE_PTR(result));
}
