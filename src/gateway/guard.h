/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the gateway does around each forwarded call: rate limits before, redaction, size caps and the audit
 * record after. */
#pragma once

#include "audit.h"
#include "backend.h"
#include "mcp-http.h"
#include "mcp-identity.h"

typedef struct Guard Guard;

/* From the configuration's [RateLimit] and [Filter]; both stay referenced (they live as long as the gateway).
 * Audit records are written from a defer source of the lowest priority on event, after the answer they are
 * about has gone out; NULL event: at once. */
int guard_new(Guard **ret, const GatewayConfig *config, Metrics *metrics, sd_event *event);
Guard *guard_free(Guard *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(Guard *, guard_free);

/* McpHttpRouter's authorize for the gateway (userdata: the Gateway): gateway_auth_authorize(), then a token
 * from the principal's bucket for each tools/call in message. Without one: 0 with a 429 refusal whose
 * Retry-After (seconds, rounded up) and JSON-RPC error (RATELIMIT_ERROR_CODE) say which limit and when to
 * retry; the refusal is counted and audited. */
int guard_authorize(void *userdata, McpServer *server, const McpIdentity *identity, json_object *message,
        McpHttpRefusal *ret_refusal);

/* Secrets in a response's result or error, or in a notification's params, replaced in place (counted in
 * the metrics); for a tools/call result (tool not NULL) also the size cap. */
void guard_filter_response(Guard *g, json_object *response, const char *tool);
void guard_filter_notification(Guard *g, json_object *notification);

/* A forwarded tools/call ended as the metrics say it did: its audit record. */
void guard_call_done(Guard *g, McpRequest *req, Backend *b, const char *tool, json_object *arguments,
        MetricsOutcome outcome, uint64_t duration_usec);

/* The audit record of a tools/call (principal NULL: anonymous; backend NULL: none offers the tool). */
void guard_audit(Guard *g, const char *principal, const char *tool, const char *backend, json_object *arguments,
        AuditResult result, uint64_t duration_usec, const char *reason);
