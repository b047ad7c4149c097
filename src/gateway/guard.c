/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gateway's checks around forwarded calls: a token from the principal's bucket before a tools/call, the
 * response filtered and the call audited after. */
#include <stdio.h>

#include "aggregate.h"
#include "auth.h"
#include "guard.h"
#include "log.h"
#include "mcp-request.h"
#include "mcp-session.h" /* now_usec() */
#include "ratelimit.h"
#include "redact.h"
#include "result-cap.h"

/* Audit records waiting for the loop to be idle; beyond this many they are written at once. */
#define AUDIT_PENDING_MAX 256U

typedef struct PendingRecord {
        struct iovec fields[AUDIT_FIELDS_MAX];
        size_t n;
} PendingRecord;

struct Guard {
        const FilterConfig *filter;
        Metrics *metrics;
        RateLimit *rate_limit; /* NULL: no limits */
        RateLimitRule rules[_TOOL_CLASS_MAX];
        Redactor *redactor; /* NULL: nothing to redact */
        uint64_t *counts;   /* per pattern, for one response */
        bool audit_failed;  /* logged once */
        sd_event_source *audit_flush;
        PendingRecord *pending; /* AUDIT_PENDING_MAX of them */
        size_t n_pending;
};

static void audit_sent(Guard *g, int r) {
        if (r < 0 && !g->audit_failed) {
                log_warning_errno(r, "Failed to write an audit record to the journal, going on without: %m");
                g->audit_failed = true;
        } else if (r >= 0)
                g->audit_failed = false;
}

static void audit_flush_pending(Guard *g) {
        for (size_t i = 0; i < g->n_pending; i++)
                audit_sent(g, audit_send_fields(g->pending[i].fields, g->pending[i].n));
        g->n_pending = 0;
}

static int on_audit_flush(sd_event_source *s, void *userdata) {
        audit_flush_pending(userdata);
        return 0;
}

static const char *period_name(uint64_t usec) {
        return usec == USEC_PER_SEC ? "second" : usec == 60 * USEC_PER_SEC ? "minute" : "hour";
}

Guard *guard_free(Guard *g) {
        if (!g)
                return NULL;
        audit_flush_pending(g);
        free(g->pending);
        sd_event_source_disable_unref(g->audit_flush);
        ratelimit_free(g->rate_limit);
        redactor_free(g->redactor);
        free(g->counts);
        free(g);
        return NULL;
}

int guard_new(Guard **ret, const GatewayConfig *config, Metrics *metrics, sd_event *event) {
        assert(ret);
        assert(config);

        _cleanup_(guard_freep) Guard *g = new0(Guard, 1);
        if (!g)
                return log_oom();
        g->filter = &config->filter;
        g->metrics = metrics;
        if (event) {
                if (!(g->pending = new0(PendingRecord, AUDIT_PENDING_MAX)))
                        return log_oom();
                int r = sd_event_add_defer(event, &g->audit_flush, on_audit_flush, g);
                if (r < 0)
                        return log_error_errno(r, "Failed to add the audit event source: %m");
                (void) sd_event_source_set_priority(g->audit_flush, SD_EVENT_PRIORITY_IDLE);
                (void) sd_event_source_set_enabled(g->audit_flush, SD_EVENT_OFF);
                (void) sd_event_source_set_description(g->audit_flush, "audit-flush");
        }

        if (ratelimit_config_enabled(&config->rate_limit)) {
                int r = ratelimit_new(&config->rate_limit, &g->rate_limit);
                if (r < 0)
                        return log_oom();
                memcpy(g->rules, config->rate_limit.rules, sizeof(g->rules));
                for (ToolClass c = 0; c < _TOOL_CLASS_MAX; c++)
                        if (g->rules[c].count > 0)
                                log_info("Rate limit for %s tools: %llu per %s and principal, bursts of %llu.",
                                        tool_class_to_string(c), (unsigned long long) g->rules[c].count,
                                        period_name(g->rules[c].period_usec),
                                        (unsigned long long) (g->rules[c].burst ?: g->rules[c].count));
        }

        if (config->filter.redact_secrets || config->filter.redact_patterns) {
                _cleanup_free_ char *error = NULL;
                int r = redactor_new(config->filter.redact_secrets, config->filter.redact_patterns, &g->redactor,
                        &error);
                if (r == -EINVAL)
                        return log_error_errno(r, "[Filter] RedactPattern=: %s", strempty(error));
                if (r < 0)
                        return log_oom();
                g->counts = new0(uint64_t, MAX(redactor_n_patterns(g->redactor), 1u));
                if (!g->counts)
                        return log_oom();
        }
        *ret = TAKE_PTR(g);
        return 0;
}

