/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Metric families as a table, their series found by label values, and the Prometheus text rendering. */
#include <inttypes.h>
#include <stdio.h>

#include "hashmap.h"
#include "metrics.h"

#define LABELS_MAX 4

typedef enum MetricType {
        METRIC_COUNTER,
        METRIC_GAUGE,
        METRIC_HISTOGRAM,
        METRIC_SECONDS, /* a counter kept in µs, rendered in seconds */
} MetricType;

static const char *const metric_type_table[] = {
        [METRIC_COUNTER] = "counter",
        [METRIC_GAUGE] = "gauge",
        [METRIC_HISTOGRAM] = "histogram",
        [METRIC_SECONDS] = "counter",
};

typedef enum FamilyId {
        FAMILY_REQUESTS,
        FAMILY_REQUEST_DURATION,
        FAMILY_IN_FLIGHT,
        FAMILY_BACKEND_UP,
        FAMILY_ENDPOINT_UP,
        FAMILY_ENDPOINT_OUTSTANDING,
        FAMILY_ENDPOINT_CALLS,
        FAMILY_BACKEND_DIRECT,
        FAMILY_BUS_CALLS,
        FAMILY_HTTP_REQUESTS,
        FAMILY_REDACTIONS,
        FAMILY_RATE_LIMITED,
        FAMILY_RESULTS_CUT,
        FAMILY_BACKEND_ACTIVE,
        FAMILY_BACKEND_MEMORY,
        FAMILY_BACKEND_CPU,
        FAMILY_BACKEND_TASKS,
        FAMILY_BACKEND_IP_INGRESS,
        FAMILY_BACKEND_IP_EGRESS,
        FAMILY_BACKEND_FIGURES_SOURCE,
        FAMILY_RESULT_CACHE,
        FAMILY_SESSIONS,
        _FAMILY_MAX,
} FamilyId;

typedef struct FamilyInfo {
        const char *name;
        const char *help;
        MetricType type;
        const char *labels[LABELS_MAX]; /* a histogram's le label comes on top */
        size_t n_labels;
} FamilyInfo;

