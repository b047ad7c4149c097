/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The metrics render as Prometheus text: each family declared once, the values of each series, escaped
 * labels, cumulative buckets and bounded series. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "metrics.h"
#include "test-util.h"

static char *render(Metrics *m) {
        char *text = NULL;
        size_t size = 0;
        ck_assert_int_eq(metrics_render(m, &text, &size), 0);
        ck_assert_uint_eq(size, strlen(text));
        return text;
}

static size_t count_lines_starting(const char *text, const char *prefix) {
        size_t n = 0;
        for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
                if (startswith_ptr(line, prefix))
                        n++;
        return n;
}

#define HEADER_REQUESTS                                                                                                \
        "# HELP aios_gateway_requests_total MCP requests answered, by method, tool, backend and outcome.\n"            \
        "# TYPE aios_gateway_requests_total counter\n"
#define HEADER_DURATION                                                                                                          \
        "# HELP aios_gateway_request_duration_seconds Time from receiving an MCP request to answering it, by method and tool.\n" \
        "# TYPE aios_gateway_request_duration_seconds histogram\n"
#define HEADER_IN_FLIGHT                                                                                               \
        "# HELP aios_gateway_in_flight Calls sent to a backend and not answered yet.\n"                                \
        "# TYPE aios_gateway_in_flight gauge\n"
#define HEADER_BACKEND_UP                                                                                              \
        "# HELP aios_gateway_backend_up Whether a backend is reachable (1) or not (0).\n"                              \
        "# TYPE aios_gateway_backend_up gauge\n"
#define HEADER_ENDPOINTS                                                                                                                                  \
        "# HELP aios_gateway_backend_endpoint_up Whether an endpoint of an HTTP backend takes calls (1) or is out (0): its health, by backend and URL.\n" \
        "# TYPE aios_gateway_backend_endpoint_up gauge\n"                                                                                                 \
        "# HELP aios_gateway_backend_endpoint_outstanding Calls in progress on an endpoint of an HTTP backend, by backend and URL.\n"                     \
        "# TYPE aios_gateway_backend_endpoint_outstanding gauge\n"                                                                                        \
        "# HELP aios_gateway_backend_endpoint_calls_total Calls sent to an endpoint of an HTTP backend, by backend and URL.\n"                            \
        "# TYPE aios_gateway_backend_endpoint_calls_total counter\n"
#define HEADER_ROUTES                                                                                                                         \
        "# HELP aios_gateway_backend_direct Whether calls to a D-Bus backend go over a direct connection to its server (1) or the bus (0).\n" \
        "# TYPE aios_gateway_backend_direct gauge\n"                                                                                          \
        "# HELP aios_gateway_bus_calls_total Calls sent to D-Bus backends, by backend and route (direct or broker).\n"                        \
        "# TYPE aios_gateway_bus_calls_total counter\n"
#define HEADER_HTTP                                                                                                    \
        "# HELP aios_gateway_http_requests_total HTTP requests answered, by endpoint and status code.\n"               \
        "# TYPE aios_gateway_http_requests_total counter\n"
#define HEADER_FILTERS_REDACTIONS                                                                                           \
        "# HELP aios_gateway_redactions_total Secrets replaced in tool results before they left the gateway, by pattern.\n" \
        "# TYPE aios_gateway_redactions_total counter\n"
#define HEADER_FILTERS                                                                                                 \
        HEADER_FILTERS_REDACTIONS                                                                                      \
        "# HELP aios_gateway_rate_limited_total Tool calls refused by a rate limit, by tool class.\n"                  \
        "# TYPE aios_gateway_rate_limited_total counter\n"                                                             \
        "# HELP aios_gateway_results_cut_total Tool results cut down to the size limit, by tool.\n"                    \
        "# TYPE aios_gateway_results_cut_total counter\n"

