/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON Schema 2020-12: each keyword on valid and invalid instances, messages, schema checking, limits. */
#include <check.h>
#include <stdio.h>

#include "json-value.h"
#include "jsonschema.h"
#include "test-util.h"

static json_object *parse(const char *text) {
        if (streq(text, "null"))
                return NULL; /* json-c's null */
        json_object *o = NULL;
        const char *reason = NULL;
        ck_assert_msg(json_parse_strict(text, strlen(text), &o, &reason) == 0, "cannot parse %s: %s", text, reason);
        return o;
}

/* Validates instance against schema; returns 1 or 0 (asserting the schema is usable), error in *ret. */
static int check_one(const char *schema_text, const char *instance_text, char **ret_error) {
        _cleanup_json_ json_object *schema = parse(schema_text), *instance = parse(instance_text);
        _cleanup_free_ char *check_error = NULL;
        ck_assert_msg(jsonschema_check(schema, &check_error) == 0, "schema %s refused: %s", schema_text, check_error);
        return jsonschema_validate(schema, instance, ret_error);
}

typedef struct Case {
        const char *schema;
        const char *instance;
        bool valid;
} Case;

static const Case cases[] = {
        /* Boolean schemas and type. */
        { "true", "{\"a\":1}", true },
        { "false", "1", false },
        { "{\"type\":\"integer\"}", "3", true },
        { "{\"type\":\"integer\"}", "3.0", true },
        { "{\"type\":\"integer\"}", "3.5", false },
        { "{\"type\":\"integer\"}", "\"3\"", false },
        { "{\"type\":\"number\"}", "-1e300", true },
        { "{\"type\":\"number\"}", "18446744073709551615", true },
        { "{\"type\":\"string\"}", "null", false },
        { "{\"type\":\"null\"}", "null", true },
        { "{\"type\":\"boolean\"}", "false", true },
        { "{\"type\":\"array\"}", "{}", false },
        { "{\"type\":\"object\"}", "[]", false },
        { "{\"type\":[\"string\",\"null\"]}", "null", true },
        { "{\"type\":[\"string\",\"null\"]}", "0", false },
        /* enum and const, compared as JSON values. */
        { "{\"enum\":[1,\"a\",null,{\"x\":[1]}]}", "1.0", true },
        { "{\"enum\":[1,\"a\",null,{\"x\":[1]}]}", "null", true },
        { "{\"enum\":[1,\"a\",null,{\"x\":[1]}]}", "{\"x\":[1.0]}", true },
        { "{\"enum\":[1,\"a\",null,{\"x\":[1]}]}", "{\"x\":[1,1]}", false },
        { "{\"enum\":[false]}", "0", false },
        { "{\"const\":null}", "null", true },
        { "{\"const\":null}", "0", false },
        { "{\"const\":{\"a\":1,\"b\":2}}", "{\"b\":2,\"a\":1}", true },
        { "{\"const\":[1,2]}", "[2,1]", false },
        /* Numbers. */
        { "{\"minimum\":5}", "5", true },
        { "{\"minimum\":5}", "4.999", false },
        { "{\"exclusiveMinimum\":5}", "5", false },
        { "{\"maximum\":5}", "5.0", true },
        { "{\"exclusiveMaximum\":5}", "4.9", true },
        { "{\"exclusiveMaximum\":5}", "5", false },
        { "{\"maximum\":9223372036854775807}", "9223372036854775808", false },
        { "{\"multipleOf\":3}", "9", true },
        { "{\"multipleOf\":3}", "10", false },
        { "{\"multipleOf\":0.1}", "0.3", true },
        { "{\"multipleOf\":0.0001}", "0.0075", true },
        { "{\"multipleOf\":0.5}", "1.25", false },
        { "{\"minimum\":5}", "\"not a number\"", true },
        /* Strings, counted in code points. */
        { "{\"minLength\":2}", "\"\xc3\xa9\xc3\xa9\"", true },
        { "{\"maxLength\":1}", "\"\xf0\x9f\x98\x80\"", true },
        { "{\"maxLength\":1}", "\"ab\"", false },
        { "{\"minLength\":1}", "\"\"", false },
        { "{\"pattern\":\"^[a-z]+$\"}", "\"abc\"", true },
        { "{\"pattern\":\"^[a-z]+$\"}", "\"abc\\n\"", false },
        { "{\"pattern\":\"b\"}", "\"abc\"", true },
        { "{\"pattern\":\"^\\\\d{3}$\"}", "\"123\"", true },
        { "{\"pattern\":\"^\\\\d{3}$\"}", "\"12a\"", false },
        { "{\"pattern\":\"^\\\\u00e9$\"}", "\"\xc3\xa9\"", true },
        { "{\"pattern\":\"^\\\\p{L}+$\"}", "\"\xc3\xa9t\xc3\xa9\"", true },
        { "{\"format\":\"email\"}", "\"not an email\"", true },
        /* Arrays. */
        { "{\"items\":{\"type\":\"integer\"}}", "[1,2,3]", true },
        { "{\"items\":{\"type\":\"integer\"}}", "[1,\"2\"]", false },
        { "{\"prefixItems\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "[\"a\",1,null]", true },
        { "{\"prefixItems\":[{\"type\":\"string\"}],\"items\":false}", "[\"a\"]", true },
        { "{\"prefixItems\":[{\"type\":\"string\"}],\"items\":false}", "[\"a\",1]", false },
        { "{\"minItems\":2,\"maxItems\":3}", "[1]", false },
        { "{\"minItems\":2,\"maxItems\":3}", "[1,2,3,4]", false },
        { "{\"uniqueItems\":true}", "[1,\"1\",[1],{\"a\":1}]", true },
        { "{\"uniqueItems\":true}", "[{\"a\":1,\"b\":2},{\"b\":2,\"a\":1}]", false },
        { "{\"uniqueItems\":true}", "[1,1.0]", false },
        { "{\"uniqueItems\":false}", "[1,1]", true },
        { "{\"contains\":{\"const\":2}}", "[1,2]", true },
        { "{\"contains\":{\"const\":2}}", "[1,3]", false },
        { "{\"contains\":{\"const\":2},\"minContains\":2}", "[2,1,2]", true },
        { "{\"contains\":{\"const\":2},\"maxContains\":1}", "[2,2]", false },
        { "{\"contains\":{\"const\":2},\"minContains\":0}", "[]", true },
        /* Objects. */
        { "{\"properties\":{\"a\":{\"type\":\"string\"}}}", "{\"a\":\"x\",\"b\":1}", true },
        { "{\"properties\":{\"a\":{\"type\":\"string\"}}}", "{\"a\":1}", false },
        { "{\"required\":[\"a\"]}", "{\"b\":1}", false },
        { "{\"required\":[\"a\"]}", "{\"a\":null}", true },
        { "{\"required\":[\"a\"]}", "[\"a\"]", true },
        { "{\"properties\":{\"a\":{}},\"additionalProperties\":false}", "{\"a\":1}", true },
        { "{\"properties\":{\"a\":{}},\"additionalProperties\":false}", "{\"a\":1,\"b\":2}", false },
        { "{\"patternProperties\":{\"^x-\":{\"type\":\"integer\"}},\"additionalProperties\":false}", "{\"x-a\":1}",
                true },
        { "{\"patternProperties\":{\"^x-\":{\"type\":\"integer\"}},\"additionalProperties\":false}", "{\"x-a\":\"1\"}",
                false },
        { "{\"patternProperties\":{\"^x-\":{\"type\":\"integer\"}},\"additionalProperties\":false}", "{\"y\":1}",
                false },
        { "{\"additionalProperties\":{\"type\":\"boolean\"}}", "{\"a\":true,\"b\":false}", true },
        { "{\"propertyNames\":{\"maxLength\":3}}", "{\"abc\":1}", true },
        { "{\"propertyNames\":{\"maxLength\":3}}", "{\"abcd\":1}", false },
        { "{\"minProperties\":1}", "{}", false },
        { "{\"maxProperties\":1}", "{\"a\":1,\"b\":2}", false },
        { "{\"dependentRequired\":{\"card\":[\"address\"]}}", "{\"card\":1}", false },
        { "{\"dependentRequired\":{\"card\":[\"address\"]}}", "{\"card\":1,\"address\":2}", true },
        { "{\"dependentRequired\":{\"card\":[\"address\"]}}", "{\"name\":1}", true },
        { "{\"dependentSchemas\":{\"card\":{\"required\":[\"address\"]}}}", "{\"card\":1}", false },
        /* Applicators. */
        { "{\"allOf\":[{\"minimum\":1},{\"maximum\":3}]}", "2", true },
        { "{\"allOf\":[{\"minimum\":1},{\"maximum\":3}]}", "4", false },
        { "{\"anyOf\":[{\"type\":\"string\"},{\"minimum\":3}]}", "4", true },
        { "{\"anyOf\":[{\"type\":\"string\"},{\"minimum\":3}]}", "2", false },
        { "{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":3}]}", "2", true },
        { "{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":3}]}", "4", false },
        { "{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":3}]}", "1.5", false },
        { "{\"not\":{\"type\":\"string\"}}", "1", true },
        { "{\"not\":{\"type\":\"string\"}}", "\"a\"", false },
        { "{\"if\":{\"minimum\":10},\"then\":{\"multipleOf\":10},\"else\":{\"maximum\":5}}", "20", true },
        { "{\"if\":{\"minimum\":10},\"then\":{\"multipleOf\":10},\"else\":{\"maximum\":5}}", "15", false },
        { "{\"if\":{\"minimum\":10},\"then\":{\"multipleOf\":10},\"else\":{\"maximum\":5}}", "4", true },
        { "{\"if\":{\"minimum\":10},\"then\":{\"multipleOf\":10},\"else\":{\"maximum\":5}}", "7", false },
        { "{\"then\":false}", "1", true },
        /* References. */
        { "{\"$defs\":{\"n\":{\"type\":\"integer\"}},\"properties\":{\"a\":{\"$ref\":\"#/$defs/n\"}}}", "{\"a\":1}",
                true },
        { "{\"$defs\":{\"n\":{\"type\":\"integer\"}},\"properties\":{\"a\":{\"$ref\":\"#/$defs/n\"}}}", "{\"a\":\"x\"}",
                false },
        { "{\"definitions\":{\"a~b/c\":{\"const\":1}},\"$ref\":\"#/definitions/a~0b~1c\"}", "1", true },
        { "{\"$defs\":{\"a b\":{\"const\":1}},\"$ref\":\"#/$defs/a%20b\"}", "2", false },
        { "{\"$defs\":{\"x\":{\"$anchor\":\"pos\",\"minimum\":0}},\"$ref\":\"#pos\"}", "-1", false },
        { "{\"$defs\":{\"x\":{\"$id\":\"https://example.com/item.json\",\"type\":\"string\"}},"
          "\"items\":{\"$ref\":\"item.json\"}}",
                "[\"a\"]", true },
        { "{\"$defs\":{\"x\":{\"$id\":\"https://example.com/item.json\",\"type\":\"string\"}},"
          "\"items\":{\"$ref\":\"https://example.com/item.json\"}}",
                "[1]", false },
        { "{\"$ref\":\"#/$defs/s\",\"minLength\":2,\"$defs\":{\"s\":{\"type\":\"string\"}}}", "\"a\"", false },
        /* A recursive schema: a tree of nodes. */
        { "{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"children\":{\"type\":\"array\","
          "\"items\":{\"$ref\":\"#/$defs/node\"}}},\"additionalProperties\":false}},\"$ref\":\"#/$defs/node\"}",
                "{\"children\":[{\"children\":[]},{}]}", true },
        { "{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"children\":{\"type\":\"array\","
          "\"items\":{\"$ref\":\"#/$defs/node\"}}},\"additionalProperties\":false}},\"$ref\":\"#/$defs/node\"}",
                "{\"children\":[{\"children\":[{\"leaf\":1}]}]}", false },
        /* unevaluatedProperties and unevaluatedItems see through in-place applicators. */
        { "{\"allOf\":[{\"properties\":{\"a\":{}}}],\"unevaluatedProperties\":false}", "{\"a\":1}", true },
        { "{\"allOf\":[{\"properties\":{\"a\":{}}}],\"unevaluatedProperties\":false}", "{\"a\":1,\"b\":1}", false },
        { "{\"allOf\":[{\"properties\":{\"a\":{}}}],\"additionalProperties\":false}", "{\"a\":1}", false },
        { "{\"anyOf\":[{\"properties\":{\"a\":{}},\"required\":[\"a\"]},{\"properties\":{\"b\":{}},\"required\":[\"b\"]}],"
          "\"unevaluatedProperties\":false}",
                "{\"a\":1,\"b\":2}", true },
        { "{\"if\":{\"properties\":{\"k\":{\"const\":1}}},\"then\":{\"properties\":{\"x\":{}}},"
          "\"unevaluatedProperties\":false}",
                "{\"k\":1,\"x\":2}", true },
        { "{\"if\":{\"properties\":{\"k\":{\"const\":1}}},\"then\":{\"properties\":{\"x\":{}}},"
          "\"unevaluatedProperties\":false}",
                "{\"k\":2,\"x\":2}", false },
        { "{\"not\":{\"properties\":{\"a\":{\"type\":\"string\"}}},\"unevaluatedProperties\":false}", "{\"a\":1}",
                false },
        { "{\"$ref\":\"#/$defs/base\",\"unevaluatedProperties\":{\"type\":\"integer\"},"
          "\"$defs\":{\"base\":{\"properties\":{\"name\":{\"type\":\"string\"}}}}}",
                "{\"name\":\"n\",\"n\":1}", true },
        { "{\"$ref\":\"#/$defs/base\",\"unevaluatedProperties\":{\"type\":\"integer\"},"
          "\"$defs\":{\"base\":{\"properties\":{\"name\":{\"type\":\"string\"}}}}}",
                "{\"name\":\"n\",\"n\":\"x\"}", false },
        { "{\"prefixItems\":[{}],\"unevaluatedItems\":false}", "[1]", true },
        { "{\"prefixItems\":[{}],\"unevaluatedItems\":false}", "[1,2]", false },
        { "{\"contains\":{\"type\":\"string\"},\"unevaluatedItems\":{\"type\":\"integer\"}}", "[\"a\",1,\"b\"]", true },
        { "{\"contains\":{\"type\":\"string\"},\"unevaluatedItems\":{\"type\":\"integer\"}}", "[\"a\",null]", false },
        { "{\"allOf\":[{\"items\":true}],\"unevaluatedItems\":false}", "[1,2]", true },
        /* Metadata and unknown keywords do not matter. */
        { "{\"title\":\"t\",\"description\":\"d\",\"default\":5,\"examples\":[1],\"x-custom\":{\"type\":\"string\"}}",
                "1", true },
        { "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\"}", "{}", true },
};