/* In the order they are rendered. */
static const FamilyInfo family_table[_FAMILY_MAX] = {
        [FAMILY_REQUESTS] = {
                "aios_gateway_requests_total",
                "MCP requests answered, by method, tool, backend and outcome.",
                METRIC_COUNTER, { "method", "tool", "backend", "outcome" }, 4,
        },
        [FAMILY_REQUEST_DURATION] = {
                "aios_gateway_request_duration_seconds",
                "Time from receiving an MCP request to answering it, by method and tool.",
                METRIC_HISTOGRAM, { "method", "tool" }, 2,
        },
        [FAMILY_IN_FLIGHT] = {
                "aios_gateway_in_flight",
                "Calls sent to a backend and not answered yet.",
                METRIC_GAUGE, { "backend" }, 1,
        },
        [FAMILY_BACKEND_UP] = {
                "aios_gateway_backend_up",
                "Whether a backend is reachable (1) or not (0).",
                METRIC_GAUGE, { "backend" }, 1,
        },
        [FAMILY_ENDPOINT_UP] = {
                "aios_gateway_backend_endpoint_up",
                "Whether an endpoint of an HTTP backend takes calls (1) or is out (0): its health, by backend and URL.",
                METRIC_GAUGE, { "backend", "url" }, 2,
        },
        [FAMILY_ENDPOINT_OUTSTANDING] = {
                "aios_gateway_backend_endpoint_outstanding",
                "Calls in progress on an endpoint of an HTTP backend, by backend and URL.",
                METRIC_GAUGE, { "backend", "url" }, 2,
        },
        [FAMILY_ENDPOINT_CALLS] = {
                "aios_gateway_backend_endpoint_calls_total",
                "Calls sent to an endpoint of an HTTP backend, by backend and URL.",
                METRIC_COUNTER, { "backend", "url" }, 2,
        },
        [FAMILY_BACKEND_DIRECT] = {
                "aios_gateway_backend_direct",
                "Whether calls to a D-Bus backend go over a direct connection to its server (1) or the bus (0).",
                METRIC_GAUGE, { "backend" }, 1,
        },
        [FAMILY_BUS_CALLS] = {
                "aios_gateway_bus_calls_total",
                "Calls sent to D-Bus backends, by backend and route (direct or broker).",
                METRIC_COUNTER, { "backend", "route" }, 2,
        },
        [FAMILY_HTTP_REQUESTS] = {
                "aios_gateway_http_requests_total",
                "HTTP requests answered, by endpoint and status code.",
                METRIC_COUNTER, { "endpoint", "code" }, 2,
        },
        [FAMILY_REDACTIONS] = {
                "aios_gateway_redactions_total",
                "Secrets replaced in tool results before they left the gateway, by pattern.",
                METRIC_COUNTER, { "pattern" }, 1,
        },
        [FAMILY_RATE_LIMITED] = {
                "aios_gateway_rate_limited_total",
                "Tool calls refused by a rate limit, by tool class.",
                METRIC_COUNTER, { "class" }, 1,
        },
        [FAMILY_RESULTS_CUT] = {
                "aios_gateway_results_cut_total",
                "Tool results cut down to the size limit, by tool.",
                METRIC_COUNTER, { "tool" }, 1,
        },
        [FAMILY_BACKEND_ACTIVE] = {
                "aios_backend_active",
                "Whether a backend's server is running (its unit active, or its process there): 1 or 0.",
                METRIC_GAUGE, { "backend" }, 1,
        },
        [FAMILY_BACKEND_MEMORY] = {
                "aios_backend_memory_bytes",
                "Memory a backend's server uses: its unit's MemoryCurrent, or its process's resident set.",
                METRIC_GAUGE, { "backend" }, 1,
        },
        [FAMILY_BACKEND_CPU] = {
                "aios_backend_cpu_seconds_total",
                "CPU time a backend's server used: its unit's CPUUsageNSec, or its process's user and system time.",
                METRIC_SECONDS, { "backend" }, 1,
        },
        [FAMILY_BACKEND_TASKS] = {
                "aios_backend_tasks",
                "Tasks of a backend's server: its unit's TasksCurrent, or its process's threads.",
                METRIC_GAUGE, { "backend" }, 1,
        },
        [FAMILY_BACKEND_IP_INGRESS] = {
                "aios_backend_ip_ingress_bytes_total",
                "IP bytes a backend's unit received (IPAccounting=yes).",
                METRIC_COUNTER, { "backend" }, 1,
        },
        [FAMILY_BACKEND_IP_EGRESS] = {
                "aios_backend_ip_egress_bytes_total",
                "IP bytes a backend's unit sent (IPAccounting=yes).",
                METRIC_COUNTER, { "backend" }, 1,
        },
        [FAMILY_BACKEND_FIGURES_SOURCE] = {
                "aios_backend_figures_source",
                "Where a backend's figures come from: systemd (its unit) or proc (its process, outside systemd).",
                METRIC_GAUGE, { "backend", "source" }, 2,
        },
        [FAMILY_RESULT_CACHE] = {
                "aios_gateway_result_cache_total",
                "Tool calls that could be answered from the result cache, by tool and outcome: hit or miss.",
                METRIC_COUNTER, { "tool", "outcome" }, 2,
        },
        [FAMILY_SESSIONS] = {
                "aios_gateway_sessions",
                "Sessions (2025-11-25 and older revisions) open on an endpoint.",
                METRIC_GAUGE, { "endpoint" }, 1,
        },
};

/* The histogram's finite upper bounds; +Inf is the count. */
static const uint64_t bucket_usec[] = {
        500,
        1000,
        2500,
        5000,
        10000,
        25000,
        50000,
        100000,
        250000,
        500000,
        1000000,
        2500000,
        5000000,
        10000000,
};
#define N_BUCKETS ELEMENTSOF(bucket_usec)