#define HEADER_RESOURCES                                                                                                                            \
        "# HELP aios_backend_active Whether a backend's server is running (its unit active, or its process there): 1 or 0.\n"                       \
        "# TYPE aios_backend_active gauge\n"                                                                                                        \
        "# HELP aios_backend_memory_bytes Memory a backend's server uses: its unit's MemoryCurrent, or its process's resident set.\n"               \
        "# TYPE aios_backend_memory_bytes gauge\n"                                                                                                  \
        "# HELP aios_backend_cpu_seconds_total CPU time a backend's server used: its unit's CPUUsageNSec, or its process's user and system time.\n" \
        "# TYPE aios_backend_cpu_seconds_total counter\n"                                                                                           \
        "# HELP aios_backend_tasks Tasks of a backend's server: its unit's TasksCurrent, or its process's threads.\n"                               \
        "# TYPE aios_backend_tasks gauge\n"                                                                                                         \
        "# HELP aios_backend_ip_ingress_bytes_total IP bytes a backend's unit received (IPAccounting=yes).\n"                                       \
        "# TYPE aios_backend_ip_ingress_bytes_total counter\n"                                                                                      \
        "# HELP aios_backend_ip_egress_bytes_total IP bytes a backend's unit sent (IPAccounting=yes).\n"                                            \
        "# TYPE aios_backend_ip_egress_bytes_total counter\n"                                                                                       \
        "# HELP aios_backend_figures_source Where a backend's figures come from: systemd (its unit) or proc (its process, outside systemd).\n"      \
        "# TYPE aios_backend_figures_source gauge\n"                                                                                                \
        "# HELP aios_gateway_result_cache_total Tool calls that could be answered from the result cache, by tool and outcome: hit or miss.\n"       \
        "# TYPE aios_gateway_result_cache_total counter\n"                                                                                          \
        "# HELP aios_gateway_sessions Sessions (2025-11-25 and older revisions) open on an endpoint.\n"                                             \
        "# TYPE aios_gateway_sessions gauge\n"

START_TEST(test_empty_metrics_render_help_and_type) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        ck_assert_int_eq(metrics_new(&m), 0);
        _cleanup_free_ char *text = render(m);
        ck_assert_str_eq(text,
                HEADER_REQUESTS HEADER_DURATION HEADER_IN_FLIGHT HEADER_BACKEND_UP HEADER_ENDPOINTS HEADER_ROUTES
                        HEADER_HTTP HEADER_FILTERS HEADER_RESOURCES);
}
END_TEST

/* The value of one series (its name and labels exactly as rendered), wherever its line is; NAN when absent
 * or when it appears more than once. */
static double sample(const char *text, const char *series) {
        double value = NAN;
        size_t n = strlen(series), found = 0;
        for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
                if (strncmp(line, series, n) == 0 && line[n] == ' ') {
                        value = strtod(line + n + 1, NULL);
                        found++;
                }
        return found == 1 ? value : NAN;
}

/* Whether family is declared once with HELP and with TYPE type. */
static bool family_is(const char *text, const char *family, const char *type) {
        char help[256], type_line[256];
        snprintf(help, sizeof(help), "# HELP %s ", family);
        snprintf(type_line, sizeof(type_line), "# TYPE %s %s\n", family, type);
        return count_lines_starting(text, help) == 1 && strstr(text, type_line);
}

#define ECHO_BUCKET(le)                                                                                                \
        "aios_gateway_request_duration_seconds_bucket{method=\"tools/call\",tool=\"echo\",le=\"" le "\"}"
#define WEIRD "we\\\"ird\\\\name\\nx"

