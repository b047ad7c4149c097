/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Validation of an instance against a JSON Schema 2020-12 schema. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "json-value.h"
#include "jsonschema-internal.h"
#include "jsonschema.h"

/* Enough for any legitimate schema on an instance nested JSON_MAX_DEPTH deep; a "$ref": "#" loop stops here. */
#define MAX_EVALUATION_DEPTH 512U
/* Values quoted in messages are cut to this many bytes. */
#define QUOTE_MAX 60U

/* Which members (of an object) or items (of an array) some keyword has evaluated: what unevaluatedProperties
 * and unevaluatedItems look at. */
typedef struct Annotations {
        size_t n;
        bool *seen; /* n flags, allocated when the first one is set */
        bool all;
} Annotations;

typedef struct Validator {
        json_object *document;
        json_object *resource; /* the innermost schema with an $id: what "#..." refers to */
        unsigned depth;
        unsigned quiet; /* > 0 inside anyOf, oneOf, not, if, contains: a failure there is not the answer */
        char *path;     /* JSON pointer to the instance location being validated */
        size_t path_len, path_size;
        char *error;
} Validator;

static int validate(Validator *v, json_object *schema, json_object *instance, Annotations *out);

static void annotations_init(Annotations *a, json_object *instance) {
        *a = (Annotations){};
        if (json_object_is_type(instance, json_type_object))
                a->n = (size_t) json_object_object_length(instance);
        else if (json_object_is_type(instance, json_type_array))
                a->n = json_object_array_length(instance);
}

static void annotations_done(Annotations *a) {
        a->seen = mfree(a->seen);
}

static bool annotations_seen(const Annotations *a, size_t i) {
        return a->all || (a->seen && a->seen[i]);
}

static int annotations_mark(Annotations *a, size_t i) {
        if (a->all)
                return 0;
        if (!a->seen) {
                a->seen = new0(bool, a->n);
                if (!a->seen)
                        return -ENOMEM;
        }
        a->seen[i] = true;
        return 0;
}

