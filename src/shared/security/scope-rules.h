/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What polkit/50-aios.rules decide for the front end (the gateway's user), written once more in C for where
 * polkit cannot be asked: a server over HTTP behind the gateway, which names the principal in headers.
 * Administrators' own rules are not consulted there. tests/scope-rules-cases.json holds the cases that both
 * the C (test-scope-rules) and the JavaScript (scope-rules-js) answer alike. */
#pragma once

#include <stdbool.h>

typedef enum ScopeRuleResult {
        SCOPE_RULE_NOT_HANDLED, /* no rule decides: the action's default for the subject */
        SCOPE_RULE_YES,
        SCOPE_RULE_NO,
} ScopeRuleResult;

/* The shipped rules' result for action, checked with details as polkit gets them: NULL-terminated key, value
 * pairs ("tool", "principal", "scopes", "backend", "uri", and a tool's own). NULL details: none. */
ScopeRuleResult scope_rules_decide(const char *action, const char *const *details);

/* The whole answer for the front end: the rules' result, else the action's default for a subject without a
 * session (allow_any), which is "no" for every action in polkit/org.aios.policy. */
bool scope_rules_allow(const char *action, const char *const *details);

/* The detail key of details, or NULL. */
const char *scope_rules_detail(const char *const *details, const char *key);