START_TEST(test_keywords) {
        const Case *c = &cases[_i];
        _cleanup_free_ char *error = NULL;
        int r = check_one(c->schema, c->instance, &error);
        ck_assert_msg(r == (c->valid ? 1 : 0), "%s against %s: got %d, expected %s", c->instance, c->schema, r,
                c->valid ? "valid" : "invalid");
        if (c->valid)
                ck_assert_ptr_null(error);
        else
                ck_assert_msg(error && error[0], "no reason given for %s against %s", c->instance, c->schema);
}
END_TEST

/* The reason says where and what. */
static const struct {
        const char *schema, *instance, *error;
} messages[] = {
        { "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}}", "{\"n\":\"x\"}",
                "at /n: expected integer, got string" },
        { "{\"required\":[\"name\"]}", "{}", "the required property \"name\" is missing" },
        { "{\"items\":{\"maximum\":5}}", "[1,2,7]", "at /2: 7 is greater than the maximum 5" },
        { "{\"properties\":{\"a/b\":{\"properties\":{\"c~d\":{\"minLength\":3}}}}}", "{\"a/b\":{\"c~d\":\"x\"}}",
                "at /a~1b/c~0d: the string is 1 characters long, shorter than the minimum of 3" },
        { "{\"additionalProperties\":false}", "{\"extra\":1}", "the property \"extra\" is not allowed" },
        { "{\"enum\":[\"red\",\"green\"]}", "\"blue\"", "\"blue\" is not one of [\"red\",\"green\"]" },
        { "{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}", "1",
                "the value matches none of the schemas in \"anyOf\"" },
};