static const char *const outcome_table[_METRICS_OUTCOME_MAX] = {
        [METRICS_OUTCOME_OK] = "ok",
        [METRICS_OUTCOME_ERROR] = "error",
        [METRICS_OUTCOME_TOOL_ERROR] = "tool_error",
        [METRICS_OUTCOME_DENIED] = "denied",
        [METRICS_OUTCOME_UNAVAILABLE] = "unavailable",
        [METRICS_OUTCOME_TIMEOUT] = "timeout",
        [METRICS_OUTCOME_CANCELLED] = "cancelled",
};

typedef struct Series {
        char *key; /* the label values, each prefixed with its length: the key in Family.index */
        char *values[LABELS_MAX];
        uint64_t counter;
        int64_t gauge;
        uint64_t buckets[N_BUCKETS]; /* observations per bucket, not cumulative */
        uint64_t count;
        uint64_t sum_usec;
} Series;

typedef struct Family {
        const FamilyInfo *info;
        Series **series; /* in first-seen order */
        size_t n_series, n_allocated;
        Hashmap *index;
} Family;

struct Metrics {
        Family families[_FAMILY_MAX];
};

const char *metrics_outcome_to_string(MetricsOutcome o) {
        return o >= 0 && o < _METRICS_OUTCOME_MAX ? outcome_table[o] : NULL;
}

MetricsOutcome metrics_outcome_from_string(const char *s) {
        for (MetricsOutcome o = 0; s && o < _METRICS_OUTCOME_MAX; o++)
                if (streq(s, outcome_table[o]))
                        return o;
        return _METRICS_OUTCOME_INVALID;
}

static Series *series_free(Series *s) {
        if (!s)
                return NULL;
        free(s->key);
        for (size_t i = 0; i < LABELS_MAX; i++)
                free(s->values[i]);
        free(s);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Series *, series_free);

Metrics *metrics_free(Metrics *m) {
        if (!m)
                return NULL;
        FOREACH_ELEMENT(f, m->families) {
                for (size_t i = 0; i < f->n_series; i++)
                        series_free(f->series[i]);
                free(f->series);
                hashmap_free(f->index);
        }
        free(m);
        return NULL;
}

int metrics_new(Metrics **ret) {
        assert(ret);

        _cleanup_(metrics_freep) Metrics *m = new0(Metrics, 1);
        if (!m)
                return -ENOMEM;
        for (size_t i = 0; i < _FAMILY_MAX; i++) {
                m->families[i].info = &family_table[i];
                if (!(m->families[i].index = hashmap_new()))
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(m);
        return 0;
}

static bool utf8_is_valid(const char *s) {
        for (const uint8_t *p = (const uint8_t *) s; *p;) {
                if (*p < 0x80) {
                        p++;
                        continue;
                }

                size_t n;
                uint32_t cp, min;
                if ((*p & 0xe0) == 0xc0)
                        n = 1, cp = *p & 0x1f, min = 0x80;
                else if ((*p & 0xf0) == 0xe0)
                        n = 2, cp = *p & 0x0f, min = 0x800;
                else if ((*p & 0xf8) == 0xf0)
                        n = 3, cp = *p & 0x07, min = 0x10000;
                else
                        return false;
                /* A NUL ends the loop here too: it is not a continuation byte. */
                for (size_t i = 1; i <= n; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (p[i] & 0x3f);
                }
                if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                p += n + 1;
        }
        return true;
}

/* Label values may come from clients (tool names): bound what one series can hold, and keep the exposition
 * valid UTF-8, which scrapers insist on. */
static const char *label_value_sanitize(const char *v) {
        return strlen(v) <= METRICS_LABEL_VALUE_MAX && utf8_is_valid(v) ? v : "other";
}

/* Each value prefixed with its length, so that no two label sets share a key whatever bytes they hold. Values are
 * sanitized first (at most METRICS_LABEL_VALUE_MAX bytes), so a key fits SERIES_KEY_MAX: found without an
 * allocation, which only a new series makes. */
#define SERIES_KEY_MAX (LABELS_MAX * (20 + 1 + METRICS_LABEL_VALUE_MAX) + 1) /* "%zu:%s" each */
static void series_key(const char *const *values, size_t n, char key[static SERIES_KEY_MAX]) {
        char *p = key;
        *p = 0;
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, "%zu:%s", strlen(values[i]), values[i]);
}

