/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Response filtering: each kind of secret is redacted, in text and in structuredContent, and a capped result
 * stays a valid JSON document with a visible notice. */
#include <check.h>
#include <stdio.h>

#include "json-util.h"
#include "redact.h"
#include "result-cap.h"
#include "test-util.h"

static Redactor *builtin(void) {
        Redactor *r = NULL;
        ck_assert_int_eq(redactor_new(true, NULL, &r, NULL), 0);
        return r;
}

/* Redacts s and checks that secret is gone and mark is there. */
static void check_redacted(Redactor *r, const char *s, const char *secret, const char *mark) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        int k = redactor_redact_string(r, s, strlen(s), &out, &len, NULL);
        ck_assert_msg(k >= 1, "nothing redacted in %s", s);
        ck_assert_uint_eq(len, strlen(out));
        ck_assert_msg(!strstr(out, secret), "%s still in %s", secret, out);
        ck_assert_msg(strstr(out, mark), "%s not in %s", mark, out);
}

static void check_untouched(Redactor *r, const char *s) {
        _cleanup_free_ char *out = NULL;
        ck_assert_msg(redactor_redact_string(r, s, strlen(s), &out, NULL, NULL) == 0, "redacted: %s", s);
        ck_assert_ptr_null(out);
}

START_TEST(test_private_keys) {
        _cleanup_(redactor_freep) Redactor *r = builtin();
        static const char *const kinds[] = { "", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED " };
        FOREACH_ELEMENT(kind, kinds) {
                _cleanup_free_ char *pem = NULL;
                ck_assert_int_ge(
                        asprintf(&pem,
                                "key follows\n-----BEGIN %sPRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END %sPRIVATE KEY-----\nafter",
                                *kind, *kind),
                        0);
                check_redacted(r, pem, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "[REDACTED:private-key]");
                _cleanup_free_ char *out = NULL;
                ck_assert_int_eq(redactor_redact_string(r, pem, strlen(pem), &out, NULL, NULL), 1);
                ck_assert_str_eq(out, "key follows\n[REDACTED:private-key]\nafter");
        }
        /* Cut off before its end: redacted to the end of the text. */
        check_redacted(r, "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "MIIEvQ",
                "[REDACTED:private-key]");
        /* Public keys and certificates are no secret. */
        check_untouched(r,
                "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----");
        check_untouched(r, "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----");
}
END_TEST

START_TEST(test_aws_access_key_ids) {
        _cleanup_(redactor_freep) Redactor *r = builtin();
        check_redacted(r,
                "aws_access_key_id = AKIA"
                "IOSFODNN7EXAMPLE\n",
                "IOSFODNN7EXAMPLE", "[REDACTED:aws-access-key]");
        check_redacted(r,
                "\"ASIA"
                "Y34FZKBOKMUTVV7A\"",
                "Y34FZKBOKMUTVV7A", "[REDACTED:aws-access-key]");
        check_untouched(r, "AKIA is a prefix; AKIAIOSFODNN7 is too short; XAKIAIOSFODNN7EXAMPLEX is inside a word");
}
END_TEST

START_TEST(test_github_tokens) {
        _cleanup_(redactor_freep) Redactor *r = builtin();
        static const char *const prefixes[] = { "ghp_", "gho_", "ghs_", "ghu_", "ghr_" };
        FOREACH_ELEMENT(p, prefixes) {
                _cleanup_free_ char *s = NULL;
                ck_assert_int_ge(asprintf(&s, "token: %s%s done", *p, "16C7e42F292c6912E7710c838347Ae178B4a"), 0);
                check_redacted(r, s, "16C7e42F292c6912E7710c838347Ae178B4a", "token: [REDACTED:github-token] done");
        }
        check_redacted(r,
                "GH_TOKEN=github_pat_"
                "11ABCDEFG0abcdefghijkl_mnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd",
                "11ABCDEFG0abcdefghijkl", "GH_TOKEN=[REDACTED:github-token]");
        check_untouched(r, "ghp_short and gha_16C7e42F292c6912E7710c838347Ae178B4a");
}
END_TEST

START_TEST(test_slack_tokens) {
        _cleanup_(redactor_freep) Redactor *r = builtin();
        static const char *const letters = "abposr";
        for (const char *l = letters; *l; l++) {
                _cleanup_free_ char *s = NULL;
                ck_assert_int_ge(asprintf(&s,
                                         "SLACK=xox%c-"
                                         "1234567890-0987654321-AbCdEfGhIjKl",
                                         *l),
                        0);
                check_redacted(r, s, "0987654321-AbCdEfGhIjKl", "SLACK=[REDACTED:slack-token]");
        }
        check_untouched(r, "xoxz-1234567890-0987654321 and xoxb- alone");
}
END_TEST

START_TEST(test_jwts) {
        _cleanup_(redactor_freep) Redactor *r = builtin();
        check_redacted(r,
                "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "Bearer [REDACTED:jwt]");
        /* Unsigned (alg none) tokens carry claims too. */
        check_redacted(r, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJyb290In0.", "eyJzdWIiOiJyb290In0", "[REDACTED:jwt]");
        check_untouched(r, "eyes.eyebrows.eyelids and a.b.c");
}
END_TEST

START_TEST(test_passwords_in_urls) {
        _cleanup_(redactor_freep) Redactor *r = builtin();
        check_redacted(r, "DATABASE_URL=postgres://app:s3cr3t-P%40ss@db.internal:5432/app", "s3cr3t",
                "postgres://app:[REDACTED:url-password]@db.internal:5432/app");
        check_redacted(r, "remote https://oauth2:glpat-xyz@gitlab.example.com/x.git", "glpat-xyz",
                "https://oauth2:[REDACTED:url-password]@gitlab.example.com/x.git");
        check_untouched(r, "http://127.0.0.1:9000/mcp and mailto:someone@example.com and https://user@host/");
}
END_TEST

START_TEST(test_configured_patterns) {
        char *patterns[] = { (char *) "\\bACME-[0-9]{6}\\b", NULL };
        _cleanup_(redactor_freep) Redactor *r = NULL;
        ck_assert_int_eq(redactor_new(false, patterns, &r, NULL), 0);
        ck_assert_uint_eq(redactor_n_patterns(r), 1);
        ck_assert_str_eq(redactor_pattern_name(r, 0), "pattern");
        check_redacted(r, "ticket ACME-123456 and ACME-654321", "ACME-",
                "ticket [REDACTED:pattern] and [REDACTED:pattern]");
        /* Without the built-ins, the built-in kinds pass. */
        check_untouched(r,
                "AKIA"
                "IOSFODNN7EXAMPLE");

        char *bad[] = { (char *) "([a-z", NULL };
        _cleanup_(redactor_freep) Redactor *broken = NULL;
        _cleanup_free_ char *error = NULL;
        ck_assert_int_eq(redactor_new(true, bad, &broken, &error), -EINVAL);
        ck_assert_ptr_nonnull(strstr(error, "does not compile"));
}
END_TEST

START_TEST(test_catastrophic_pattern_withholds_the_string) {
        char *patterns[] = { (char *) "^(a+)+$", NULL };
        _cleanup_(redactor_freep) Redactor *r = NULL;
        ck_assert_int_eq(redactor_new(false, patterns, &r, NULL), 0);
        char s[64];
        memset(s, 'a', sizeof(s) - 2);
        s[sizeof(s) - 2] = 'b';
        s[sizeof(s) - 1] = 0;
        _cleanup_free_ char *out = NULL;
        uint64_t counts[1] = {};
        ck_assert_int_eq(redactor_redact_string(r, s, strlen(s), &out, NULL, counts), 1);
        ck_assert_ptr_nonnull(strstr(out, "[REDACTED:unchecked]"));
        ck_assert_uint_eq(counts[0], 1);
}
END_TEST

START_TEST(test_invalid_utf8_is_withheld) {
        _cleanup_(redactor_freep) Redactor *r = builtin();
        const char s[] = "AKIA\xff\xfe not UTF-8";
        _cleanup_free_ char *out = NULL;
        ck_assert_int_eq(redactor_redact_string(r, s, strlen(s), &out, NULL, NULL), 1);
        ck_assert_ptr_nonnull(strstr(out, "[REDACTED:unchecked]"));
        /* Valid multi-byte text around a secret stays as it was. */
        check_redacted(r,
                "Schl\xc3\xbcssel: AKIA"
                "IOSFODNN7EXAMPLE \xe2\x82\xac",
                "IOSFODNN7EXAMPLE", "Schl\xc3\xbcssel: [REDACTED:aws-access-key] \xe2\x82\xac");
}
END_TEST

START_TEST(test_large_text_with_unterminated_key_is_redacted_quickly) {
        size_t n = 1024 * 1024;
        _cleanup_free_ char *s = malloc(n + 64);
        int k = sprintf(s, "-----BEGIN PRIVATE KEY-----\n");
        memset(s + k, 'A', n);
        s[k + n] = 0;
        _cleanup_(redactor_freep) Redactor *r = builtin();
        _cleanup_free_ char *out = NULL;
        ck_assert_int_eq(redactor_redact_string(r, s, strlen(s), &out, NULL, NULL), 1);
        ck_assert_ptr_null(strstr(out, "AAAA"));
}
END_TEST

START_TEST(test_result_text_and_structured_content_are_redacted) {
        _cleanup_(redactor_freep) Redactor *r = builtin();
        _cleanup_json_ json_object *result = json_tokener_parse(
                "{\"content\":[{\"type\":\"text\",\"text\":\"{\\\"key\\\":\\\"AKIAIOSFODNN7EXAMPLE\\\"}\"}],"
                "\"structuredContent\":{\"key\":\"AKIAIOSFODNN7EXAMPLE\",\"nested\":[{\"url\":\"ftp://u:hunter2@h/\"}],"
                "\"AKIAIOSFODNN7EXAMPLE\":1},\"isError\":false}");
        ck_assert_ptr_nonnull(result);
        size_t n = redactor_n_patterns(r);
        uint64_t counts[16] = {};
        ck_assert_uint_le(n, ELEMENTSOF(counts));
        ck_assert_int_eq(redactor_redact_json(r, result, counts), 3);
        const char *text = json_to_string(result);
        ck_assert_ptr_null(strstr(text, "hunter2"));
        ck_assert_str_eq(json_get_string(json_get_object(result, "structuredContent"), "key"),
                "[REDACTED:aws-access-key]");
        for (size_t i = 0; i < n; i++)
                if (streq(redactor_pattern_name(r, i), "aws-access-key"))
                        ck_assert_uint_eq(counts[i], 2);
                else if (streq(redactor_pattern_name(r, i), "url-password"))
                        ck_assert_uint_eq(counts[i], 1);
                else
                        ck_assert_uint_eq(counts[i], 0);
}
END_TEST

static json_object *reparse(json_object *o) {
        const char *text = json_to_string(o);
        json_object *copy = NULL;
        ck_assert_int_eq(json_parse_strict(text, strlen(text), &copy, NULL), 0);
        return copy;
}

START_TEST(test_cap_cuts_text_with_notice_and_keeps_json_valid) {
        /* Multi-byte characters and characters that JSON escapes, so that the cut has to mind both. */
        size_t n = 100000;
        _cleanup_free_ char *big = malloc(n * 3 + 1);
        for (size_t i = 0; i < n; i++)
                memcpy(big + 3 * i, i % 2 ? "\xe2\x82\xac" : "\"\n\\", 3);
        big[n * 3] = 0;

        _cleanup_json_ json_object *result = json_object_new_object(), *content = json_object_new_array(),
                                   *item = json_object_new_object(), *small = json_object_new_object();
        json_add_string(item, "type", "text");
        json_add_string(item, "text", big);
        json_add_string(small, "type", "text");
        json_add_string(small, "text", "a short line that stays");
        json_object_array_add(content, TAKE_PTR(item));
        json_object_array_add(content, TAKE_PTR(small));
        json_add(result, "content", TAKE_PTR(content));

        ck_assert_int_eq(result_cap(result, 16384, "ide_read_file"), 1);
        ck_assert_uint_le(strlen(json_to_string(result)), 16384);
        _cleanup_json_ json_object *copy = reparse(result);
        json_object *items = json_get_array(copy, "content");
        ck_assert_uint_eq(json_object_array_length(items), 2);
        const char *text = json_get_string(json_object_array_get_idx(items, 0), "text");
        ck_assert_ptr_nonnull(strstr(text, "[The gateway cut this text: "));
        ck_assert_ptr_nonnull(strstr(text, "of 300000 bytes shown, the size limit for the results of ide_read_file.]"));
        ck_assert_str_eq(json_get_string(json_object_array_get_idx(items, 1), "text"), "a short line that stays");
        ck_assert(!json_get_bool(copy, "isError", false));

        /* What fits is left alone. */
        ck_assert_int_eq(result_cap(copy, 1024 * 1024, "ide_read_file"), 0);
}
END_TEST

START_TEST(test_cap_drops_binary_and_falls_back_to_error) {
        size_t n = 50000;
        _cleanup_free_ char *data = malloc(n + 1);
        memset(data, 'Q', n);
        data[n] = 0;
        _cleanup_free_ char *text = NULL;
        ck_assert_int_ge(asprintf(&text,
                                 "{\"content\":[{\"type\":\"image\",\"mimeType\":\"image/png\",\"data\":\"%s\"}]}",
                                 data),
                0);
        _cleanup_json_ json_object *result = json_tokener_parse(text);
        ck_assert_int_eq(result_cap(result, 4096, "browser_screenshot"), 1);
        json_object *item = json_object_array_get_idx(json_get_array(result, "content"), 0);
        ck_assert_str_eq(json_get_string(item, "type"), "text");
        ck_assert_ptr_nonnull(strstr(json_get_string(item, "text"), "left out image content of 50000 bytes"));
        ck_assert_ptr_null(json_get_string(item, "mimeType"));

        /* A large structuredContent cannot be cut: the result says so, as a tool error. */
        _cleanup_free_ char *structured = NULL;
        ck_assert_int_ge(
                asprintf(&structured,
                        "{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}],\"structuredContent\":{\"blob\":\"%s\"}}",
                        data),
                0);
        _cleanup_json_ json_object *r2 = json_tokener_parse(structured);
        ck_assert_int_eq(result_cap(r2, 4096, "system_journal"), 1);
        ck_assert(json_get_bool(r2, "isError", false));
        ck_assert_ptr_null(json_get_object(r2, "structuredContent"));
        const char *message = json_get_string(json_object_array_get_idx(json_get_array(r2, "content"), 0), "text");
        ck_assert_ptr_nonnull(strstr(message, "The result of system_journal was"));
        ck_assert_ptr_nonnull(strstr(message, "limit of 4096 bytes"));
        _cleanup_json_ json_object *copy = reparse(r2);
}
END_TEST

START_TEST(test_cap_counts_long_number_literals) {
        /* json-c writes a parsed number as it came: 2000 digits are 2000 bytes of the result. */
        size_t n = 2000;
        _cleanup_free_ char *text = malloc(n + 64);
        int k = sprintf(text, "{\"content\":[],\"structuredContent\":{\"x\":1.");
        memset(text + k, '1', n);
        strcpy(text + k + n, "}}");
        _cleanup_json_ json_object *result = NULL;
        ck_assert_int_eq(json_parse_strict(text, strlen(text), &result, NULL), 0);
        ck_assert_uint_gt(strlen(json_to_string(result)), 1024);
        ck_assert_int_eq(result_cap(result, 1024, "t"), 1);
        ck_assert(json_get_bool(result, "isError", false));
}
END_TEST

static Suite *redact_suite(void) {
        Suite *s = suite_create("redact");
        TCase *tc = tcase_create("redact");
        tcase_add_test(tc, test_private_keys);
        tcase_add_test(tc, test_aws_access_key_ids);
        tcase_add_test(tc, test_github_tokens);
        tcase_add_test(tc, test_slack_tokens);
        tcase_add_test(tc, test_jwts);
        tcase_add_test(tc, test_passwords_in_urls);
        tcase_add_test(tc, test_configured_patterns);
        tcase_add_test(tc, test_catastrophic_pattern_withholds_the_string);
        tcase_add_test(tc, test_invalid_utf8_is_withheld);
        tcase_add_test(tc, test_large_text_with_unterminated_key_is_redacted_quickly);
        tcase_add_test(tc, test_result_text_and_structured_content_are_redacted);
        tcase_add_test(tc, test_cap_cuts_text_with_notice_and_keeps_json_valid);
        tcase_add_test(tc, test_cap_drops_binary_and_falls_back_to_error);
        tcase_add_test(tc, test_cap_counts_long_number_literals);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(redact_suite());
}