START_TEST(test_scenario_renders_its_values) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        ck_assert_int_eq(metrics_new(&m), 0);

        metrics_request_done(m, "tools/call", "echo", "conformance", METRICS_OUTCOME_OK, 1500);
        metrics_request_done(m, "tools/call", "echo", "conformance", METRICS_OUTCOME_TOOL_ERROR, 250000);
        metrics_request_done(m, "tools/call", "we\"ird\\name\nx", "conformance", METRICS_OUTCOME_TIMEOUT, 12000000);
        metrics_request_done(m, "initialize", NULL, NULL, METRICS_OUTCOME_OK, 300);
        metrics_request_done(m, "tools/call", "echo", "conformance", METRICS_OUTCOME_OK, 1000);
        metrics_in_flight_add(m, "conformance", 1);
        metrics_in_flight_add(m, "conformance", 1);
        metrics_in_flight_add(m, "web", 1);
        metrics_in_flight_add(m, "conformance", -1);
        metrics_backend_up(m, "conformance", true);
        metrics_backend_up(m, "web", true);
        metrics_backend_up(m, "web", false);
        metrics_http_request(m, "/mcp", 200);
        metrics_http_request(m, "/mcp", 401);
        metrics_http_request(m, "/mcp", 200);
        metrics_http_request(m, "/metrics", 200);

        _cleanup_free_ char *text = render(m);
        ck_assert(family_is(text, "aios_gateway_requests_total", "counter"));
        ck_assert(family_is(text, "aios_gateway_request_duration_seconds", "histogram"));
        ck_assert(family_is(text, "aios_gateway_in_flight", "gauge"));
        ck_assert(family_is(text, "aios_gateway_backend_up", "gauge"));
        ck_assert(family_is(text, "aios_gateway_http_requests_total", "counter"));

        ck_assert_double_eq(
                sample(text,
                        "aios_gateway_requests_total{method=\"tools/call\",tool=\"echo\",backend=\"conformance\",outcome=\"ok\"}"),
                2);
        ck_assert_double_eq(
                sample(text,
                        "aios_gateway_requests_total{method=\"tools/call\",tool=\"echo\",backend=\"conformance\",outcome=\"tool_error\"}"),
                1);
        ck_assert_double_eq(sample(text,
                                    "aios_gateway_requests_total{method=\"tools/call\",tool=\"" WEIRD
                                    "\",backend=\"conformance\",outcome=\"timeout\"}"),
                1);
        ck_assert_double_eq(
                sample(text,
                        "aios_gateway_requests_total{method=\"initialize\",tool=\"\",backend=\"\",outcome=\"ok\"}"),
                1);

        /* Buckets are cumulative and end with +Inf, which equals the count; the sum is in seconds. */
        ck_assert_double_eq(sample(text, ECHO_BUCKET("0.0005")), 0);
        ck_assert_double_eq(sample(text, ECHO_BUCKET("0.001")), 1);
        ck_assert_double_eq(sample(text, ECHO_BUCKET("0.0025")), 2);
        ck_assert_double_eq(sample(text, ECHO_BUCKET("0.1")), 2);
        ck_assert_double_eq(sample(text, ECHO_BUCKET("0.25")), 3);
        ck_assert_double_eq(sample(text, ECHO_BUCKET("+Inf")), 3);
        ck_assert_double_eq(sample(text,
                                    "aios_gateway_request_duration_seconds_count{method=\"tools/call\",tool=\"echo\"}"),
                3);
        ck_assert_double_eq_tol(
                sample(text, "aios_gateway_request_duration_seconds_sum{method=\"tools/call\",tool=\"echo\"}"), 0.2525,
                1e-9);
        ck_assert_double_eq(sample(text,
                                    "aios_gateway_request_duration_seconds_bucket{method=\"tools/call\",tool=\"" WEIRD
                                    "\",le=\"10\"}"),
                0);
        ck_assert_double_eq(sample(text,
                                    "aios_gateway_request_duration_seconds_bucket{method=\"tools/call\",tool=\"" WEIRD
                                    "\",le=\"+Inf\"}"),
                1);
        ck_assert_double_eq(sample(text, "aios_gateway_request_duration_seconds_sum{method=\"initialize\",tool=\"\"}"),
                0.0003);
        ck_assert_uint_eq(count_lines_starting(text,
                                  "aios_gateway_request_duration_seconds_bucket{method=\"tools/call\",tool=\"echo\","),
                15);

        ck_assert_double_eq(sample(text, "aios_gateway_in_flight{backend=\"conformance\"}"), 1);
        ck_assert_double_eq(sample(text, "aios_gateway_in_flight{backend=\"web\"}"), 1);
        ck_assert_double_eq(sample(text, "aios_gateway_backend_up{backend=\"conformance\"}"), 1);
        ck_assert_double_eq(sample(text, "aios_gateway_backend_up{backend=\"web\"}"), 0);
        ck_assert_double_eq(sample(text, "aios_gateway_http_requests_total{endpoint=\"/mcp\",code=\"200\"}"), 2);
        ck_assert_double_eq(sample(text, "aios_gateway_http_requests_total{endpoint=\"/mcp\",code=\"401\"}"), 1);
        ck_assert_double_eq(sample(text, "aios_gateway_http_requests_total{endpoint=\"/metrics\",code=\"200\"}"), 1);
}
END_TEST