static Series *family_add(Family *f, const char *const *values, const char *key) {
        _cleanup_free_ char *k = strdup(key);
        _cleanup_(series_freep) Series *s = new0(Series, 1);
        if (!k || !s)
                return NULL;
        for (size_t i = 0; i < f->info->n_labels; i++)
                if (!(s->values[i] = strdup(values[i])))
                        return NULL;

        if (f->n_series == f->n_allocated) {
                size_t n = MAX(f->n_allocated * 2, 8u);
                Series **grown = realloc(f->series, n * sizeof(Series *));
                if (!grown)
                        return NULL;
                f->series = grown;
                f->n_allocated = n;
        }

        s->key = TAKE_PTR(k);
        if (hashmap_put(f->index, s->key, s) < 0)
                return NULL;
        f->series[f->n_series++] = s;
        return TAKE_PTR(s);
}

/* Finds or creates the series for the label values (one per label); NULL without memory. */
static Series *family_get(Family *f, const char *const *values, bool over_limit) {
        static const char *const other[LABELS_MAX] = { "other", "other", "other", "other" };
        const char *v[LABELS_MAX];

        for (size_t i = 0; i < f->info->n_labels; i++)
                v[i] = label_value_sanitize(strempty(values[i]));

        char key[SERIES_KEY_MAX];
        series_key(v, f->info->n_labels, key);
        Series *s = hashmap_get(f->index, key);
        if (s)
                return s;

        /* Full: the "other" series takes the rest, the one series allowed beyond the limit. */
        if (f->n_series >= METRICS_SERIES_MAX && !over_limit)
                return family_get(f, other, true);
        return family_add(f, v, key);
}

void metrics_request_done(Metrics *m, const char *method, const char *tool, const char *backend, MetricsOutcome outcome,
        uint64_t duration_usec) {
        assert(m);
        assert(outcome >= 0 && outcome < _METRICS_OUTCOME_MAX);

        Series *s = family_get(&m->families[FAMILY_REQUESTS],
                (const char *[]){ method, tool, backend, outcome_table[outcome] }, false);
        if (s)
                s->counter++;

        s = family_get(&m->families[FAMILY_REQUEST_DURATION], (const char *[]){ method, tool }, false);
        if (!s)
                return;
        for (size_t i = 0; i < N_BUCKETS; i++)
                if (duration_usec <= bucket_usec[i]) {
                        s->buckets[i]++;
                        break;
                }
        s->count++;
        s->sum_usec += duration_usec;
}

void metrics_in_flight_add(Metrics *m, const char *backend, int delta) {
        assert(m);

        Series *s = family_get(&m->families[FAMILY_IN_FLIGHT], (const char *[]){ backend }, false);
        if (s)
                s->gauge += delta;
}

void metrics_backend_up(Metrics *m, const char *backend, bool up) {
        assert(m);

        Series *s = family_get(&m->families[FAMILY_BACKEND_UP], (const char *[]){ backend }, false);
        if (s)
                s->gauge = up;
}

void metrics_backend_direct(Metrics *m, const char *backend, bool direct) {
        assert(m);

        Series *s = family_get(&m->families[FAMILY_BACKEND_DIRECT], (const char *[]){ backend }, false);
        if (s)
                s->gauge = direct;
}

void metrics_endpoint_up(Metrics *m, const char *backend, const char *url, bool up) {
        assert(m);

        Series *s = family_get(&m->families[FAMILY_ENDPOINT_UP], (const char *[]){ backend, url }, false);
        if (s)
                s->gauge = up;
}

