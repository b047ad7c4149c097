/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gateway's counters, gauges and histograms, rendered in Prometheus' text exposition format 0.0.4. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* What to put in the Content-Type header of the rendered text. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Distinct label sets kept per metric family; observations for further ones are counted in one series whose
 * label values are all "other". */
#define METRICS_SERIES_MAX 1024

/* A label value longer than this (in bytes), or one that is not valid UTF-8, is recorded as "other". */
#define METRICS_LABEL_VALUE_MAX 128

/* How a request ended: the outcome label of aios_gateway_requests_total. */
typedef enum MetricsOutcome {
        METRICS_OUTCOME_OK,          /* "ok": a result */
        METRICS_OUTCOME_ERROR,       /* "error": a JSON-RPC error */
        METRICS_OUTCOME_TOOL_ERROR,  /* "tool_error": a tool result with isError set */
        METRICS_OUTCOME_DENIED,      /* "denied": refused by authorization */
        METRICS_OUTCOME_UNAVAILABLE, /* "unavailable": the backend could not be reached */
        METRICS_OUTCOME_TIMEOUT,     /* "timeout": no answer within the backend's timeout */
        METRICS_OUTCOME_CANCELLED,   /* "cancelled": the client cancelled or left (a listen stream it closed) */
        _METRICS_OUTCOME_MAX,
        _METRICS_OUTCOME_INVALID = -EINVAL,
} MetricsOutcome;

const char *metrics_outcome_to_string(MetricsOutcome o);
MetricsOutcome metrics_outcome_from_string(const char *s);

typedef struct Metrics Metrics;

int metrics_new(Metrics **ret);
Metrics *metrics_free(Metrics *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Metrics *, metrics_free);

/* The recorders never fail: without memory for a new series the observation is dropped. A NULL label value
 * is recorded as "". Series appear in the order their label sets were first seen. */

/* One MCP request answered: aios_gateway_requests_total{method,tool,backend,outcome} and
 * aios_gateway_request_duration_seconds{method,tool}. */
void metrics_request_done(Metrics *m, const char *method, const char *tool, const char *backend, MetricsOutcome outcome,
        uint64_t duration_usec);
/* aios_gateway_in_flight{backend}: +1 when a call is sent to the backend, -1 when it is answered. */
void metrics_in_flight_add(Metrics *m, const char *backend, int delta);
/* aios_gateway_backend_up{backend}: 1 when the backend is reachable, 0 when it is not. */
void metrics_backend_up(Metrics *m, const char *backend, bool up);
/* aios_gateway_backend_direct{backend}: 1 while calls to the D-Bus backend go over a direct connection. */
void metrics_backend_direct(Metrics *m, const char *backend, bool direct);
/* aios_gateway_backend_endpoint_up{backend,url}: 1 while an endpoint of an HTTP backend takes calls. */
void metrics_endpoint_up(Metrics *m, const char *backend, const char *url, bool up);
/* aios_gateway_backend_endpoint_outstanding{backend,url} changed by delta, and
 * aios_gateway_backend_endpoint_calls_total{backend,url} by sent. */
void metrics_endpoint_calls(Metrics *m, const char *backend, const char *url, int delta, uint64_t sent);
/* aios_gateway_bus_calls_total{backend,route}: one call sent to a D-Bus backend, directly or through the broker. */
void metrics_bus_call(Metrics *m, const char *backend, bool direct);
/* aios_gateway_http_requests_total{endpoint,code}: one HTTP request answered with the status code. */
void metrics_http_request(Metrics *m, const char *endpoint, unsigned code);
/* aios_gateway_redactions_total{pattern}: n secrets replaced by the pattern (nothing when n is 0). */
void metrics_redactions(Metrics *m, const char *pattern, uint64_t n);
/* aios_gateway_rate_limited_total{class}: one tool call of the class refused by a rate limit. */
void metrics_rate_limited(Metrics *m, const char *class);
/* aios_gateway_results_cut_total{tool}: one result of the tool cut down to the size limit. */
void metrics_result_cut(Metrics *m, const char *tool);

/* aios_gateway_result_cache_total{tool,outcome}: a call of a tool whose results may be reused, answered from
 * the cache (hit) or not (miss). */
void metrics_result_cache(Metrics *m, const char *tool, bool hit);

/* aios_gateway_sessions{endpoint}: the sessions open on the endpoint now. */
void metrics_sessions(Metrics *m, const char *endpoint, size_t n);

/* What the resource monitor found of a backend's server; UINT64_MAX: not known (not reported). */
typedef struct MetricsResources {
        bool active;
        uint64_t memory_bytes;
        uint64_t cpu_usec;
        uint64_t tasks;
        uint64_t ip_ingress_bytes;
        uint64_t ip_egress_bytes;
        const char *source; /* "systemd" or "proc" */
} MetricsResources;
/* aios_backend_active, _memory_bytes, _cpu_seconds_total, _tasks, _ip_ingress_bytes_total,
 * _ip_egress_bytes_total and _figures_source{backend,source}: the latest figures of the backend. */
void metrics_backend_resources(Metrics *m, const char *backend, const MetricsResources *r);

/* The text of all metric families (each with # HELP and # TYPE, even before it has series). Returns 0 or
 * -ENOMEM; *ret_size (optional) is strlen(*ret_text). */
int metrics_render(Metrics *m, char **ret_text, size_t *ret_size);