START_TEST(test_backend_resources) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        ck_assert_int_eq(metrics_new(&m), 0);
        MetricsResources r = { .active = true,
                .memory_bytes = 12345678,
                .cpu_usec = 1500000,
                .tasks = 3,
                .ip_ingress_bytes = UINT64_MAX,
                .ip_egress_bytes = UINT64_MAX,
                .source = "proc" };
        metrics_backend_resources(m, "sysops", &r);
        r.source = "systemd";
        r.cpu_usec = 2250000;
        metrics_backend_resources(m, "sysops", &r);

        _cleanup_free_ char *text = render(m);
        ck_assert_double_eq(sample(text, "aios_backend_active{backend=\"sysops\"}"), 1);
        ck_assert_double_eq(sample(text, "aios_backend_memory_bytes{backend=\"sysops\"}"), 12345678);
        ck_assert_double_eq(sample(text, "aios_backend_cpu_seconds_total{backend=\"sysops\"}"), 2.25);
        ck_assert_double_eq(sample(text, "aios_backend_tasks{backend=\"sysops\"}"), 3);
        /* Unknown figures are not reported at all. */
        ck_assert_ptr_null(strstr(text, "aios_backend_ip_ingress_bytes_total{"));
        /* One source at a time. */
        ck_assert_double_eq(sample(text, "aios_backend_figures_source{backend=\"sysops\",source=\"systemd\"}"), 1);
        ck_assert_double_eq(sample(text, "aios_backend_figures_source{backend=\"sysops\",source=\"proc\"}"), 0);
}
END_TEST

START_TEST(test_bus_routes) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        ck_assert_int_eq(metrics_new(&m), 0);
        metrics_backend_direct(m, "conformance", true);
        metrics_backend_direct(m, "second", true);
        metrics_backend_direct(m, "second", false);
        metrics_bus_call(m, "conformance", true);
        metrics_bus_call(m, "conformance", true);
        metrics_bus_call(m, "conformance", false);

        _cleanup_free_ char *text = render(m);
        ck_assert(family_is(text, "aios_gateway_backend_direct", "gauge"));
        ck_assert(family_is(text, "aios_gateway_bus_calls_total", "counter"));
        ck_assert_double_eq(sample(text, "aios_gateway_backend_direct{backend=\"conformance\"}"), 1);
        ck_assert_double_eq(sample(text, "aios_gateway_backend_direct{backend=\"second\"}"), 0);
        ck_assert_double_eq(sample(text, "aios_gateway_bus_calls_total{backend=\"conformance\",route=\"direct\"}"), 2);
        ck_assert_double_eq(sample(text, "aios_gateway_bus_calls_total{backend=\"conformance\",route=\"broker\"}"), 1);
}
END_TEST

START_TEST(test_sessions_gauge) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        ck_assert_int_eq(metrics_new(&m), 0);
        metrics_sessions(m, "/mcp", 3);
        metrics_sessions(m, "/servers/conformance/mcp", 7);
        metrics_sessions(m, "/servers/conformance/mcp", 0);

        _cleanup_free_ char *text = render(m);
        ck_assert(family_is(text, "aios_gateway_sessions", "gauge"));
        ck_assert_double_eq(sample(text, "aios_gateway_sessions{endpoint=\"/mcp\"}"), 3);
        ck_assert_double_eq(sample(text, "aios_gateway_sessions{endpoint=\"/servers/conformance/mcp\"}"), 0);
}
END_TEST

START_TEST(test_endpoint_figures) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        ck_assert_int_eq(metrics_new(&m), 0);
        metrics_endpoint_up(m, "conformance", "http://10.0.0.1:8006/mcp", true);
        metrics_endpoint_up(m, "conformance", "http://10.0.0.2:8006/mcp", true);
        metrics_endpoint_up(m, "conformance", "http://10.0.0.2:8006/mcp", false);
        metrics_endpoint_calls(m, "conformance", "http://10.0.0.1:8006/mcp", +1, 1);
        metrics_endpoint_calls(m, "conformance", "http://10.0.0.1:8006/mcp", +1, 1);
        metrics_endpoint_calls(m, "conformance", "http://10.0.0.1:8006/mcp", -1, 0);

        _cleanup_free_ char *text = render(m);
        ck_assert(family_is(text, "aios_gateway_backend_endpoint_up", "gauge"));
        ck_assert(family_is(text, "aios_gateway_backend_endpoint_outstanding", "gauge"));
        ck_assert(family_is(text, "aios_gateway_backend_endpoint_calls_total", "counter"));