START_TEST(test_messages) {
        _cleanup_free_ char *error = NULL;
        ck_assert_int_eq(check_one(messages[_i].schema, messages[_i].instance, &error), 0);
        ck_assert_str_eq(error, messages[_i].error);
}
END_TEST

START_TEST(test_long_values_are_quoted_short) {
        char instance[4096];
        memset(instance, 'x', sizeof(instance));
        instance[0] = '"';
        instance[sizeof(instance) - 2] = '"';
        instance[sizeof(instance) - 1] = 0;
        _cleanup_free_ char *error = NULL;
        ck_assert_int_eq(check_one("{\"const\":\"y\"}", instance, &error), 0);
        ck_assert_int_lt(strlen(error), 200);
        ck_assert_ptr_nonnull(strstr(error, "..."));
}
END_TEST

/* Schemas that jsonschema_check refuses, with the location of the fault. */
static const struct {
        const char *schema, *error_part;
} refused[] = {
        { "1", "at #: a schema must be an object or a boolean" },
        { "{\"type\":\"integr\"}", "\"integr\" is not a JSON Schema type" },
        { "{\"type\":[\"string\",\"string\"]}", "distinct type names" },
        { "{\"type\":[]}", "distinct type names" },
        { "{\"properties\":{\"a\":{\"minLength\":-1}}}",
                "at #/properties/a: \"minLength\" must be a non-negative integer" },
        { "{\"maxItems\":1.5}", "\"maxItems\" must be a non-negative integer" },
        { "{\"multipleOf\":0}", "\"multipleOf\" must be a number greater than 0" },
        { "{\"minimum\":\"1\"}", "\"minimum\" must be a number" },
        { "{\"pattern\":\"(unclosed\"}", "does not compile" },
        { "{\"patternProperties\":{\"[\":{}}}", "does not compile" },
        { "{\"items\":[{}]}", "at #/items: a schema must be an object or a boolean" },
        { "{\"allOf\":[]}", "\"allOf\" must be a non-empty array of schemas" },
        { "{\"anyOf\":{}}", "\"anyOf\" must be a non-empty array of schemas" },
        { "{\"required\":[\"a\",\"a\"]}", "\"required\" must be an array of distinct strings" },
        { "{\"required\":[1]}", "\"required\" must be an array of distinct strings" },
        { "{\"dependentRequired\":{\"a\":\"b\"}}", "must be an array of distinct strings" },
        { "{\"uniqueItems\":\"yes\"}", "\"uniqueItems\" must be true or false" },
        { "{\"$ref\":\"#/$defs/missing\"}", "does not resolve" },
        { "{\"$ref\":\"https://example.com/elsewhere.json\"}", "does not resolve" },
        { "{\"$ref\":\"#nowhere\"}", "does not resolve" },
        { "{\"not\":null}", "at #/not: a schema must be an object or a boolean" },
        { "{\"$defs\":{\"a\":{\"$defs\":{\"b\":{\"enum\":3}}}}}", "at #/$defs/a/$defs/b: \"enum\" must be an array" },
};

