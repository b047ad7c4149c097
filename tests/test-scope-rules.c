/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shipped polkit rules written in C (scope-rules.c): the cases of scope-rules-cases.json, which the
 * JavaScript rules answer alike (scope-rules-js), and the policy's defaults they fall back on. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "scope-rules.h"
#include "scopes.h"
#include "test-util.h"

static const char *cases_file, *policy_file;

START_TEST(test_cases_are_decided_as_the_javascript_rules_decide_them) {
        json_object *cases = json_object_from_file(cases_file);
        ck_assert_msg(cases && json_object_is_type(cases, json_type_array), "cannot read %s", cases_file);
        size_t n = json_object_array_length(cases), failures = 0;
        ck_assert_uint_gt(n, 30);
        for (size_t i = 0; i < n; i++) {
                json_object *c = json_object_array_get_idx(cases, i);
                const char *action = json_object_get_string(json_object_object_get(c, "action"));
                const char *expected = json_object_get_string(json_object_object_get(c, "result"));
                const char *details[2 * 16 + 1] = {};
                size_t k = 0;
                json_object_object_foreach (json_object_object_get(c, "details"), key, value) {
                        ck_assert_uint_lt(k + 2, ELEMENTSOF(details));
                        details[k++] = key;
                        details[k++] = json_object_get_string(value);
                }
                bool allowed = scope_rules_allow(action, details);
                if (allowed != streq(expected, "yes")) {
                        failures++;
                        fprintf(stderr, "case %zu (%s): C says %s, the case %s\n", i + 1,
                                json_object_get_string(json_object_object_get(c, "case")), allowed ? "yes" : "no",
                                expected);
                }
        }
        json_object_put(cases);
        ck_assert_uint_eq(failures, 0);
}
END_TEST

/* An undecided check is refused in C: true only while no aios action allows any caller by default. */
START_TEST(test_no_aios_action_is_allowed_to_any_caller_by_default) {
        FILE *f = fopen(policy_file, "re");
        ck_assert_msg(f, "cannot read %s", policy_file);
        char line[4096];
        unsigned actions = 0, no = 0;
        while (fgets(line, sizeof(line), f)) {
                if (strstr(line, "<action id=\"org.aios."))
                        actions++;
                const char *any = strstr(line, "<allow_any>");
                if (any) {
                        ck_assert_msg(strncmp(any, "<allow_any>no</allow_any>", 25) == 0,
                                "an action allows any caller by default: %s; scope_rules_allow() must learn it", line);
                        no++;
                }
        }
        fclose(f);
        ck_assert_uint_gt(actions, 0);
        ck_assert_uint_eq(no, actions);
}
END_TEST

START_TEST(test_a_detail_is_found_by_its_key_only) {
        const char *const details[] = { "tool", "t", "principal", "key:a", NULL };
        ck_assert_str_eq(scope_rules_detail(details, "principal"), "key:a");
        ck_assert_ptr_null(scope_rules_detail(details, "key:a"));
        ck_assert_ptr_null(scope_rules_detail(NULL, "tool"));
        ck_assert_int_eq(scope_rules_decide(NULL, details), SCOPE_RULE_NOT_HANDLED);
}
END_TEST

START_TEST(test_scope_words_are_matched_whole) {
        ck_assert(scopes_grant("tools:ide", "tools", "ide", "ide_read_file"));
        ck_assert(!scopes_grant("tools:ide:ide_read_file_x", "tools", "ide", "ide_read_file"));
        ck_assert(!scopes_grant("tools:ide:", "tools", "ide", ""));
        ck_assert(scopes_grant_any("tools:ide:ide_read_file", "tools", "ide"));
        ck_assert(!scopes_grant_any("tools:idea:x", "tools", "ide"));
        ck_assert(scopes_contain("  a  admin ", "admin"));
        ck_assert(!scopes_contain("administrator", "admin"));
        ck_assert(!scopes_grant(NULL, "tools", "ide", "x"));
}
END_TEST

static Suite *scope_rules_suite(void) {
        Suite *s = suite_create("scope-rules");
        TCase *tc = tcase_create("rules");
        tcase_add_test(tc, test_cases_are_decided_as_the_javascript_rules_decide_them);
        tcase_add_test(tc, test_no_aios_action_is_allowed_to_any_caller_by_default);
        tcase_add_test(tc, test_a_detail_is_found_by_its_key_only);
        tcase_add_test(tc, test_scope_words_are_matched_whole);
        suite_add_tcase(s, tc);
        return s;
}

int main(int argc, char *argv[]) {
        if (argc != 3) {
                fprintf(stderr, "usage: %s CASES.json POLICY\n", argv[0]);
                return EXIT_FAILURE;
        }
        cases_file = argv[1];
        policy_file = argv[2];
        return test_run_suite(scope_rules_suite());
}
