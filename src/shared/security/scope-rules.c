/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* polkit/50-aios.rules' decisions for the gateway's checks, rule by rule in the same order. */
#include <string.h>

#include "macro.h"
#include "scope-rules.h"
#include "scopes.h"

#define ACTION_PREFIX "org.aios."
#define ACTION_BROWSER_EVALUATE "org.aios.browser.evaluate"

const char *scope_rules_detail(const char *const *details, const char *key) {
        for (const char *const *d = details; d && d[0] && d[1]; d += 2)
                if (streq(d[0], key))
                        return d[1];
        return NULL;
}

/* A principal the gateway authenticated: named, and not "anonymous" (which the defaults decide). */
static bool principal_authenticated(const char *principal) {
        return !isempty(principal) && !streq(principal, "anonymous");
}

/* browser_evaluate runs the caller's JavaScript in a page: only "admin" and "tools:browser:browser_evaluate"
 * grant it, not "tools:browser" or "tools:*". */
static ScopeRuleResult rule_browser_evaluate(const char *action, const char *const *details) {
        if (!streq(action, ACTION_BROWSER_EVALUATE))
                return SCOPE_RULE_NOT_HANDLED;
        if (!principal_authenticated(scope_rules_detail(details, "principal")))
                return SCOPE_RULE_NOT_HANDLED;
        const char *scopes = scope_rules_detail(details, "scopes");
        if (scopes_contain(scopes, "admin") || scopes_contain(scopes, "tools:browser:browser_evaluate"))
                return SCOPE_RULE_YES;
        return SCOPE_RULE_NO;
}

/* An authenticated principal gets what its scopes cover on the backend: tools by the detail "tool",
 * resources by "uri", prompts otherwise. */
static ScopeRuleResult rule_scopes(const char *action, const char *const *details) {
        if (!startswith_ptr(action, ACTION_PREFIX))
                return SCOPE_RULE_NOT_HANDLED;
        const char *backend = scope_rules_detail(details, "backend");
        if (!principal_authenticated(scope_rules_detail(details, "principal")) || isempty(backend))
                return SCOPE_RULE_NOT_HANDLED;

        const char *tool = strempty(scope_rules_detail(details, "tool"));
        const char *uri = scope_rules_detail(details, "uri");
        const char *kind = !isempty(tool) ? "tools" : !isempty(uri) ? "resources" : "prompts";
        const char *name = !isempty(tool) ? tool : strempty(uri);
        return scopes_grant(scope_rules_detail(details, "scopes"), kind, backend, name) ? SCOPE_RULE_YES
                                                                                        : SCOPE_RULE_NOT_HANDLED;
}

ScopeRuleResult scope_rules_decide(const char *action, const char *const *details) {
        static ScopeRuleResult (*const rules[])(const char *action, const char *const *details) = {
                rule_browser_evaluate,
                rule_scopes,
        };
        if (!action)
                return SCOPE_RULE_NOT_HANDLED;
        for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
                ScopeRuleResult r = rules[i](action, details);
                if (r != SCOPE_RULE_NOT_HANDLED)
                        return r;
        }
        return SCOPE_RULE_NOT_HANDLED;
}

bool scope_rules_allow(const char *action, const char *const *details) {
        /* Not decided: allow_any, "no" for every aios action (test-scope-rules reads the policy to hold this). */
        return scope_rules_decide(action, details) == SCOPE_RULE_YES;
}