START_TEST(test_check_refuses) {
        _cleanup_json_ json_object *schema = parse(refused[_i].schema);
        _cleanup_free_ char *error = NULL;
        ck_assert_int_eq(jsonschema_check(schema, &error), -EINVAL);
        ck_assert_msg(error && strstr(error, refused[_i].error_part), "%s: got \"%s\", expected \"%s\"",
                refused[_i].schema, error, refused[_i].error_part);
}
END_TEST

/* Checking is what keeps validation from meeting a broken schema; without it validation says -EINVAL. */
START_TEST(test_unchecked_broken_schema_is_an_error) {
        _cleanup_json_ json_object *schema = parse("{\"properties\":{\"a\":{\"$ref\":\"#/nowhere\"}}}");
        _cleanup_json_ json_object *instance = parse("{\"a\":1}");
        _cleanup_free_ char *error = NULL;
        ck_assert_int_eq(jsonschema_validate(schema, instance, &error), -EINVAL);
        ck_assert_ptr_null(error);
}
END_TEST

/* A reference cycle that consumes no input ends with -ELOOP, not a crash. */
START_TEST(test_reference_cycle_stops) {
        _cleanup_json_ json_object *schema =
                parse("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"$ref\":\"#/$defs/a\"}},"
                      "\"$ref\":\"#/$defs/a\"}");
        _cleanup_json_ json_object *instance = parse("1");
        ck_assert_int_eq(jsonschema_check(schema, NULL), 0);
        ck_assert_int_eq(jsonschema_validate(schema, instance, NULL), -ELOOP);
}
END_TEST