/* The annotations of the tool the backend calls name, from the backend's own list. */
static json_object *tool_annotations(Backend *b, const char *name) {
        size_t n = b->tools && name ? json_object_array_length(b->tools) : 0;
        for (size_t i = 0; i < n; i++) {
                json_object *t = json_object_array_get_idx(b->tools, i);
                if (streq_ptr(json_get_string(t, "name"), name))
                        return json_get_object(t, "annotations");
        }
        return NULL;
}

/* The backend that serves a tools/call on server (/mcp or a /servers/NAME/mcp), and the tool's name there. */
static Backend *tool_target(Gateway *gw, McpServer *server, const char *tool, const char **ret_name) {
        *ret_name = tool;
        if (gw->aggregate && server == aggregate_server(gw->aggregate))
                return aggregate_target(gw->aggregate, "tools", tool, ret_name);
        for (size_t i = 0; i < gw->n_backends; i++)
                if (gw->backends[i]->relay == server)
                        return gw->backends[i];
        return NULL;
}

/* A token for one message, when it is a tools/call; 0 with ret_refusal filled (429) when there is none. */
static int rate_limit_one(Gateway *gw, McpServer *server, const char *principal, json_object *message,
        McpHttpRefusal *ret_refusal) {
        Guard *g = gw->guard;
        json_object *params = json_get_object(message, "params");
        const char *tool = json_get_string(params, "name");
        if (!streq_ptr(json_get_string(message, "method"), "tools/call") || !tool)
                return 1;

        const char *backend_name = NULL;
        Backend *b = tool_target(gw, server, tool, &backend_name);
        /* A tool no backend offers is refused further on; it costs a write token meanwhile. */
        ToolClass class = tool_class_from_annotations(b ? tool_annotations(b, backend_name) : NULL);
        uint64_t retry_usec = 0;
        int r = ratelimit_take(g->rate_limit, principal, class, now_usec(), &retry_usec);
        if (r != 0)
                return r;

        const char *class_name = tool_class_to_string(class);
        const RateLimitRule *rule = &g->rules[class];
        uint64_t retry_sec = ratelimit_retry_after_sec(retry_usec);
        metrics_rate_limited(g->metrics, class_name);

        _cleanup_free_ char *reason = NULL;
        if (asprintf(&ret_refusal->message,
                    "Rate limit reached: %s may call %s tools %llu times per %s (bursts of %llu); retry in %llu s.",
                    principal, class_name, (unsigned long long) rule->count, period_name(rule->period_usec),
                    (unsigned long long) (rule->burst ?: rule->count), (unsigned long long) retry_sec) < 0 ||
                asprintf(&ret_refusal->header_value, "%llu", (unsigned long long) retry_sec) < 0 ||
                asprintf(&reason, "rate limit %s", class_name) < 0) {
                mcp_http_refusal_done(ret_refusal);
                return -ENOMEM;
        }
        ret_refusal->status = 429;
        ret_refusal->code = RATELIMIT_ERROR_CODE;
        ret_refusal->header = "Retry-After";
        guard_audit(g, principal, tool, b ? b->config->name : NULL, json_get_object(params, "arguments"),
                AUDIT_RESULT_REFUSED, 0, reason);
        return 0;
}

int guard_authorize(void *userdata, McpServer *server, const McpIdentity *identity, json_object *message,
        McpHttpRefusal *ret_refusal) {
        Gateway *gw = userdata;
        int r = gateway_auth_authorize(userdata, server, identity, message, ret_refusal);
        if (r == 0 && gw->guard && streq_ptr(json_get_string(message, "method"), "tools/call")) {
                /* Refused by the principal's scopes: audited as any refused call. */
                json_object *params = json_get_object(message, "params");
                const char *tool = json_get_string(params, "name"), *backend_name = NULL;
                Backend *b = tool_target(gw, server, tool, &backend_name);
                guard_audit(gw->guard, identity ? identity->principal : NULL, tool, b ? b->config->name : NULL,
                        json_get_object(params, "arguments"), AUDIT_RESULT_REFUSED, 0,
                        "the principal's scopes do not allow it");
        }
        if (r <= 0 || !gw->guard || !gw->guard->rate_limit)
                return r;

        const char *principal = identity ? identity->principal : MCP_PRINCIPAL_ANONYMOUS;
        if (!json_object_is_type(message, json_type_array))
                return rate_limit_one(gw, server, principal, message, ret_refusal);
        /* A batch (2025-03-26) takes a token per call, and is refused at the first that finds none. */
        for (size_t i = 0; i < json_object_array_length(message); i++)
                if ((r = rate_limit_one(gw, server, principal, json_object_array_get_idx(message, i), ret_refusal)) <=
                        0)
                        return r;
        return 1;
}

