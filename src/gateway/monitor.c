/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The resource monitor: what each D-Bus backend's server uses. Under systemd, its unit's MemoryCurrent,
 * CPUUsageNSec, TasksCurrent, IPIngressBytes, IPEgressBytes and ActiveState, asked of systemd over the bus;
 * where systemd is not on the bus (the development stack), the server process's own figures from /proc,
 * found by the pid the bus gives for its name. Asked asynchronously, at most once per interval, when
 * /metrics is scraped; the scrape gets the figures the last round found. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "log.h"
#include "metrics.h"
#include "monitor.h"

#define SYSTEMD_BUS_NAME "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

typedef struct Watched {
        Monitor *monitor;
        Backend *backend;
        sd_bus_slot *slot; /* the question in flight, one at a time */
        char *unit_path;   /* the unit's object path, once known */
        MetricsResources figures;
} Watched;

struct Monitor {
        Gateway *gateway;
        uint64_t interval_usec;
        uint64_t last_usec; /* when the last round started */
        int systemd;        /* whether systemd is on the bus: 1, 0, or -1 while unknown */
        sd_bus_slot *systemd_query;
        Watched *watched;
        size_t n_watched;
};

static uint64_t monotonic_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static void figures_unknown(MetricsResources *r, const char *source) {
        *r = (MetricsResources){
                .memory_bytes = UINT64_MAX,
                .cpu_usec = UINT64_MAX,
                .tasks = UINT64_MAX,
                .ip_ingress_bytes = UINT64_MAX,
                .ip_egress_bytes = UINT64_MAX,
                .source = source,
        };
}

static void report(Watched *w) {
        metrics_backend_resources(w->monitor->gateway->metrics, w->backend->config->name, &w->figures);
}

/* --- outside systemd: the process ---------------------------------------------------------------------- */

/* Reads a small /proc file of pid into buf. */
static int read_proc(pid_t pid, const char *name, char *buf, size_t size) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, name);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        return 0;
}

static void figures_from_proc(MetricsResources *r, pid_t pid) {
        char buf[4096];
        long page = sysconf(_SC_PAGESIZE), hz = sysconf(_SC_CLK_TCK);
        unsigned long long size, resident;
        if (read_proc(pid, "statm", buf, sizeof(buf)) >= 0 && sscanf(buf, "%llu %llu", &size, &resident) == 2)
                r->memory_bytes = resident * (uint64_t) page;
        /* stat: after the command in parentheses, fields 3...; utime and stime are 14 and 15. */
        const char *p = read_proc(pid, "stat", buf, sizeof(buf)) >= 0 ? strrchr(buf, ')') : NULL;
        unsigned long long utime, stime;
        if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) == 2 && hz > 0)
                r->cpu_usec = (utime + stime) * USEC_PER_SEC / (uint64_t) hz;
        const char *t = read_proc(pid, "status", buf, sizeof(buf)) >= 0 ? strstr(buf, "\nThreads:") : NULL;
        unsigned long long threads;
        if (t && sscanf(t + 9, "%llu", &threads) == 1)
                r->tasks = threads;
}

static int on_pid(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watched *w = userdata;
        w->slot = sd_bus_slot_unref(w->slot);
        uint32_t pid;
        figures_unknown(&w->figures, "proc");
        if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_read(m, "u", &pid) >= 0 && pid > 0) {
                w->figures.active = true;
                figures_from_proc(&w->figures, (pid_t) pid);
        }
        report(w);
        return 0;
}

static int ask_process(Watched *w, sd_bus *bus) {
        return sd_bus_call_method_async(bus, &w->slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                "org.freedesktop.DBus", "GetConnectionUnixProcessID", on_pid, w, "s", w->backend->config->bus_name);
}

/* --- under systemd: the unit ---------------------------------------------------------------------------- */

static uint64_t read_u64(sd_bus_message *m) {
        uint64_t v = UINT64_MAX;
        return sd_bus_message_read(m, "v", "t", &v) >= 0 ? v : UINT64_MAX;
}

/* Properties.GetAll of the unit's Service interface, then ActiveState of its Unit interface. */
static int on_service_properties(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

static int on_active_state(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watched *w = userdata;
        w->slot = sd_bus_slot_unref(w->slot);
        const char *state = NULL;
        if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_read(m, "v", "s", &state) >= 0)
                w->figures.active = streq(state, "active") || streq(state, "reloading") || streq(state, "deactivating");
        report(w);
        return 0;
}

static int on_service_properties(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watched *w = userdata;
        w->slot = sd_bus_slot_unref(w->slot);
        figures_unknown(&w->figures, "systemd");
        if (sd_bus_message_is_method_error(m, NULL)) {
                log_debug("Backend %s: no figures from its unit: %s", w->backend->config->name,
                        sd_bus_message_get_error(m)->message);
                report(w);
                return 0;
        }
        if (sd_bus_message_enter_container(m, 'a', "{sv}") >= 0) {
                const char *name;
                while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                        if (sd_bus_message_read(m, "s", &name) < 0)
                                break;
                        uint64_t *into = streq(name, "MemoryCurrent") ? &w->figures.memory_bytes
                                : streq(name, "TasksCurrent")         ? &w->figures.tasks
                                : streq(name, "IPIngressBytes")       ? &w->figures.ip_ingress_bytes
                                : streq(name, "IPEgressBytes")        ? &w->figures.ip_egress_bytes
                                : streq(name, "CPUUsageNSec")         ? &w->figures.cpu_usec
                                                                      : NULL;
                        if (into)
                                *into = read_u64(m);
                        else
                                (void) sd_bus_message_skip(m, "v");
                        (void) sd_bus_message_exit_container(m);
                }
        }
        if (w->figures.cpu_usec != UINT64_MAX)
                w->figures.cpu_usec /= 1000; /* ns */
        int r = sd_bus_call_method_async(w->monitor->gateway->bus, &w->slot, SYSTEMD_BUS_NAME, w->unit_path,
                "org.freedesktop.DBus.Properties", "Get", on_active_state, w, "ss", "org.freedesktop.systemd1.Unit",
                "ActiveState");
        if (r < 0)
                report(w);
        return 0;
}