/* Catastrophic backtracking is cut off by PCRE2's match limit and reported, not waited out. */
START_TEST(test_catastrophic_pattern_is_bounded) {
        char instance[128];
        memset(instance, 'a', sizeof(instance));
        instance[0] = '"';
        memcpy(instance + sizeof(instance) - 3, "!\"", 3);
        _cleanup_free_ char *error = NULL;
        ck_assert_int_eq(check_one("{\"pattern\":\"^(a+)+$\"}", instance, &error), 0);
        ck_assert_ptr_nonnull(strstr(error, "too costly"));
}
END_TEST

/* uniqueItems on a long array of distinct values finishes (by hashing) and finds a late duplicate. */
START_TEST(test_unique_items_long_array) {
        _cleanup_json_ json_object *schema = parse("{\"uniqueItems\":true}");
        _cleanup_json_ json_object *array = json_object_new_array();
        for (int i = 0; i < 100000; i++)
                json_object_array_add(array, json_object_new_int(i));
        ck_assert_int_eq(jsonschema_validate(schema, array, NULL), 1);

        json_object_array_add(array, json_object_new_double(99999.0));
        _cleanup_free_ char *error = NULL;
        ck_assert_int_eq(jsonschema_validate(schema, array, &error), 0);
        ck_assert_str_eq(error, "items 99999 and 100000 are equal, but the items must be unique");
}
END_TEST

