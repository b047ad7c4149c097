/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the gateway does around each forwarded call: rate limits before, redaction, size caps and the audit
 * record after. */
#pragma once

#include "audit.h"
#include "backend.h"

typedef struct Guard Guard;

/* From the configuration's [RateLimit] and [Filter]; both stay referenced (they live as long as the gateway). */
int guard_new(Guard **ret, const GatewayConfig *config, Metrics *metrics);
Guard *guard_free(Guard *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(Guard *, guard_free);

/* Before a tools/call goes to backend b (message: as the backend gets it; tool: the name the client used).
 * Returns 1 when it may go, 0 when a rate limit refused it (req is answered with RATELIMIT_ERROR_CODE and
 * the refusal is audited), or -ENOMEM. */
int guard_admit(Guard *g, McpRequest *req, Backend *b, json_object *message, const char *tool);

/* Secrets in a response's result or error, or in a notification's params, replaced in place (counted in
 * the metrics); for a tools/call result (tool not NULL) also the size cap. */
void guard_filter_response(Guard *g, json_object *response, const char *tool);
void guard_filter_notification(Guard *g, json_object *notification);

/* A forwarded tools/call ended as the metrics say it did: its audit record. */
void guard_call_done(Guard *g, McpRequest *req, Backend *b, const char *tool, json_object *arguments,
        MetricsOutcome outcome, uint64_t duration_usec);

/* The audit record of a tools/call that ended. */
void guard_audit(Guard *g, McpRequest *req, Backend *b, const char *tool, json_object *arguments,
        AuditResult result, uint64_t duration_usec, const char *reason);