/* Redacts v in place; without memory to do so, nothing of it may leave: returns -ENOMEM. */
static int redact(Guard *g, json_object *v) {
        if (!g->redactor || !v)
                return 0;
        size_t n = redactor_n_patterns(g->redactor);
        memset(g->counts, 0, n * sizeof(uint64_t));
        int r = redactor_redact_json(g->redactor, v, g->counts);
        for (size_t i = 0; i < n; i++)
                metrics_redactions(g->metrics, redactor_pattern_name(g->redactor, i), g->counts[i]);
        return r;
}

static uint64_t max_result_size(Guard *g, const char *tool) {
        for (size_t i = 0; i < g->filter->n_tool_limits; i++)
                if (streq(g->filter->tool_limits[i].tool, tool))
                        return g->filter->tool_limits[i].max;
        return g->filter->max_result_size;
}

void guard_filter_response(Guard *g, json_object *response, const char *tool) {
        assert(g);

        json_object *result = json_get_object(response, "result"), *error = json_get_object(response, "error");
        if ((result && redact(g, result) < 0) || (error && redact(g, error) < 0)) {
                /* Fail closed: the response becomes an error that carries nothing of the backend's. */
                log_oom();
                json_object_object_del(response, "result");
                json_object *e = json_object_new_object();
                if (e && json_add(e, "code", json_object_new_int(-32603)) >= 0)
                        (void) json_add_string(e, "message", "The gateway could not check this answer for secrets.");
                (void) json_add(response, "error", e);
                return;
        }

        uint64_t max = tool ? max_result_size(g, tool) : 0;
        if (result && max > 0) {
                int r = result_cap(result, max, tool);
                if (r < 0)
                        log_oom();
                else if (r > 0) {
                        metrics_result_cut(g->metrics, tool);
                        log_debug("Cut the result of %s to %llu bytes.", tool, (unsigned long long) max);
                }
        }
}

void guard_filter_notification(Guard *g, json_object *notification) {
        assert(g);
        json_object *params = json_get_object(notification, "params");
        if (params && redact(g, params) < 0) {
                log_oom();
                json_object_object_del(notification, "params");
        }
}

void guard_audit(Guard *g, const char *principal, const char *tool, const char *backend, json_object *arguments,
        AuditResult result, uint64_t duration_usec, const char *reason) {
        assert(g);

        AuditRecord record = {
                .principal = principal,
                .tool = tool,
                .backend = backend,
                .result = result,
                .duration_usec = duration_usec,
                .arguments = arguments,
                .reason = reason,
        };
        if (!g->audit_flush || g->n_pending >= AUDIT_PENDING_MAX) {
                audit_sent(g, audit_send(&record));
                return;
        }
        PendingRecord *p = &g->pending[g->n_pending];
        int r = audit_fields(&record, p->fields, &p->n);
        if (r < 0) {
                audit_sent(g, r);
                return;
        }
        g->n_pending++;
        (void) sd_event_source_set_enabled(g->audit_flush, SD_EVENT_ONESHOT);
}

void guard_call_done(Guard *g, McpRequest *req, Backend *b, const char *tool, json_object *arguments,
        MetricsOutcome outcome, uint64_t duration_usec) {
        static const struct {
                AuditResult result;
                const char *reason;
        } table[_METRICS_OUTCOME_MAX] = {
                [METRICS_OUTCOME_OK] = { AUDIT_RESULT_OK, NULL },
                [METRICS_OUTCOME_TOOL_ERROR] = { AUDIT_RESULT_OK, "the tool reported an error" },
                [METRICS_OUTCOME_ERROR] = { AUDIT_RESULT_ERROR, NULL },
                [METRICS_OUTCOME_DENIED] = { AUDIT_RESULT_REFUSED, "access denied by the server" },
                [METRICS_OUTCOME_UNAVAILABLE] = { AUDIT_RESULT_ERROR, "the server was unavailable" },
                [METRICS_OUTCOME_TIMEOUT] = { AUDIT_RESULT_TIMEOUT, NULL },
                [METRICS_OUTCOME_CANCELLED] = { AUDIT_RESULT_ERROR, "the client cancelled the call or left" },
        };
        assert(outcome >= 0 && outcome < _METRICS_OUTCOME_MAX);
        guard_audit(g, mcp_request_get_principal(req), tool, b->config->name, arguments, table[outcome].result,
                duration_usec, table[outcome].reason);
}
