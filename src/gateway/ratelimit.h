/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Token buckets per principal and tool class, with a clock passed in: what the gateway's quotas decide. */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

#include "macro.h"
#include "mcp-protocol.h"

/* The JSON-RPC error code of a call refused by a rate limit (in the implementation-defined server range),
 * sent with HTTP status 429 and Retry-After. */
#define RATELIMIT_ERROR_CODE MCP_ERROR_RATE_LIMITED

/* Principals whose buckets are kept at once unless [RateLimit] MaxPrincipals= says otherwise. */
#define RATELIMIT_MAX_PRINCIPALS_DEFAULT 4096U

/* What a tool does, from its annotations: the class whose bucket a call takes from. */
typedef enum ToolClass {
        TOOL_CLASS_READ,        /* readOnlyHint: true */
        TOOL_CLASS_WRITE,       /* the default, and destructiveHint: false */
        TOOL_CLASS_DESTRUCTIVE, /* destructiveHint: true on a tool that is not read-only */
        _TOOL_CLASS_MAX,
        _TOOL_CLASS_INVALID = -EINVAL,
} ToolClass;

const char *tool_class_to_string(ToolClass c);
ToolClass tool_class_from_string(const char *s);
/* A tool's class from its annotations object: read when readOnlyHint is true, else destructive when
 * destructiveHint is true, else write (also for NULL or a non-object: nothing is known). */
ToolClass tool_class_from_annotations(json_object *annotations);

/* count tokens per period_usec, at most burst of them saved up; count 0: no limit. */
typedef struct RateLimitRule {
        uint64_t count;
        uint64_t period_usec;
        uint64_t burst;
} RateLimitRule;

/* "N/s", "N/min", "N/h" (also "N/sec", "N/second", "N/minute", "N/hour") into rule->count and
 * rule->period_usec; "" or "infinity": no limit. Returns 0 or -EINVAL. The burst is left alone. */
int ratelimit_rule_parse(const char *s, RateLimitRule *rule);

typedef struct RateLimitConfig {
        RateLimitRule rules[_TOOL_CLASS_MAX];
        unsigned max_principals; /* 0: RATELIMIT_MAX_PRINCIPALS_DEFAULT */
} RateLimitConfig;

/* Whether any class has a limit. */
bool ratelimit_config_enabled(const RateLimitConfig *c);

typedef struct RateLimit RateLimit;

/* The rules are copied; a rule's burst 0 means its count. */
int ratelimit_new(const RateLimitConfig *c, RateLimit **ret);
RateLimit *ratelimit_free(RateLimit *rl);
DEFINE_TRIVIAL_CLEANUP_FUNC(RateLimit *, ratelimit_free);

/* Takes one token for principal's calls of class at now_usec (a monotonic clock). Returns 1 when the call
 * may go on, 0 when it is refused, with the wait until a token is there in *ret_retry_usec (at least 1), or
 * -ENOMEM. Every session of one principal shares its buckets. When MaxPrincipals are kept, the least recently
 * used principal's buckets are dropped (a full bucket loses nothing by it). */
int ratelimit_take(RateLimit *rl, const char *principal, ToolClass class, uint64_t now_usec, uint64_t *ret_retry_usec);
/* Principals whose buckets are kept now. */
size_t ratelimit_size(RateLimit *rl);
/* The Retry-After value for a wait: whole seconds, rounded up, at least 1. */
uint64_t ratelimit_retry_after_sec(uint64_t retry_usec);