START_TEST(test_equal_values_hash_alike) {
        static const char *const pairs[][2] = {
                { "1", "1.0" },
                { "0", "-0.0" },
                { "{\"a\":1,\"b\":[true,null]}", "{\"b\":[true,null],\"a\":1.0}" },
                { "\"x\"", "\"x\"" },
        };
        FOREACH_ELEMENT(p, pairs) {
                _cleanup_json_ json_object *a = parse((*p)[0]), *b = parse((*p)[1]);
                ck_assert(json_equal(a, b));
                ck_assert_uint_eq(json_hash(a), json_hash(b));
        }
        _cleanup_json_ json_object *a = parse("[1,2]"), *b = parse("[2,1]");
        ck_assert(!json_equal(a, b));
}
END_TEST

/* The schemas MCP tools declare in practice: the conformance suite's 2020-12 example. */
START_TEST(test_mcp_tool_schema) {
        static const char schema[] =
                "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\","
                "\"$defs\":{\"address\":{\"type\":\"object\",\"properties\":{\"street\":{\"type\":\"string\"},"
                "\"city\":{\"type\":\"string\"}}}},\"properties\":{\"name\":{\"type\":\"string\"},"
                "\"address\":{\"$ref\":\"#/$defs/address\"}},\"additionalProperties\":false}";
        _cleanup_free_ char *error = NULL;
        ck_assert_int_eq(check_one(schema, "{\"name\":\"n\",\"address\":{\"street\":\"s\",\"city\":\"c\"}}", &error),
                1);
        ck_assert_int_eq(check_one(schema, "{\"name\":\"n\",\"address\":{\"city\":7}}", &error), 0);
        ck_assert_str_eq(error, "at /address/city: expected string, got integer");
}
END_TEST

static Suite *jsonschema_suite(void) {
        Suite *s = suite_create("jsonschema");
        TCase *tc = tcase_create("jsonschema");
        tcase_add_loop_test(tc, test_keywords, 0, ELEMENTSOF(cases));
        tcase_add_loop_test(tc, test_messages, 0, ELEMENTSOF(messages));
        tcase_add_test(tc, test_long_values_are_quoted_short);
        tcase_add_loop_test(tc, test_check_refuses, 0, ELEMENTSOF(refused));
        tcase_add_test(tc, test_unchecked_broken_schema_is_an_error);
        tcase_add_test(tc, test_reference_cycle_stops);
        tcase_add_test(tc, test_catastrophic_pattern_is_bounded);
        tcase_add_test(tc, test_unique_items_long_array);
        tcase_add_test(tc, test_equal_values_hash_alike);
        tcase_add_test(tc, test_mcp_tool_schema);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(jsonschema_suite());
}