void metrics_endpoint_calls(Metrics *m, const char *backend, const char *url, int delta, uint64_t sent) {
        assert(m);

        Series *s = family_get(&m->families[FAMILY_ENDPOINT_OUTSTANDING], (const char *[]){ backend, url }, false);
        if (s)
                s->gauge += delta;
        s = family_get(&m->families[FAMILY_ENDPOINT_CALLS], (const char *[]){ backend, url }, false);
        if (s)
                s->counter += sent;
}

void metrics_bus_call(Metrics *m, const char *backend, bool direct) {
        assert(m);

        Series *s = family_get(&m->families[FAMILY_BUS_CALLS],
                (const char *[]){ backend, direct ? "direct" : "broker" }, false);
        if (s)
                s->counter++;
}

void metrics_http_request(Metrics *m, const char *endpoint, unsigned code) {
        assert(m);

        char c[16];
        snprintf(c, sizeof(c), "%u", code);
        Series *s = family_get(&m->families[FAMILY_HTTP_REQUESTS], (const char *[]){ endpoint, c }, false);
        if (s)
                s->counter++;
}

static void series_set(Metrics *m, FamilyId id, const char *backend, uint64_t value) {
        Series *s = family_get(&m->families[id], (const char *[]){ backend }, false);
        if (!s)
                return;
        if (m->families[id].info->type == METRIC_GAUGE)
                s->gauge = (int64_t) MIN(value, (uint64_t) INT64_MAX);
        else
                s->counter = value;
}

void metrics_result_cache(Metrics *m, const char *tool, bool hit) {
        assert(m);

        Series *s =
                family_get(&m->families[FAMILY_RESULT_CACHE], (const char *[]){ tool, hit ? "hit" : "miss" }, false);
        if (s)
                s->counter++;
}

void metrics_sessions(Metrics *m, const char *endpoint, size_t n) {
        assert(m);

        Series *s = family_get(&m->families[FAMILY_SESSIONS], (const char *[]){ endpoint }, false);
        if (s)
                s->gauge = (int64_t) MIN(n, (size_t) INT64_MAX);
}

void metrics_backend_resources(Metrics *m, const char *backend, const MetricsResources *r) {
        assert(m);

        series_set(m, FAMILY_BACKEND_ACTIVE, backend, r->active);
        if (r->memory_bytes != UINT64_MAX)
                series_set(m, FAMILY_BACKEND_MEMORY, backend, r->memory_bytes);
        if (r->cpu_usec != UINT64_MAX)
                series_set(m, FAMILY_BACKEND_CPU, backend, r->cpu_usec);
        if (r->tasks != UINT64_MAX)
                series_set(m, FAMILY_BACKEND_TASKS, backend, r->tasks);
        if (r->ip_ingress_bytes != UINT64_MAX)
                series_set(m, FAMILY_BACKEND_IP_INGRESS, backend, r->ip_ingress_bytes);
        if (r->ip_egress_bytes != UINT64_MAX)
                series_set(m, FAMILY_BACKEND_IP_EGRESS, backend, r->ip_egress_bytes);
        if (r->source) {
                /* One source per backend: the other one's series, if it was ever set, says 0. */
                static const char *const sources[] = { "systemd", "proc" };
                FOREACH_ELEMENT(src, sources) {
                        Series *s = family_get(&m->families[FAMILY_BACKEND_FIGURES_SOURCE],
                                (const char *[]){ backend, *src }, false);
                        if (s)
                                s->gauge = streq(*src, r->source);
                }
        }
}

static void counter_add(Metrics *m, FamilyId id, const char *value, uint64_t n) {
        Series *s = family_get(&m->families[id], (const char *[]){ value }, false);
        if (s)
                s->counter += n;
}

void metrics_redactions(Metrics *m, const char *pattern, uint64_t n) {
        assert(m);
        if (n > 0)
                counter_add(m, FAMILY_REDACTIONS, pattern, n);
}

void metrics_rate_limited(Metrics *m, const char *class) {
        assert(m);
        counter_add(m, FAMILY_RATE_LIMITED, class, 1);
}

