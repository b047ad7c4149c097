/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pattern matching through PCRE2 with a cache of compiled patterns; $ref resolution; type names. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>

#include "hashmap.h"
#include "json-value.h"
#include "jsonschema-internal.h"

/* Patterns come from schemas, which servers declare; the bound only keeps a schema supplied at run time
 * from growing the cache without end. */
#define REGEX_CACHE_MAX 1024U
/* Backtracking budget for one match: a catastrophic pattern fails instead of holding up the event loop. */
#define REGEX_MATCH_LIMIT 200000U
#define REGEX_DEPTH_LIMIT 5000U

typedef struct CachedRegex {
        char *pattern;
        pcre2_code *code;
} CachedRegex;

DEFINE_TRIVIAL_CLEANUP_FUNC(pcre2_compile_context *, pcre2_compile_context_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(pcre2_match_data *, pcre2_match_data_free);

static Hashmap *regex_cache;
static pcre2_match_context *match_context;

static void cached_regex_free(CachedRegex *c) {
        if (!c)
                return;
        pcre2_code_free(c->code);
        free(c->pattern);
        free(c);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(CachedRegex *, cached_regex_free);

static void regex_cache_clear(void) {
        size_t state = 0;
        void *value;
        while (hashmap_iterate(regex_cache, &state, &value, NULL)) {
                CachedRegex *c = value;
                hashmap_remove(regex_cache, c->pattern);
                cached_regex_free(c);
        }
}

static __attribute__((destructor)) void regex_cache_free(void) {
        if (regex_cache) {
                regex_cache_clear();
                regex_cache = hashmap_free(regex_cache);
        }
        pcre2_match_context_free(match_context);
        match_context = NULL;
}

static int regex_compile(const char *pattern, pcre2_code **ret, char **ret_error) {
        int code;
        PCRE2_SIZE offset;
        /* ECMA-262 flavour: \uXXXX and \u{...} escapes, "$" only at the very end. */
        _cleanup_(pcre2_compile_context_freep) pcre2_compile_context *context = pcre2_compile_context_create(NULL);
        if (!context)
                return -ENOMEM;
        pcre2_set_compile_extra_options(context, PCRE2_EXTRA_ALT_BSUX);

        pcre2_code *re = pcre2_compile((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED,
                PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_DOLLAR_ENDONLY, &code, &offset, context);
        if (!re) {
                if (ret_error) {
                        PCRE2_UCHAR reason[128];
                        pcre2_get_error_message(code, reason, sizeof(reason));
                        if (asprintf(ret_error, "pattern \"%s\" does not compile at offset %zu: %s", pattern,
                                    (size_t) offset, (char *) reason) < 0)
                                *ret_error = NULL;
                }
                return -EINVAL;
        }
        *ret = re;
        return 0;
}

static int regex_get(const char *pattern, pcre2_code **ret, char **ret_error) {
        if (!regex_cache) {
                regex_cache = hashmap_new();
                match_context = pcre2_match_context_create(NULL);
                if (!regex_cache || !match_context)
                        return -ENOMEM;
                pcre2_set_match_limit(match_context, REGEX_MATCH_LIMIT);
                pcre2_set_depth_limit(match_context, REGEX_DEPTH_LIMIT);
        }

        CachedRegex *c = hashmap_get(regex_cache, pattern);
        if (c) {
                *ret = c->code;
                return 0;
        }

        if (hashmap_size(regex_cache) >= REGEX_CACHE_MAX)
                regex_cache_clear();

        _cleanup_(cached_regex_freep) CachedRegex *n = new0(CachedRegex, 1);
        if (!n)
                return -ENOMEM;
        n->pattern = strdup(pattern);
        if (!n->pattern)
                return -ENOMEM;
        int r = regex_compile(pattern, &n->code, ret_error);
        if (r < 0)
                return r;
        r = hashmap_put(regex_cache, n->pattern, n);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(n)->code;
        return 0;
}

int jsonschema_regex_search(const char *pattern, const char *subject, size_t len, char **ret_error) {
        pcre2_code *re;
        int r = regex_get(pattern, &re, ret_error);
        if (r < 0)
                return r;

        _cleanup_(pcre2_match_data_freep) pcre2_match_data *match = pcre2_match_data_create_from_pattern(re, NULL);
        if (!match)
                return -ENOMEM;

        r = pcre2_match(re, (PCRE2_SPTR) subject, len, 0, 0, match, match_context);
        if (r >= 0)
                return 1;
        if (r == PCRE2_ERROR_NOMATCH)
                return 0;
        if (r == PCRE2_ERROR_MATCHLIMIT || r == PCRE2_ERROR_DEPTHLIMIT || r == PCRE2_ERROR_HEAPLIMIT)
                return -E2BIG;
        return -EINVAL;
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Decodes %XX escapes of a URI fragment in place. */
static void percent_decode(char *s) {
        char *w = s;
        for (const char *p = s; *p; p++) {
                int hi, lo;
                if (p[0] == '%' && (hi = hex_value(p[1])) >= 0 && (lo = hex_value(p[2])) >= 0) {
                        *w++ = (char) (hi << 4 | lo);
                        p += 2;
                } else
                        *w++ = *p;
        }
        *w = 0;
}

/* Follows an RFC 6901 JSON pointer ("/a/b~1c/0") from o. */
static json_object *pointer_follow(json_object *o, char *pointer) {
        for (char *p = pointer; o && *p == '/';) {
                p++;
                size_t n = strcspn(p, "/");
                char saved = p[n];
                p[n] = 0;

                /* ~1 is "/" and ~0 is "~", decoded in that order. */
                char *w = p;
                for (char *c = p; *c; c++) {
                        if (c[0] == '~' && (c[1] == '0' || c[1] == '1')) {
                                *w++ = c[1] == '0' ? '~' : '/';
                                c++;
                        } else
                                *w++ = *c;
                }
                *w = 0;

                json_object *next = NULL;
                if (json_object_is_type(o, json_type_object))
                        json_object_object_get_ex(o, p, &next);
                else if (json_object_is_type(o, json_type_array)) {
                        char *end;
                        errno = 0;
                        unsigned long i = strtoul(p, &end, 10);
                        if (!*p || *end || errno || (p[0] == '0' && p[1]) || i >= json_object_array_length(o))
                                return NULL;
                        next = json_object_array_get_idx(o, i);
                }
                o = next;
                p += n;
                *p = saved;
        }
        return o;
}

/* Finds the schema under o (not descending into embedded resources) whose key equals name. */
static json_object *find_by_key(json_object *o, const char *key, const char *name, bool top) {
        if (json_object_is_type(o, json_type_array)) {
                for (size_t i = 0, n = json_object_array_length(o); i < n; i++) {
                        json_object *found = find_by_key(json_object_array_get_idx(o, i), key, name, false);
                        if (found)
                                return found;
                }
                return NULL;
        }
        if (!json_object_is_type(o, json_type_object))
                return NULL;
        if (streq_ptr(json_get_string(o, key), name))
                return o;
        /* Anchors belong to their resource: an embedded $id starts another. ($id search goes everywhere.) */
        if (!top && !streq(key, "$id") && json_get_string(o, "$id"))
                return NULL;
        json_object_object_foreach (o, k, v) {
                if (streq(k, "enum") || streq(k, "const") || streq(k, "examples") || streq(k, "default"))
                        continue; /* values, not schemas */
                json_object *found = find_by_key(v, key, name, false);
                if (found)
                        return found;
        }
        return NULL;
}

static bool id_matches(const char *id, const char *base) {
        if (streq(id, base))
                return true;
        /* A relative reference ("item.json") against an absolute $id (".../item.json"). */
        size_t li = strlen(id), lb = strlen(base);
        return li > lb && id[li - lb - 1] == '/' && streq(id + li - lb, base);
}

static json_object *find_id(json_object *o, const char *base) {
        if (json_object_is_type(o, json_type_array)) {
                for (size_t i = 0, n = json_object_array_length(o); i < n; i++) {
                        json_object *found = find_id(json_object_array_get_idx(o, i), base);
                        if (found)
                                return found;
                }
                return NULL;
        }
        if (!json_object_is_type(o, json_type_object))
                return NULL;
        const char *id = json_get_string(o, "$id");
        if (id) {
                _cleanup_free_ char *bare = strndup(id, strcspn(id, "#"));
                if (bare && id_matches(bare, base))
                        return o;
        }
        json_object_object_foreach (o, k, v) {
                if (streq(k, "enum") || streq(k, "const") || streq(k, "examples") || streq(k, "default"))
                        continue;
                json_object *found = find_id(v, base);
                if (found)
                        return found;
        }
        return NULL;
}

json_object *jsonschema_resolve(json_object *document, json_object *resource, const char *ref) {
        const char *hash = strchr(ref, '#');
        json_object *base = resource ?: document;

        if (hash != ref) {
                _cleanup_free_ char *uri = strndup(ref, hash ? (size_t) (hash - ref) : strlen(ref));
                if (!uri)
                        return NULL;
                base = find_id(document, uri);
                if (!base)
                        return NULL;
        }
        if (!hash || !hash[1])
                return base;

        _cleanup_free_ char *fragment = strdup(hash + 1);
        if (!fragment)
                return NULL;
        percent_decode(fragment);
        if (fragment[0] == '/')
                return pointer_follow(base, fragment);
        return find_by_key(base, "$anchor", fragment, true) ?: find_by_key(base, "$dynamicAnchor", fragment, true);
}

static const char *const type_names[] = { "null", "boolean", "object", "array", "number", "string", "integer" };

bool jsonschema_type_name_valid(const char *type) {
        FOREACH_ELEMENT(t, type_names)
        if (streq(*t, type))
                return true;
        return false;
}

bool jsonschema_has_type(json_object *instance, const char *type) {
        if (streq(type, "number"))
                return json_is_number(instance);
        if (streq(type, "integer"))
                return json_is_integral(instance);
        if (streq(type, "null"))
                return json_object_is_type(instance, json_type_null);
        if (streq(type, "boolean"))
                return json_object_is_type(instance, json_type_boolean);
        if (streq(type, "string"))
                return json_object_is_type(instance, json_type_string);
        if (streq(type, "object"))
                return json_object_is_type(instance, json_type_object);
        if (streq(type, "array"))
                return json_object_is_type(instance, json_type_array);
        return false;
}
