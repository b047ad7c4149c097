/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aiosctl status, list-servers and metrics: the gateway and its backends as /readyz and /metrics show them. */
#include <stdio.h>
#include <string.h>

#include "aiosctl.h"
#include "json-util.h"
#include "log.h"
#include "strv.h"

/* /readyz: {"status": "ready", "backends": {"NAME": "up"|"activatable"|"down"}}. */
static int readiness(Client *c, json_object **ret) {
        _cleanup_free_ char *body = NULL;
        long status = 0;
        int r = client_get(c, "/readyz", &status, &body);
        if (r != 0)
                return r;
        if (json_parse_strict(body, strlen(body), ret, NULL) < 0 || !json_get_object(*ret, "backends"))
                return log_error("The gateway's /readyz answered HTTP %ld without its JSON.", status), EXIT_FAILED;
        return 0;
}

static const char *state_color(const char *state) {
        return streq_ptr(state, "down") ? ansi_red() : streq_ptr(state, "up") ? ansi_green() : NULL;
}

/* The sum of a metric's samples whose labels contain match (e.g. backend="sysops"), or -1 when none. */
static double metric_sum(const char *text, const char *name, const char *match) {
        double sum = -1;
        size_t l = strlen(name);
        for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                if (strncmp(line, name, l) != 0 || (line[l] != '{' && line[l] != ' '))
                        continue;
                const char *end = strchr(line, '\n') ?: line + strlen(line);
                const char *space = memrchr(line, ' ', (size_t) (end - line));
                if (!space || (match && !memmem(line, (size_t) (space - line), match, strlen(match))))
                        continue;
                sum = (sum < 0 ? 0 : sum) + strtod(space + 1, NULL);
        }
        return sum;
}

/* The resource monitor's figures of a server, as status --json names them. */
static const struct {
        const char *metric;
        const char *json;
} resource_figures[] = {
        { "aios_backend_memory_bytes", "memory_bytes" },
        { "aios_backend_cpu_seconds_total", "cpu_seconds" },
        { "aios_backend_tasks", "tasks" },
};

/* 11.2M, 840K, 1.5G: as systemctl status shows memory. */
static void format_bytes(double v, char *buf, size_t size) {
        static const char units[] = "BKMGT";
        size_t u = 0;
        while (v >= 1024 && u + 1 < sizeof(units) - 1) {
                v /= 1024;
                u++;
        }
        snprintf(buf, size, u == 0 ? "%.0f%c" : "%.1f%c", v, units[u]);
}

int verb_list_servers(char **args) {
        if (strv_length(args) > 0)
                return log_error("list-servers takes no arguments."), EXIT_USAGE;
        _cleanup_(client_freep) Client *c = NULL;
        _cleanup_json_ json_object *ready = NULL;
        int r = gateway_connect(&c);
        if (r == 0)
                r = readiness(c, &ready);
        if (r != 0)
                return r;
        json_object *backends = json_get_object(ready, "backends");
        if (output.json) {
                _cleanup_json_ json_object *list = json_object_new_array();
                json_object_object_foreach (backends, name, state) {
                        json_object *o = json_object_new_object();
                        char buf[256];
                        json_add_string(o, "name", name);
                        json_add(o, "state", json_object_get(state));
                        json_add_string(o, "endpoint", gateway_endpoint(name, buf));
                        json_object_array_add(list, o);
                }
                output_json(list);
                return EXIT_OK;
        }
        static const char *const headers[] = { "SERVER", "STATE", "ENDPOINT" };
        _cleanup_(table_freep) Table *t = table_new(3, headers);
        if (!t)
                return log_oom(), EXIT_FAILED;
        json_object_object_foreach (backends, name, state) {
                char buf[256];
                const char *s = json_object_get_string(state);
                const char *cells[] = { name, s, gateway_endpoint(name, buf) };
                const char *colors[] = { NULL, state_color(s), NULL };
                if (table_add_row(t, cells, colors) < 0)
                        return log_oom(), EXIT_FAILED;
        }
        pager_open();
        table_print(t, "servers");
        return EXIT_OK;
}