void metrics_result_cut(Metrics *m, const char *tool) {
        assert(m);
        counter_add(m, FAMILY_RESULTS_CUT, tool, 1);
}

/* Seconds in the shortest exact decimal form: 0.0005, 1, 2.5. */
static const char *format_seconds(char buf[static 32], uint64_t usec) {
        int n = snprintf(buf, 32, "%" PRIu64 ".%06" PRIu64, (uint64_t) (usec / USEC_PER_SEC),
                (uint64_t) (usec % USEC_PER_SEC));
        while (buf[n - 1] == '0')
                n--;
        if (buf[n - 1] == '.')
                n--;
        buf[n] = 0;
        return buf;
}

/* Label values escape backslash, double quote and newline; HELP text only backslash and newline. */
static void write_escaped(FILE *f, const char *s, bool label_value) {
        for (; *s; s++)
                if (*s == '\\')
                        fputs("\\\\", f);
                else if (*s == '\n')
                        fputs("\\n", f);
                else if (*s == '"' && label_value)
                        fputs("\\\"", f);
                else
                        fputc(*s, f);
}

/* name{label="value",...,le="..."} */
static void write_sample_name(FILE *f, const FamilyInfo *info, const char *suffix, const Series *s, const char *le) {
        fprintf(f, "%s%s", info->name, suffix);
        if (info->n_labels == 0 && !le)
                return;

        fputc('{', f);
        for (size_t i = 0; i < info->n_labels; i++) {
                fprintf(f, "%s%s=\"", i > 0 ? "," : "", info->labels[i]);
                write_escaped(f, s->values[i], true);
                fputc('"', f);
        }
        if (le)
                fprintf(f, "%sle=\"%s\"", info->n_labels > 0 ? "," : "", le);
        fputc('}', f);
}

static void write_series(FILE *f, const FamilyInfo *info, const Series *s) {
        char buf[32];

        switch (info->type) {
        case METRIC_COUNTER:
                write_sample_name(f, info, "", s, NULL);
                fprintf(f, " %" PRIu64 "\n", s->counter);
                break;
        case METRIC_GAUGE:
                write_sample_name(f, info, "", s, NULL);
                fprintf(f, " %" PRIi64 "\n", s->gauge);
                break;
        case METRIC_SECONDS:
                write_sample_name(f, info, "", s, NULL);
                fprintf(f, " %s\n", format_seconds(buf, s->counter));
                break;
        case METRIC_HISTOGRAM: {
                uint64_t cumulative = 0;
                for (size_t i = 0; i < N_BUCKETS; i++) {
                        cumulative += s->buckets[i];
                        write_sample_name(f, info, "_bucket", s, format_seconds(buf, bucket_usec[i]));
                        fprintf(f, " %" PRIu64 "\n", cumulative);
                }
                write_sample_name(f, info, "_bucket", s, "+Inf");
                fprintf(f, " %" PRIu64 "\n", s->count);
                write_sample_name(f, info, "_sum", s, NULL);
                fprintf(f, " %s\n", format_seconds(buf, s->sum_usec));
                write_sample_name(f, info, "_count", s, NULL);
                fprintf(f, " %" PRIu64 "\n", s->count);
                break;
        }
        }
}

int metrics_render(Metrics *m, char **ret_text, size_t *ret_size) {
        assert(m);
        assert(ret_text);

        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;

        FOREACH_ELEMENT(family, m->families) {
                const FamilyInfo *info = family->info;
                fprintf(f, "# HELP %s ", info->name);
                write_escaped(f, info->help, false);
                fprintf(f, "\n# TYPE %s %s\n", info->name, metric_type_table[info->type]);
                for (size_t i = 0; i < family->n_series; i++)
                        write_series(f, info, family->series[i]);
        }

        /* The stream moves the text around until it is closed. */
        bool failed = ferror(f);
        if (fclose(TAKE_PTR(f)) != 0 || failed)
                return -ENOMEM;
        *ret_text = TAKE_PTR(text);
        if (ret_size)
                *ret_size = size;
        return 0;
}