#define SERIES(family, ip) family "{backend=\"conformance\",url=\"http://" ip ":8006/mcp\"}"
        ck_assert_double_eq(sample(text, SERIES("aios_gateway_backend_endpoint_up", "10.0.0.1")), 1);
        ck_assert_double_eq(sample(text, SERIES("aios_gateway_backend_endpoint_up", "10.0.0.2")), 0);
        ck_assert_double_eq(sample(text, SERIES("aios_gateway_backend_endpoint_outstanding", "10.0.0.1")), 1);
        ck_assert_double_eq(sample(text, SERIES("aios_gateway_backend_endpoint_calls_total", "10.0.0.1")), 2);
#undef SERIES
}
END_TEST

START_TEST(test_filter_counters) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        ck_assert_int_eq(metrics_new(&m), 0);
        metrics_redactions(m, "jwt", 2);
        metrics_redactions(m, "aws-access-key", 0);
        metrics_redactions(m, "jwt", 1);
        metrics_rate_limited(m, "destructive");
        metrics_rate_limited(m, "destructive");
        metrics_result_cut(m, "system_journal");

        _cleanup_free_ char *text = render(m);
        ck_assert_ptr_nonnull(
                strstr(text, HEADER_FILTERS_REDACTIONS "aios_gateway_redactions_total{pattern=\"jwt\"} 3\n#"));
        ck_assert_ptr_nonnull(strstr(text, "aios_gateway_rate_limited_total{class=\"destructive\"} 2\n"));
        ck_assert_ptr_nonnull(strstr(text, "aios_gateway_results_cut_total{tool=\"system_journal\"} 1\n"));
}
END_TEST

START_TEST(test_bucket_bounds_are_inclusive) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        ck_assert_int_eq(metrics_new(&m), 0);
        metrics_request_done(m, "ping", NULL, NULL, METRICS_OUTCOME_OK, 500);
        metrics_request_done(m, "ping", NULL, NULL, METRICS_OUTCOME_OK, 501);
        metrics_request_done(m, "ping", NULL, NULL, METRICS_OUTCOME_OK, 10000000);
        metrics_request_done(m, "ping", NULL, NULL, METRICS_OUTCOME_OK, 10000001);

        _cleanup_free_ char *text = render(m);
        ck_assert_ptr_nonnull(strstr(text, "_bucket{method=\"ping\",tool=\"\",le=\"0.0005\"} 1\n"));
        ck_assert_ptr_nonnull(strstr(text, "_bucket{method=\"ping\",tool=\"\",le=\"0.001\"} 2\n"));
        ck_assert_ptr_nonnull(strstr(text, "_bucket{method=\"ping\",tool=\"\",le=\"10\"} 3\n"));
        ck_assert_ptr_nonnull(strstr(text, "_bucket{method=\"ping\",tool=\"\",le=\"+Inf\"} 4\n"));
        ck_assert_ptr_nonnull(strstr(text, "_sum{method=\"ping\",tool=\"\"} 20.001002\n"));
}
END_TEST

START_TEST(test_overflowing_label_sets_count_as_other) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        ck_assert_int_eq(metrics_new(&m), 0);

        char tool[32];
        for (unsigned i = 0; i < METRICS_SERIES_MAX; i++) {
                snprintf(tool, sizeof(tool), "t%u", i);
                metrics_request_done(m, "tools/call", tool, "b", METRICS_OUTCOME_OK, 1000);
        }
        metrics_request_done(m, "tools/call", "new1", "b", METRICS_OUTCOME_OK, 1000);
        metrics_request_done(m, "tools/call", "new2", "b", METRICS_OUTCOME_ERROR, 2000);
        /* Label sets seen before the limit keep counting. */
        metrics_request_done(m, "tools/call", "t5", "b", METRICS_OUTCOME_OK, 1000);
        for (unsigned i = 0; i < METRICS_SERIES_MAX + 10; i++) {
                snprintf(tool, sizeof(tool), "b%u", i);
                metrics_backend_up(m, tool, true);
        }

        _cleanup_free_ char *text = render(m);
        ck_assert_uint_eq(count_lines_starting(text, "aios_gateway_requests_total{"), METRICS_SERIES_MAX + 1);
        ck_assert_uint_eq(count_lines_starting(text, "aios_gateway_request_duration_seconds_count{"),
                METRICS_SERIES_MAX + 1);
        ck_assert_uint_eq(count_lines_starting(text, "aios_gateway_backend_up{"), METRICS_SERIES_MAX + 1);
        ck_assert_ptr_nonnull(strstr(text,
                "aios_gateway_requests_total{method=\"other\",tool=\"other\",backend=\"other\",outcome=\"other\"} 2\n"));
        ck_assert_ptr_nonnull(
                strstr(text, "aios_gateway_request_duration_seconds_count{method=\"other\",tool=\"other\"} 2\n"));
        ck_assert_ptr_nonnull(
                strstr(text, "aios_gateway_request_duration_seconds_sum{method=\"other\",tool=\"other\"} 0.003\n"));
        ck_assert_ptr_nonnull(strstr(text,
                "aios_gateway_requests_total{method=\"tools/call\",tool=\"t5\",backend=\"b\",outcome=\"ok\"} 2\n"));
        ck_assert_ptr_nonnull(strstr(text, "aios_gateway_backend_up{backend=\"other\"} 1\n"));
        ck_assert_ptr_null(strstr(text, "new1"));
        ck_assert_ptr_null(strstr(text, "new2"));

        /* The "other" series is the last one, after the label sets in the order they came. */
        const char *first = strstr(text, "tool=\"t0\""), *last = strstr(text, "tool=\"t1023\""),
                   *other = strstr(text, "tool=\"other\"");
        ck_assert(first && last && other && first < last && last < other);
}
END_TEST