static int annotations_merge(Annotations *into, const Annotations *from) {
        if (!into || into->all)
                return 0;
        if (from->all) {
                into->all = true;
                return 0;
        }
        if (!from->seen)
                return 0;
        for (size_t i = 0; i < from->n; i++)
                if (from->seen[i]) {
                        int r = annotations_mark(into, i);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* Appends one reference token to the instance path; returns the length to go back to. */
static int path_push(Validator *v, const char *token, size_t *ret_saved) {
        size_t need = v->path_len + 1 + 2 * strlen(token) + 1;
        if (need > v->path_size) {
                char *p = realloc(v->path, MAX(need, 2 * v->path_size));
                if (!p)
                        return -ENOMEM;
                v->path = p;
                v->path_size = MAX(need, 2 * v->path_size);
        }
        *ret_saved = v->path_len;
        v->path[v->path_len++] = '/';
        for (const char *c = token; *c; c++) {
                if (*c == '~' || *c == '/') {
                        v->path[v->path_len++] = '~';
                        v->path[v->path_len++] = *c == '~' ? '0' : '1';
                } else
                        v->path[v->path_len++] = *c;
        }
        v->path[v->path_len] = 0;
        return 0;
}

static void path_pop(Validator *v, size_t saved) {
        v->path_len = saved;
        if (v->path)
                v->path[saved] = 0;
}

/* Records why the instance is invalid (the first reason wins) and returns 0, "invalid". */
_printf_(2, 3) static int fail(Validator *v, const char *format, ...) {
        if (v->quiet > 0 || v->error)
                return 0;

        _cleanup_free_ char *message = NULL;
        va_list ap;
        va_start(ap, format);
        int r = vasprintf(&message, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;

        if (v->path_len > 0)
                r = asprintf(&v->error, "at %s: %s", v->path, message);
        else
                r = asprintf(&v->error, "%s", message);
        if (r < 0) {
                v->error = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* The JSON text of o, cut short for messages. */
static const char *quote(json_object *o, char buf[static QUOTE_MAX + 4]) {
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        size_t n = strlen(text);
        if (n <= QUOTE_MAX)
                return text;
        /* Cut at a character boundary and mark the cut. */
        n = QUOTE_MAX;
        while (n > 0 && ((unsigned char) text[n] & 0xC0) == 0x80)
                n--;
        memcpy(buf, text, n);
        memcpy(buf + n, "...", 4);
        return buf;
}

static const char *type_of(json_object *o) {
        switch (json_object_get_type(o)) {
        case json_type_null:
                return "null";
        case json_type_boolean:
                return "boolean";
        case json_type_int:
                return "integer";
        case json_type_double:
                return "number";
        case json_type_string:
                return "string";
        case json_type_object:
                return "object";
        case json_type_array:
                return "array";
        }
        return "unknown";
}

/* A non-negative integer keyword (minLength, maxItems, ...); -EINVAL when it is something else. */
static int get_count(json_object *schema, const char *keyword, bool *ret_present, size_t *ret) {
        json_object *o;
        *ret_present = json_object_object_get_ex(schema, keyword, &o);
        if (!*ret_present)
                return 0;
        if (!json_is_integral(o) || json_number(o) < 0)
                return -EINVAL;
        long double n = json_number(o);
        *ret = n >= (long double) SIZE_MAX ? SIZE_MAX : (size_t) n;
        return 0;
}

static json_object *keyword(json_object *schema, const char *name) {
        json_object *o;
        /* A keyword whose value is null counts as absent; jsonschema_check() refuses such schemas. */
        return json_object_object_get_ex(schema, name, &o) ? o : NULL;
}

/* Validates a part of the instance (a member or an item) at the location one token deeper. */
static int validate_child(Validator *v, json_object *schema, json_object *instance, const char *token) {
        size_t saved;
        int r = path_push(v, token, &saved);
        if (r < 0)
                return r;
        r = validate(v, schema, instance, NULL);
        path_pop(v, saved);
        return r;
}

static int validate_item(Validator *v, json_object *schema, json_object *instance, size_t i) {
        char token[24];
        snprintf(token, sizeof(token), "%zu", i);
        return validate_child(v, schema, instance, token);
}

static int validate_type(Validator *v, json_object *type, json_object *instance) {
        if (json_object_is_type(type, json_type_string)) {
                const char *t = json_object_get_string(type);
                if (!jsonschema_type_name_valid(t))
                        return -EINVAL;
                if (jsonschema_has_type(instance, t))
                        return 1;
                return fail(v, "expected %s, got %s", t, type_of(instance));
        }
        if (!json_object_is_type(type, json_type_array))
                return -EINVAL;

        for (size_t i = 0, n = json_object_array_length(type); i < n; i++) {
                const char *t = json_object_get_string(json_object_array_get_idx(type, i));
                if (!t || !jsonschema_type_name_valid(t))
                        return -EINVAL;
                if (jsonschema_has_type(instance, t))
                        return 1;
        }
        return fail(v, "expected one of the types %s, got %s", json_to_string(type), type_of(instance));
}

static int validate_enum_const(Validator *v, json_object *schema, json_object *instance) {
        char a[QUOTE_MAX + 4], b[QUOTE_MAX + 4];
        json_object *o;

        if (json_object_object_get_ex(schema, "const", &o) && !json_equal(o, instance))
                return fail(v, "%s is not the allowed value %s", quote(instance, a), quote(o, b));

        if (json_object_object_get_ex(schema, "enum", &o)) {
                if (!json_object_is_type(o, json_type_array))
                        return -EINVAL;
                for (size_t i = 0, n = json_object_array_length(o); i < n; i++)
                        if (json_equal(json_object_array_get_idx(o, i), instance))
                                return 1;
                return fail(v, "%s is not one of %s", quote(instance, a), quote(o, b));
        }
        return 1;
}

static bool is_multiple_of(json_object *instance, json_object *divisor) {
        long double x = json_number(instance), m = json_number(divisor);
        if (json_object_is_type(instance, json_type_int) && json_object_is_type(divisor, json_type_int) &&
                fabsl(x) < 0x1p63L && m < 0x1p63L)
                return (int64_t) x % (int64_t) m == 0;

        long double q = x / m;
        if (!isfinite(q))
                return false;
        /* Decimal fractions are not exact in binary: 0.3 is a multiple of 0.1 within rounding. */
        return fabsl(q - roundl(q)) <= 1e-9L * fmaxl(1.0L, fabsl(q));
}

static int validate_number(Validator *v, json_object *schema, json_object *instance) {
        char a[QUOTE_MAX + 4], b[QUOTE_MAX + 4];
        json_object *o;
        long double x = json_number(instance);

        if ((o = keyword(schema, "multipleOf"))) {
                if (!json_is_number(o) || json_number(o) <= 0)
                        return -EINVAL;
                if (!is_multiple_of(instance, o))
                        return fail(v, "%s is not a multiple of %s", quote(instance, a), quote(o, b));
        }

        static const struct {
                const char *keyword;
                bool lower, exclusive;
                const char *message;
        } bounds[] = {
                { "minimum", true, false, "less than the minimum" },
                { "exclusiveMinimum", true, true, "not greater than the exclusive minimum" },
                { "maximum", false, false, "greater than the maximum" },
                { "exclusiveMaximum", false, true, "not less than the exclusive maximum" },
        };
        FOREACH_ELEMENT(bound, bounds) {
                if (!(o = keyword(schema, bound->keyword)))
                        continue;
                if (!json_is_number(o))
                        return -EINVAL;
                long double limit = json_number(o);
                bool ok = bound->lower ? (bound->exclusive ? x > limit : x >= limit)
                                       : (bound->exclusive ? x < limit : x <= limit);
                if (!ok)
                        return fail(v, "%s is %s %s", quote(instance, a), bound->message, quote(o, b));
        }
        return 1;
}

static int validate_string(Validator *v, json_object *schema, json_object *instance) {
        const char *s = json_object_get_string(instance);
        size_t bytes = (size_t) json_object_get_string_len(instance);
        size_t length = utf8_length(s, bytes), limit;
        bool present;

        int r = get_count(schema, "minLength", &present, &limit);
        if (r < 0)
                return r;
        if (present && length < limit)
                return fail(v, "the string is %zu characters long, shorter than the minimum of %zu", length, limit);

        r = get_count(schema, "maxLength", &present, &limit);
        if (r < 0)
                return r;
        if (present && length > limit)
                return fail(v, "the string is %zu characters long, longer than the maximum of %zu", length, limit);

        json_object *pattern = keyword(schema, "pattern");
        if (pattern) {
                if (!json_object_is_type(pattern, json_type_string))
                        return -EINVAL;
                const char *p = json_object_get_string(pattern);
                r = jsonschema_regex_search(p, s, bytes, NULL);
                if (r == -E2BIG)
                        return fail(v, "the string is too costly to match against the pattern \"%s\"", p);
                if (r < 0)
                        return r;
                if (r == 0)
                        return fail(v, "the string does not match the pattern \"%s\"", p);
        }
        return 1;
}

/* Compares items by hash first, so that uniqueItems on a long array costs n log n, not n². */
typedef struct HashedItem {
        uint64_t hash;
        size_t index;
} HashedItem;

static int hashed_item_compare(const void *a, const void *b) {
        const HashedItem *x = a, *y = b;
        if (x->hash != y->hash)
                return x->hash < y->hash ? -1 : 1;
        return x->index < y->index ? -1 : x->index > y->index;
}

static int validate_unique(Validator *v, json_object *instance) {
        size_t n = json_object_array_length(instance);
        if (n < 2)
                return 1;

        _cleanup_free_ HashedItem *items = new0(HashedItem, n);
        if (!items)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                items[i] = (HashedItem){ json_hash(json_object_array_get_idx(instance, i)), i };
        qsort(items, n, sizeof(HashedItem), hashed_item_compare);

        for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n && items[j].hash == items[i].hash; j++)
                        if (json_equal(json_object_array_get_idx(instance, items[i].index),
                                    json_object_array_get_idx(instance, items[j].index)))
                                return fail(v, "items %zu and %zu are equal, but the items must be unique",
                                        items[i].index, items[j].index);
        return 1;
}

static int validate_contains(Validator *v, json_object *schema, json_object *instance, Annotations *ann) {
        json_object *contains = keyword(schema, "contains");
        if (!contains)
                return 1;

        size_t min = 1, max = SIZE_MAX;
        bool present;
        int r = get_count(schema, "minContains", &present, &min);
        if (r < 0)
                return r;
        if (!present)
                min = 1;
        r = get_count(schema, "maxContains", &present, &max);
        if (r < 0)
                return r;
        if (!present)
                max = SIZE_MAX;

        size_t matches = 0, n = json_object_array_length(instance);
        v->quiet++;
        for (size_t i = 0; i < n; i++) {
                r = validate(v, contains, json_object_array_get_idx(instance, i), NULL);
                if (r < 0)
                        break;
                if (r > 0) {
                        matches++;
                        r = annotations_mark(ann, i);
                        if (r < 0)
                                break;
                }
        }
        v->quiet--;
        if (r < 0)
                return r;

        if (matches < min)
                return fail(v, "%zu item(s) match \"contains\", at least %zu must", matches, min);
        if (matches > max)
                return fail(v, "%zu items match \"contains\", at most %zu may", matches, max);
        return 1;
}

static int validate_array(Validator *v, json_object *schema, json_object *instance, Annotations *ann) {
        size_t n = json_object_array_length(instance), limit;
        bool present;

        int r = get_count(schema, "minItems", &present, &limit);
        if (r < 0)
                return r;
        if (present && n < limit)
                return fail(v, "the array has %zu items, fewer than the minimum of %zu", n, limit);
        r = get_count(schema, "maxItems", &present, &limit);
        if (r < 0)
                return r;
        if (present && n > limit)
                return fail(v, "the array has %zu items, more than the maximum of %zu", n, limit);

        size_t first = 0;
        json_object *prefix = keyword(schema, "prefixItems");
        if (prefix) {
                if (!json_object_is_type(prefix, json_type_array))
                        return -EINVAL;
                first = MIN(n, json_object_array_length(prefix));
                for (size_t i = 0; i < first; i++) {
                        r = validate_item(v, json_object_array_get_idx(prefix, i),
                                json_object_array_get_idx(instance, i), i);
                        if (r <= 0)
                                return r;
                        r = annotations_mark(ann, i);
                        if (r < 0)
                                return r;
                }
        }

        json_object *items = keyword(schema, "items");
        if (items)
                for (size_t i = first; i < n; i++) {
                        r = validate_item(v, items, json_object_array_get_idx(instance, i), i);
                        if (r <= 0)
                                return r;
                        r = annotations_mark(ann, i);
                        if (r < 0)
                                return r;
                }

        r = validate_contains(v, schema, instance, ann);
        if (r <= 0)
                return r;

        json_object *unique = keyword(schema, "uniqueItems");
        if (unique && !json_object_is_type(unique, json_type_boolean))
                return -EINVAL;
        if (unique && json_object_get_boolean(unique))
                return validate_unique(v, instance);
        return 1;
}

/* Whether a member name matches one of the patternProperties; validates the member against those that do. */
static int validate_pattern_properties(Validator *v, json_object *patterns, const char *name, json_object *value,
        bool *ret_matched) {
        *ret_matched = false;
        if (!patterns)
                return 1;
        if (!json_object_is_type(patterns, json_type_object))
                return -EINVAL;

        json_object_object_foreach (patterns, pattern, subschema) {
                int r = jsonschema_regex_search(pattern, name, strlen(name), NULL);
                if (r == -E2BIG)
                        return fail(v, "the property name \"%s\" is too costly to match against \"%s\"", name, pattern);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                *ret_matched = true;
                r = validate_child(v, subschema, value, name);
                if (r <= 0)
                        return r;
        }
        return 1;
}

static int validate_members(Validator *v, json_object *schema, json_object *instance, Annotations *ann) {
        json_object *properties = keyword(schema, "properties");
        json_object *patterns = keyword(schema, "patternProperties");
        json_object *additional = keyword(schema, "additionalProperties");
        json_object *names = keyword(schema, "propertyNames");
        if (properties && !json_object_is_type(properties, json_type_object))
                return -EINVAL;

        size_t i = 0;
        json_object_object_foreach (instance, name, value) {
                size_t index = i++;
                json_object *subschema;
                bool declared = properties && json_object_object_get_ex(properties, name, &subschema);
                int r;

                if (names) {
                        _cleanup_json_ json_object *name_instance = json_object_new_string(name);
                        if (!name_instance)
                                return -ENOMEM;
                        v->quiet++;
                        r = validate(v, names, name_instance, NULL);
                        v->quiet--;
                        if (r < 0)
                                return r;
                        if (r == 0)
                                return fail(v, "the property name \"%s\" does not match \"propertyNames\"", name);
                }

                if (declared) {
                        r = validate_child(v, subschema, value, name);
                        if (r <= 0)
                                return r;
                }

                bool matched;
                r = validate_pattern_properties(v, patterns, name, value, &matched);
                if (r <= 0)
                        return r;

                if (!declared && !matched && additional) {
                        if (json_object_is_type(additional, json_type_boolean) && !json_object_get_boolean(additional))
                                return fail(v, "the property \"%s\" is not allowed", name);
                        r = validate_child(v, additional, value, name);
                        if (r <= 0)
                                return r;
                }

                if (declared || matched || additional) {
                        r = annotations_mark(ann, index);
                        if (r < 0)
                                return r;
                }
        }
        return 1;
}

static int validate_required(Validator *v, json_object *schema, json_object *instance) {
        json_object *required = keyword(schema, "required");
        if (required) {
                if (!json_object_is_type(required, json_type_array))
                        return -EINVAL;
                for (size_t i = 0, n = json_object_array_length(required); i < n; i++) {
                        const char *name = json_object_get_string(json_object_array_get_idx(required, i));
                        if (!json_object_is_type(json_object_array_get_idx(required, i), json_type_string))
                                return -EINVAL;
                        if (!json_object_object_get_ex(instance, name, NULL))
                                return fail(v, "the required property \"%s\" is missing", name);
                }
        }

        json_object *dependent = keyword(schema, "dependentRequired");
        if (dependent) {
                if (!json_object_is_type(dependent, json_type_object))
                        return -EINVAL;
                json_object_object_foreach (dependent, name, list) {
                        if (!json_object_is_type(list, json_type_array))
                                return -EINVAL;
                        if (!json_object_object_get_ex(instance, name, NULL))
                                continue;
                        for (size_t i = 0, n = json_object_array_length(list); i < n; i++) {
                                const char *other = json_object_get_string(json_object_array_get_idx(list, i));
                                if (!other)
                                        return -EINVAL;
                                if (!json_object_object_get_ex(instance, other, NULL))
                                        return fail(v, "the property \"%s\" requires the property \"%s\"", name, other);
                        }
                }
        }
        return 1;
}

static int validate_object(Validator *v, json_object *schema, json_object *instance, Annotations *ann) {
        size_t n = (size_t) json_object_object_length(instance), limit;
        bool present;

        int r = get_count(schema, "minProperties", &present, &limit);
        if (r < 0)
                return r;
        if (present && n < limit)
                return fail(v, "the object has %zu properties, fewer than the minimum of %zu", n, limit);
        r = get_count(schema, "maxProperties", &present, &limit);
        if (r < 0)
                return r;
        if (present && n > limit)
                return fail(v, "the object has %zu properties, more than the maximum of %zu", n, limit);

        r = validate_required(v, schema, instance);
        if (r <= 0)
                return r;
        r = validate_members(v, schema, instance, ann);
        if (r <= 0)
                return r;

        json_object *dependent = keyword(schema, "dependentSchemas");
        if (dependent) {
                if (!json_object_is_type(dependent, json_type_object))
                        return -EINVAL;
                json_object_object_foreach (dependent, name, subschema) {
                        if (!json_object_object_get_ex(instance, name, NULL))
                                continue;
                        r = validate(v, subschema, instance, ann);
                        if (r <= 0)
                                return r;
                }
        }
        return 1;
}

/* Validates the instance against each schema of list (anyOf, oneOf) quietly: the caller decides what the
 * count means. Merges the annotations of those that match. */
static int count_matches(Validator *v, json_object *list, json_object *instance, Annotations *ann,
        size_t *ret_matches) {
        if (!json_object_is_type(list, json_type_array) || json_object_array_length(list) == 0)
                return -EINVAL;

        size_t matches = 0;
        v->quiet++;
        int r = 0;
        for (size_t i = 0, n = json_object_array_length(list); i < n; i++) {
                _cleanup_(annotations_done) Annotations local;
                annotations_init(&local, instance);
                r = validate(v, json_object_array_get_idx(list, i), instance, &local);
                if (r < 0)
                        break;
                if (r > 0) {
                        matches++;
                        r = annotations_merge(ann, &local);
                        if (r < 0)
                                break;
                }
        }
        v->quiet--;
        if (r < 0)
                return r;
        *ret_matches = matches;
        return 1;
}

static int validate_applicators(Validator *v, json_object *schema, json_object *instance, Annotations *ann) {
        json_object *o;
        size_t matches;
        int r;

        if ((o = keyword(schema, "allOf"))) {
                if (!json_object_is_type(o, json_type_array) || json_object_array_length(o) == 0)
                        return -EINVAL;
                for (size_t i = 0, n = json_object_array_length(o); i < n; i++) {
                        r = validate(v, json_object_array_get_idx(o, i), instance, ann);
                        if (r <= 0)
                                return r;
                }
        }

        if ((o = keyword(schema, "anyOf"))) {
                r = count_matches(v, o, instance, ann, &matches);
                if (r < 0)
                        return r;
                if (matches == 0)
                        return fail(v, "the value matches none of the schemas in \"anyOf\"");
        }

        if ((o = keyword(schema, "oneOf"))) {
                r = count_matches(v, o, instance, ann, &matches);
                if (r < 0)
                        return r;
                if (matches == 0)
                        return fail(v, "the value matches none of the schemas in \"oneOf\"");
                if (matches > 1)
                        return fail(v, "the value matches %zu of the schemas in \"oneOf\", it must match exactly one",
                                matches);
        }

        if ((o = keyword(schema, "not"))) {
                v->quiet++;
                r = validate(v, o, instance, NULL);
                v->quiet--;
                if (r < 0)
                        return r;
                if (r > 0)
                        return fail(v, "the value matches the schema in \"not\"");
        }

        if ((o = keyword(schema, "if"))) {
                _cleanup_(annotations_done) Annotations local;
                annotations_init(&local, instance);
                v->quiet++;
                r = validate(v, o, instance, &local);
                v->quiet--;
                if (r < 0)
                        return r;
                json_object *branch = keyword(schema, r > 0 ? "then" : "else");
                if (r > 0) {
                        r = annotations_merge(ann, &local);
                        if (r < 0)
                                return r;
                }
                if (branch) {
                        r = validate(v, branch, instance, ann);
                        if (r <= 0)
                                return r;
                }
        }

        static const char *const references[] = { "$ref", "$dynamicRef" };
        FOREACH_ELEMENT(name, references) {
                if (!(o = keyword(schema, *name)))
                        continue;
                if (!json_object_is_type(o, json_type_string))
                        return -EINVAL;
                json_object *target = jsonschema_resolve(v->document, v->resource, json_object_get_string(o));
                if (!target)
                        return -EINVAL;
                r = validate(v, target, instance, ann);
                if (r <= 0)
                        return r;
        }
        return 1;
}

/* unevaluatedItems and unevaluatedProperties: what no other keyword of this schema (or of the schemas it
 * applies in place) has looked at. */
static int validate_unevaluated(Validator *v, json_object *schema, json_object *instance, Annotations *ann) {
        bool object = json_object_is_type(instance, json_type_object);
        json_object *rest = keyword(schema, object ? "unevaluatedProperties" : "unevaluatedItems");
        if (!rest || ann->all)
                return 1;

        size_t i = 0;
        int r;
        if (object) {
                json_object_object_foreach (instance, name, value) {
                        size_t index = i++;
                        if (annotations_seen(ann, index))
                                continue;
                        if (json_object_is_type(rest, json_type_boolean) && !json_object_get_boolean(rest))
                                return fail(v, "the property \"%s\" is not allowed", name);
                        r = validate_child(v, rest, value, name);
                        if (r <= 0)
                                return r;
                }
        } else
                for (; i < ann->n; i++) {
                        if (annotations_seen(ann, i))
                                continue;
                        if (json_object_is_type(rest, json_type_boolean) && !json_object_get_boolean(rest))
                                return fail(v, "item %zu is not allowed", i);
                        r = validate_item(v, rest, json_object_array_get_idx(instance, i), i);
                        if (r <= 0)
                                return r;
                }

        ann->all = true;
        return 1;
}

static int validate_keywords(Validator *v, json_object *schema, json_object *instance, Annotations *ann) {
        json_object *type = keyword(schema, "type");
        int r;
        if (type) {
                r = validate_type(v, type, instance);
                if (r <= 0)
                        return r;
        }

        r = validate_enum_const(v, schema, instance);
        if (r <= 0)
                return r;

        switch (json_object_get_type(instance)) {
        case json_type_int:
        case json_type_double:
                r = validate_number(v, schema, instance);
                break;
        case json_type_string:
                r = validate_string(v, schema, instance);
                break;
        case json_type_array:
                r = validate_array(v, schema, instance, ann);
                break;
        case json_type_object:
                r = validate_object(v, schema, instance, ann);
                break;
        default:
                r = 1;
        }
        if (r <= 0)
                return r;

        r = validate_applicators(v, schema, instance, ann);
        if (r <= 0)
                return r;

        if (json_object_is_type(instance, json_type_object) || json_object_is_type(instance, json_type_array))
                return validate_unevaluated(v, schema, instance, ann);
        return 1;
}

static int validate(Validator *v, json_object *schema, json_object *instance, Annotations *out) {
        if (json_object_is_type(schema, json_type_boolean))
                return json_object_get_boolean(schema) ? 1 : fail(v, "no value is allowed here");
        if (!json_object_is_type(schema, json_type_object))
                return -EINVAL;
        if (v->depth >= MAX_EVALUATION_DEPTH)
                return -ELOOP;

        json_object *saved_resource = v->resource;
        if (json_get_string(schema, "$id"))
                v->resource = schema;
        v->depth++;

        _cleanup_(annotations_done) Annotations local;
        annotations_init(&local, instance);
        int r = validate_keywords(v, schema, instance, &local);
        if (r > 0 && out)
                r = annotations_merge(out, &local) ?: 1;

        v->depth--;
        v->resource = saved_resource;
        return r;
}

int jsonschema_validate(json_object *schema, json_object *instance, char **ret_error) {
        _cleanup_free_ char *path = NULL;
        Validator v = {
                .document = schema,
                .resource = schema,
        };

        int r = validate(&v, schema, instance, NULL);
        path = v.path;
        if (r == 0 && !v.error)
                r = -ENOMEM; /* fail() could not allocate its message */
        if (ret_error)
                *ret_error = r == 0 ? TAKE_PTR(v.error) : NULL;
        free(v.error);
        return r;
}