int verb_status(char **args) {
        if (strv_length(args) > 0)
                return log_error("status takes no arguments."), EXIT_USAGE;
        _cleanup_(client_freep) Client *c = NULL;
        _cleanup_json_ json_object *ready = NULL;
        _cleanup_free_ char *metrics = NULL;
        long status = 0;
        int r = gateway_connect(&c);
        if (r == 0)
                r = readiness(c, &ready);
        if (r == 0)
                r = client_get(c, "/metrics", &status, &metrics);
        if (r != 0)
                return r;
        if (status != 200)
                metrics = mfree(metrics); /* figures are optional: the states are what status is about */

        json_object *backends = json_get_object(ready, "backends");
        const char *overall = strempty(json_get_string(ready, "status"));
        if (output.json) {
                _cleanup_json_ json_object *o = json_object_new_object(), *list = json_object_new_array();
                json_add_string(o, "status", overall);
                json_add_string(o, "gateway", arg.url ?: arg.socket);
                json_object_object_foreach (backends, name, state) {
                        json_object *b = json_object_new_object();
                        char match[128];
                        snprintf(match, sizeof(match), "backend=\"%s\"", name);
                        json_add_string(b, "name", name);
                        json_add(b, "state", json_object_get(state));
                        if (metrics) {
                                json_add(b, "calls",
                                        json_object_new_double(
                                                MAX(0, metric_sum(metrics, "aios_gateway_requests_total", match))));
                                json_add(b, "in_flight",
                                        json_object_new_double(
                                                MAX(0, metric_sum(metrics, "aios_gateway_in_flight", match))));
                                /* What its server uses, where the resource monitor has it. */
                                FOREACH_ELEMENT(f, resource_figures) {
                                        double v = metric_sum(metrics, f->metric, match);
                                        if (v >= 0)
                                                json_add(b, f->json, json_object_new_double(v));
                                }
                        }
                        json_object_array_add(list, b);
                }
                json_add(o, "servers", TAKE_PTR(list));
                output_json(o);
                return streq(overall, "ready") ? EXIT_OK : EXIT_FAILED;
        }

        bool ready_ok = streq(overall, "ready");
        printf("%s●%s aios gateway: %s%s%s\n", ready_ok ? ansi_green() : ansi_red(), ansi_normal(), ansi_highlight(),
                overall, ansi_normal());
        printf("    Address: %s%s\n", arg.url ? "" : "unix:", arg.url ?: arg.socket);
        if (metrics)
                printf("      Calls: %.0f (%.0f in flight)\n",
                        MAX(0, metric_sum(metrics, "aios_gateway_requests_total", NULL)),
                        MAX(0, metric_sum(metrics, "aios_gateway_in_flight", NULL)));
        putchar('\n');
        static const char *const headers[] = { "SERVER", "STATE", "CALLS", "IN-FLIGHT", "MEMORY", "CPU", "TASKS" };
        _cleanup_(table_freep) Table *t = table_new(7, headers);
        if (!t)
                return log_oom(), EXIT_FAILED;
        json_object_object_foreach (backends, name, state) {
                char match[128], calls[32] = "-", flight[32] = "-";
                snprintf(match, sizeof(match), "backend=\"%s\"", name);
                if (metrics) {
                        snprintf(calls, sizeof(calls), "%.0f",
                                MAX(0, metric_sum(metrics, "aios_gateway_requests_total", match)));
                        snprintf(flight, sizeof(flight), "%.0f",
                                MAX(0, metric_sum(metrics, "aios_gateway_in_flight", match)));
                }
                char memory[32] = "-", cpu[32] = "-", tasks[32] = "-";
                double v;
                if (metrics && (v = metric_sum(metrics, "aios_backend_memory_bytes", match)) >= 0)
                        format_bytes(v, memory, sizeof(memory));
                if (metrics && (v = metric_sum(metrics, "aios_backend_cpu_seconds_total", match)) >= 0)
                        snprintf(cpu, sizeof(cpu), "%.1fs", v);
                if (metrics && (v = metric_sum(metrics, "aios_backend_tasks", match)) >= 0)
                        snprintf(tasks, sizeof(tasks), "%.0f", v);
                const char *s = json_object_get_string(state);
                const char *cells[] = { name, s, calls, flight, memory, cpu, tasks };
                const char *colors[] = { NULL, state_color(s), NULL, NULL, NULL, NULL, NULL };
                if (table_add_row(t, cells, colors) < 0)
                        return log_oom(), EXIT_FAILED;
        }
        table_print(t, "servers");
        return ready_ok ? EXIT_OK : EXIT_FAILED;
}

int verb_metrics(char **args) {
        if (strv_length(args) > 0)
                return log_error("metrics takes no arguments."), EXIT_USAGE;
        _cleanup_(client_freep) Client *c = NULL;
        _cleanup_free_ char *body = NULL;
        long status = 0;
        int r = gateway_connect(&c);
        if (r == 0)
                r = client_get(c, "/metrics", &status, &body);
        if (r != 0)
                return r;
        if (status != 200)
                return log_error("The gateway's /metrics answered HTTP %ld.", status),
                       status == 401 || status == 403 ? EXIT_DENIED : EXIT_FAILED;
        if (!output.json) {
                pager_open();
                fputs(body, stdout);
                return EXIT_OK;
        }
        /* --json: every sample as {"name", "labels": {...}, "value"}. */
        _cleanup_json_ json_object *list = json_object_new_array();
        for (char *line = body, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (*line == '#' || !*line)
                        continue;
                char *space = strrchr(line, ' ');
                if (!space)
                        continue;
                *space = 0;
                json_object *o = json_object_new_object(), *labels = json_object_new_object();
                char *brace = strchr(line, '{');
                if (brace) {
                        *brace = 0;
                        char *p = brace + 1;
                        while (*p && *p != '}') {
                                char *eq = strchr(p, '=');
                                if (!eq || eq[1] != '"')
                                        break;
                                *eq = 0;
                                _cleanup_free_ char *value = malloc(strlen(eq + 2) + 1);
                                size_t n = 0;
                                char *q = eq + 2;
                                for (; value && *q && *q != '"'; q++)
                                        value[n++] = *q == '\\' && q[1] ? (*++q == 'n' ? '\n' : *q) : *q;
                                if (!value)
                                        break;
                                value[n] = 0;
                                json_add_string(labels, p, value);
                                p = *q ? q + 1 : q;
                                if (*p == ',')
                                        p++;
                        }
                }
                json_add_string(o, "name", line);
                json_add(o, "labels", labels);
                json_add(o, "value", json_object_new_double(strtod(space + 1, NULL)));
                json_object_array_add(list, o);
        }
        output_json(list);
        return EXIT_OK;
}