static int ask_unit_properties(Watched *w) {
        return sd_bus_call_method_async(w->monitor->gateway->bus, &w->slot, SYSTEMD_BUS_NAME, w->unit_path,
                "org.freedesktop.DBus.Properties", "GetAll", on_service_properties, w, "s",
                "org.freedesktop.systemd1.Service");
}

static int on_unit_path(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watched *w = userdata;
        w->slot = sd_bus_slot_unref(w->slot);
        const char *path;
        if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "o", &path) < 0) {
                log_debug("Backend %s: systemd does not know its unit: %s", w->backend->config->name,
                        sd_bus_message_is_method_error(m, NULL) ? sd_bus_message_get_error(m)->message : "bad reply");
                figures_unknown(&w->figures, "systemd");
                report(w);
                return 0;
        }
        free(w->unit_path);
        w->unit_path = strdup(path);
        if (!w->unit_path || ask_unit_properties(w) < 0)
                report(w);
        return 0;
}

/* The unit by Unit= (LoadUnit also finds one that is not running), else by the pid of the name's owner. */
static int on_owner_pid(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watched *w = userdata;
        w->slot = sd_bus_slot_unref(w->slot);
        uint32_t pid;
        if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "u", &pid) < 0) {
                figures_unknown(&w->figures, "systemd"); /* not running, and no Unit= to ask about */
                report(w);
                return 0;
        }
        return sd_bus_call_method_async(w->monitor->gateway->bus, &w->slot, SYSTEMD_BUS_NAME, SYSTEMD_PATH,
                SYSTEMD_MANAGER, "GetUnitByPID", on_unit_path, w, "u", pid);
}

static int ask_unit(Watched *w, sd_bus *bus) {
        if (w->unit_path)
                return ask_unit_properties(w);
        if (w->backend->config->unit)
                return sd_bus_call_method_async(bus, &w->slot, SYSTEMD_BUS_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER,
                        "LoadUnit", on_unit_path, w, "s", w->backend->config->unit);
        return sd_bus_call_method_async(bus, &w->slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                "org.freedesktop.DBus", "GetConnectionUnixProcessID", on_owner_pid, w, "s",
                w->backend->config->bus_name);
}

/* --- rounds ------------------------------------------------------------------------------------------------ */

static void round_start(Monitor *m) {
        sd_bus *bus = m->gateway->bus;
        for (size_t i = 0; i < m->n_watched; i++) {
                Watched *w = &m->watched[i];
                if (w->slot)
                        continue; /* the last round's question is still out */
                int r = m->systemd > 0 ? ask_unit(w, bus) : ask_process(w, bus);
                if (r < 0)
                        log_debug_errno(r, "Backend %s: failed to ask for its figures: %m", w->backend->config->name);
        }
}

static int on_systemd_there(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Monitor *mon = userdata;
        mon->systemd_query = sd_bus_slot_unref(mon->systemd_query);
        int there = 0;
        if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "b", &there) < 0)
                there = 0;
        mon->systemd = there;
        log_info("Resource figures of the servers come from %s.",
                there ? "their systemd units" : "their processes (/proc): systemd is not on this bus");
        round_start(mon);
        return 0;
}

void monitor_kick(Monitor *m) {
        if (!m || !m->gateway->bus || m->n_watched == 0)
                return;
        uint64_t now = monotonic_usec();
        if (m->last_usec != 0 && now - m->last_usec < m->interval_usec)
                return;
        m->last_usec = now;
        if (m->systemd >= 0) {
                round_start(m);
                return;
        }
        if (!m->systemd_query)
                (void) sd_bus_call_method_async(m->gateway->bus, &m->systemd_query, "org.freedesktop.DBus",
                        "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner", on_systemd_there, m, "s",
                        SYSTEMD_BUS_NAME);
}

int monitor_new(Monitor **ret, Gateway *g, uint64_t interval_usec) {
        _cleanup_(monitor_freep) Monitor *m = new0(Monitor, 1);
        if (!m)
                return -ENOMEM;
        m->gateway = g;
        m->interval_usec = interval_usec;
        m->systemd = -1;
        m->watched = new0(Watched, MAX(g->n_backends, 1U));
        if (!m->watched)
                return -ENOMEM;
        for (size_t i = 0; i < g->n_backends; i++)
                if (g->backends[i]->config->type == BACKEND_DBUS)
                        m->watched[m->n_watched++] = (Watched){ .monitor = m, .backend = g->backends[i] };
        *ret = TAKE_PTR(m);
        return 0;
}

Monitor *monitor_free(Monitor *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_watched; i++) {
                sd_bus_slot_unref(m->watched[i].slot);
                free(m->watched[i].unit_path);
        }
        sd_bus_slot_unref(m->systemd_query);
        free(m->watched);
        free(m);
        return NULL;
}