START_TEST(test_unusable_label_values_count_as_other) {
        _cleanup_(metrics_freep) Metrics *m = NULL;
        ck_assert_int_eq(metrics_new(&m), 0);

        char longest[METRICS_LABEL_VALUE_MAX + 2];
        memset(longest, 'x', sizeof(longest) - 1);
        longest[sizeof(longest) - 1] = 0;

        metrics_http_request(m, longest, 200); /* one byte too long */
        longest[METRICS_LABEL_VALUE_MAX] = 0;
        metrics_http_request(m, longest, 200); /* just fits */
        metrics_http_request(m, "/bad\xff", 200);
        metrics_http_request(m, "/overlong\xc0\xaf", 200);
        metrics_http_request(m, "/surrogate\xed\xa0\x80", 200);
        metrics_http_request(m, "/cut\xe2\x82", 200);
        metrics_http_request(m, "/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80", 200);

        _cleanup_free_ char *text = render(m);
        ck_assert_ptr_nonnull(strstr(text, "{endpoint=\"other\",code=\"200\"} 5\n"));
        ck_assert_ptr_nonnull(
                strstr(text, "{endpoint=\"/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80\",code=\"200\"} 1\n"));
        char line[256];
        snprintf(line, sizeof(line), "{endpoint=\"%s\",code=\"200\"} 1\n", longest);
        ck_assert_ptr_nonnull(strstr(text, line));
}
END_TEST

START_TEST(test_outcome_names) {
        static const char *const names[] = { "ok", "error", "tool_error", "denied", "unavailable", "timeout",
                "cancelled" };
        ck_assert_uint_eq(ELEMENTSOF(names), _METRICS_OUTCOME_MAX);
        for (MetricsOutcome o = 0; o < _METRICS_OUTCOME_MAX; o++) {
                ck_assert_str_eq(metrics_outcome_to_string(o), names[o]);
                ck_assert_int_eq(metrics_outcome_from_string(names[o]), o);
        }
        ck_assert_ptr_null(metrics_outcome_to_string(_METRICS_OUTCOME_MAX));
        ck_assert_int_eq(metrics_outcome_from_string("fine"), _METRICS_OUTCOME_INVALID);
}
END_TEST

static Suite *metrics_suite(void) {
        Suite *s = suite_create("metrics");
        TCase *tc = tcase_create("metrics");
        tcase_add_test(tc, test_empty_metrics_render_help_and_type);
        tcase_add_test(tc, test_scenario_renders_its_values);
        tcase_add_test(tc, test_bucket_bounds_are_inclusive);
        tcase_add_test(tc, test_overflowing_label_sets_count_as_other);
        tcase_add_test(tc, test_unusable_label_values_count_as_other);
        tcase_add_test(tc, test_outcome_names);
        tcase_add_test(tc, test_endpoint_figures);
        tcase_add_test(tc, test_filter_counters);
        tcase_add_test(tc, test_bus_routes);
        tcase_add_test(tc, test_sessions_gauge);
        tcase_add_test(tc, test_backend_resources);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(metrics_suite());
}
