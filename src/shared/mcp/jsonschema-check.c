/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checking a schema once, when a server declares it, so that validation never meets a broken one. */
#include <stdarg.h>
#include <stdio.h>

#include "json-value.h"
#include "jsonschema-internal.h"
#include "jsonschema.h"

typedef enum KeywordKind {
        KIND_SCHEMA,       /* one subschema */
        KIND_SCHEMA_MAP,   /* an object of subschemas */
        KIND_SCHEMA_ARRAY, /* a non-empty array of subschemas */
        KIND_PATTERN_MAP,  /* patternProperties: a map whose keys are patterns */
        KIND_COUNT,        /* a non-negative integer */
        KIND_NUMBER,
        KIND_POSITIVE, /* a number above zero */
        KIND_TYPE,
        KIND_ARRAY,
        KIND_NAMES,      /* an array of unique strings */
        KIND_NAME_LISTS, /* an object of arrays of strings */
        KIND_BOOLEAN,
        KIND_STRING,
        KIND_PATTERN,
        KIND_REFERENCE,
} KeywordKind;

static const struct {
        const char *name;
        KeywordKind kind;
} keywords[] = {
        { "$id", KIND_STRING },
        { "$schema", KIND_STRING },
        { "$anchor", KIND_STRING },
        { "$dynamicAnchor", KIND_STRING },
        { "$comment", KIND_STRING },
        { "$ref", KIND_REFERENCE },
        { "$dynamicRef", KIND_REFERENCE },
        { "$defs", KIND_SCHEMA_MAP },
        { "definitions", KIND_SCHEMA_MAP },
        { "type", KIND_TYPE },
        { "enum", KIND_ARRAY },
        { "multipleOf", KIND_POSITIVE },
        { "minimum", KIND_NUMBER },
        { "maximum", KIND_NUMBER },
        { "exclusiveMinimum", KIND_NUMBER },
        { "exclusiveMaximum", KIND_NUMBER },
        { "minLength", KIND_COUNT },
        { "maxLength", KIND_COUNT },
        { "pattern", KIND_PATTERN },
        { "format", KIND_STRING },
        { "items", KIND_SCHEMA },
        { "prefixItems", KIND_SCHEMA_ARRAY },
        { "contains", KIND_SCHEMA },
        { "minContains", KIND_COUNT },
        { "maxContains", KIND_COUNT },
        { "minItems", KIND_COUNT },
        { "maxItems", KIND_COUNT },
        { "uniqueItems", KIND_BOOLEAN },
        { "unevaluatedItems", KIND_SCHEMA },
        { "properties", KIND_SCHEMA_MAP },
        { "patternProperties", KIND_PATTERN_MAP },
        { "additionalProperties", KIND_SCHEMA },
        { "propertyNames", KIND_SCHEMA },
        { "unevaluatedProperties", KIND_SCHEMA },
        { "required", KIND_NAMES },
        { "dependentRequired", KIND_NAME_LISTS },
        { "dependentSchemas", KIND_SCHEMA_MAP },
        { "minProperties", KIND_COUNT },
        { "maxProperties", KIND_COUNT },
        { "allOf", KIND_SCHEMA_ARRAY },
        { "anyOf", KIND_SCHEMA_ARRAY },
        { "oneOf", KIND_SCHEMA_ARRAY },
        { "not", KIND_SCHEMA },
        { "if", KIND_SCHEMA },
        { "then", KIND_SCHEMA },
        { "else", KIND_SCHEMA },
};

typedef struct Checker {
        json_object *document;
        json_object *resource;
        unsigned depth;
        char *error;
} Checker;

static int check_schema(Checker *c, json_object *schema, const char *location);

_printf_(3, 4) static int refuse(Checker *c, const char *location, const char *format, ...) {
        _cleanup_free_ char *message = NULL;
        va_list ap;
        va_start(ap, format);
        int r = vasprintf(&message, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (!c->error && asprintf(&c->error, "at %s: %s", location, message) < 0) {
                c->error = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

static int check_child(Checker *c, json_object *schema, const char *location, const char *a, const char *b) {
        _cleanup_free_ char *child = NULL;
        if (asprintf(&child, "%s/%s%s%s", location, a, b ? "/" : "", strempty(b)) < 0)
                return -ENOMEM;
        return check_schema(c, schema, child);
}

static bool names_valid(json_object *o, bool unique) {
        if (!json_object_is_type(o, json_type_array))
                return false;
        size_t n = json_object_array_length(o);
        for (size_t i = 0; i < n; i++) {
                json_object *item = json_object_array_get_idx(o, i);
                if (!json_object_is_type(item, json_type_string))
                        return false;
                for (size_t j = 0; unique && j < i; j++)
                        if (json_equal(item, json_object_array_get_idx(o, j)))
                                return false;
        }
        return true;
}

static int check_type(Checker *c, json_object *value, const char *location) {
        if (json_object_is_type(value, json_type_string)) {
                if (!jsonschema_type_name_valid(json_object_get_string(value)))
                        return refuse(c, location, "\"%s\" is not a JSON Schema type", json_object_get_string(value));
                return 0;
        }
        if (!names_valid(value, true) || json_object_array_length(value) == 0)
                return refuse(c, location, "\"type\" must be a type name or an array of distinct type names");
        for (size_t i = 0, n = json_object_array_length(value); i < n; i++) {
                const char *t = json_object_get_string(json_object_array_get_idx(value, i));
                if (!jsonschema_type_name_valid(t))
                        return refuse(c, location, "\"%s\" is not a JSON Schema type", t);
        }
        return 0;
}

static int check_pattern(Checker *c, const char *pattern, const char *location) {
        _cleanup_free_ char *reason = NULL;
        int r = jsonschema_regex_search(pattern, "", 0, &reason);
        if (r == -EINVAL)
                return refuse(c, location, "%s", reason ?: "the pattern does not compile");
        return r < 0 && r != -E2BIG ? r : 0;
}

static int check_name_lists(Checker *c, const char *name, json_object *value, const char *location) {
        if (!json_object_is_type(value, json_type_object))
                return refuse(c, location, "\"%s\" must be an object of arrays of strings", name);
        json_object_object_foreach (value, key, list)
                if (!names_valid(list, true))
                        return refuse(c, location, "\"%s\" of \"%s\" must be an array of distinct strings", name, key);
        return 0;
}

static int check_keyword(Checker *c, const char *name, KeywordKind kind, json_object *value, const char *location) {
        int r;

        switch (kind) {
        case KIND_SCHEMA:
                return check_child(c, value, location, name, NULL);

        case KIND_SCHEMA_MAP:
        case KIND_PATTERN_MAP:
                if (!json_object_is_type(value, json_type_object))
                        return refuse(c, location, "\"%s\" must be an object of schemas", name);
                json_object_object_foreach (value, key, subschema) {
                        if (kind == KIND_PATTERN_MAP) {
                                r = check_pattern(c, key, location);
                                if (r < 0)
                                        return r;
                        }
                        r = check_child(c, subschema, location, name, key);
                        if (r < 0)
                                return r;
                }
                return 0;

        case KIND_SCHEMA_ARRAY:
                if (!json_object_is_type(value, json_type_array) || json_object_array_length(value) == 0)
                        return refuse(c, location, "\"%s\" must be a non-empty array of schemas", name);
                for (size_t i = 0, n = json_object_array_length(value); i < n; i++) {
                        char index[24];
                        snprintf(index, sizeof(index), "%zu", i);
                        r = check_child(c, json_object_array_get_idx(value, i), location, name, index);
                        if (r < 0)
                                return r;
                }
                return 0;

        case KIND_COUNT:
                if (!json_is_integral(value) || json_number(value) < 0)
                        return refuse(c, location, "\"%s\" must be a non-negative integer", name);
                return 0;

        case KIND_NUMBER:
                if (!json_is_number(value))
                        return refuse(c, location, "\"%s\" must be a number", name);
                return 0;

        case KIND_POSITIVE:
                if (!json_is_number(value) || json_number(value) <= 0)
                        return refuse(c, location, "\"%s\" must be a number greater than 0", name);
                return 0;

        case KIND_TYPE:
                return check_type(c, value, location);

        case KIND_ARRAY:
                if (!json_object_is_type(value, json_type_array))
                        return refuse(c, location, "\"%s\" must be an array", name);
                return 0;

        case KIND_NAMES:
                if (!names_valid(value, true))
                        return refuse(c, location, "\"%s\" must be an array of distinct strings", name);
                return 0;

        case KIND_NAME_LISTS:
                return check_name_lists(c, name, value, location);

        case KIND_BOOLEAN:
                if (!json_object_is_type(value, json_type_boolean))
                        return refuse(c, location, "\"%s\" must be true or false", name);
                return 0;

        case KIND_STRING:
                if (!json_object_is_type(value, json_type_string))
                        return refuse(c, location, "\"%s\" must be a string", name);
                return 0;

        case KIND_PATTERN:
                if (!json_object_is_type(value, json_type_string))
                        return refuse(c, location, "\"%s\" must be a string", name);
                return check_pattern(c, json_object_get_string(value), location);

        case KIND_REFERENCE:
                if (!json_object_is_type(value, json_type_string))
                        return refuse(c, location, "\"%s\" must be a string", name);
                if (!jsonschema_resolve(c->document, c->resource, json_object_get_string(value)))
                        return refuse(c, location,
                                "the reference \"%s\" does not resolve (references to other documents are not supported)",
                                json_object_get_string(value));
                return 0;
        }
        return 0;
}

static int check_schema(Checker *c, json_object *schema, const char *location) {
        if (json_object_is_type(schema, json_type_boolean))
                return 0;
        if (!json_object_is_type(schema, json_type_object))
                return refuse(c, location, "a schema must be an object or a boolean");
        if (c->depth >= JSON_MAX_DEPTH)
                return refuse(c, location, "the schema is nested too deeply");

        json_object *saved_resource = c->resource;
        if (json_get_string(schema, "$id"))
                c->resource = schema;
        c->depth++;

        int r = 0;
        json_object_object_foreach (schema, name, value) {
                FOREACH_ELEMENT(k, keywords)
                if (streq(k->name, name)) {
                        r = check_keyword(c, name, k->kind, value, location);
                        break;
                }
                if (r < 0)
                        break;
        }

        c->depth--;
        c->resource = saved_resource;
        return r;
}

int jsonschema_check(json_object *schema, char **ret_error) {
        Checker c = {
                .document = schema,
                .resource = schema,
        };

        int r = check_schema(&c, schema, "#");
        if (ret_error)
                *ret_error = r < 0 ? TAKE_PTR(c.error) : NULL;
        free(c.error);
        return r;
}
