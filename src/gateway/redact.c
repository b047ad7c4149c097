/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Secrets in tool results replaced by PCRE2 patterns, and results cut to a size cap without breaking JSON. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>

#include "json-util.h"
#include "redact.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(pcre2_match_data *, pcre2_match_data_free);

typedef struct BuiltinPattern {
        const char *name;
        const char *pattern;
        const char *replacement;
} BuiltinPattern;

/* Each pattern's repetitions stop at a character that cannot follow, so none of them backtracks much. */
static const BuiltinPattern builtin_patterns[] = {
        /* PEM private keys of any kind (PKCS#8, RSA, EC, OPENSSH, ENCRYPTED); one cut off is redacted too. */
        { "private-key",
                "-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?:(?!-----END)[\\s\\S])*+(?:-----END[A-Z0-9 ]*PRIVATE KEY-----)?",
                NULL },
        { "aws-access-key", "\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b", NULL },
        { "github-token", "\\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})\\b", NULL },
        { "slack-token", "\\bxox[abposr]-[A-Za-z0-9-]{10,250}", NULL },
        /* Three base64url parts, the first two JSON objects ("{" encodes as "ey"); the signature may be empty. */
        { "jwt", "\\bey[A-Za-z0-9_-]{10,}\\.ey[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]*", NULL },
        /* scheme://user:password@host keeps scheme and user. */
        { "url-password", "\\b([A-Za-z][A-Za-z0-9+.-]{0,31}://[^\\s:/?#@\\[\\]]*:)[^\\s/?#@]+@",
                "$1" REDACT_MARK_PREFIX "url-password]@" },
};

typedef struct Pattern {
        const char *name; /* static */
        char *replacement;
        pcre2_code *code;
} Pattern;

struct Redactor {
        Pattern *patterns;
        size_t n_patterns;
        pcre2_match_context *match_context;
        pcre2_match_data *match_data;
};

Redactor *redactor_free(Redactor *r) {
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_patterns; i++) {
                pcre2_code_free(r->patterns[i].code);
                free(r->patterns[i].replacement);
        }
        free(r->patterns);
        pcre2_match_context_free(r->match_context);
        pcre2_match_data_free(r->match_data);
        free(r);
        return NULL;
}

static int pattern_add(Redactor *r, const char *name, const char *pattern, const char *replacement, char **ret_error) {
        int code;
        PCRE2_SIZE offset;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &offset, NULL);
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
        /* JIT where the platform has it; the interpreter otherwise. */
        (void) pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);

        char *rep = NULL;
        if (replacement)
                rep = strdup(replacement);
        else if (asprintf(&rep, REDACT_MARK_PREFIX "%s]", name) < 0)
                rep = NULL;
        if (!rep) {
                pcre2_code_free(re);
                return -ENOMEM;
        }
        r->patterns[r->n_patterns++] = (Pattern){ .name = name, .replacement = rep, .code = re };
        return 0;
}

int redactor_new(bool builtin, char *const *patterns, Redactor **ret, char **ret_error) {
        assert(ret);

        size_t n = builtin ? ELEMENTSOF(builtin_patterns) : 0;
        for (char *const *p = patterns; p && *p; p++)
                n++;

        _cleanup_(redactor_freep) Redactor *r = new0(Redactor, 1);
        if (!r || !(r->patterns = new0(Pattern, MAX(n, 1u))) ||
                !(r->match_context = pcre2_match_context_create(NULL)) ||
                !(r->match_data = pcre2_match_data_create(16, NULL)))
                return -ENOMEM;
        pcre2_set_match_limit(r->match_context, REDACT_MATCH_LIMIT);
        pcre2_set_depth_limit(r->match_context, REDACT_DEPTH_LIMIT);

        int k;
        if (builtin)
                FOREACH_ELEMENT(b, builtin_patterns)
        if ((k = pattern_add(r, b->name, b->pattern, b->replacement, ret_error)) < 0)
                return k;
        for (char *const *p = patterns; p && *p; p++)
                if ((k = pattern_add(r, "pattern", *p, NULL, ret_error)) < 0)
                        return k;
        *ret = TAKE_PTR(r);
        return 0;
}

size_t redactor_n_patterns(Redactor *r) {
        return r ? r->n_patterns : 0;
}

const char *redactor_pattern_name(Redactor *r, size_t i) {
        return r && i < r->n_patterns ? r->patterns[i].name : NULL;
}

/* One pattern over s: 0 and *ret NULL without a match, the number of replacements with the new string, or
 * -E2BIG when the pattern could not decide within its limits (or s is not UTF-8). options: 0 the first
 * time, PCRE2_NO_UTF_CHECK once PCRE2 has seen that s is valid (checking costs more than matching). */
static int pattern_apply(Redactor *r, const Pattern *p, const char *s, size_t len, uint32_t options, char **ret,
        size_t *ret_len) {
        int k = pcre2_match(p->code, (PCRE2_SPTR) s, len, 0, options, r->match_data, r->match_context);
        if (k == PCRE2_ERROR_NOMATCH) {
                *ret = NULL;
                return 0;
        }
        if (k < 0)
                return -E2BIG;

        PCRE2_SIZE size = len + 64;
        for (int attempt = 0; attempt < 2; attempt++) {
                _cleanup_free_ char *out = malloc(size);
                if (!out)
                        return -ENOMEM;
                PCRE2_SIZE n = size;
                k = pcre2_substitute(p->code, (PCRE2_SPTR) s, len, 0,
                        options | PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH, r->match_data,
                        r->match_context, (PCRE2_SPTR) p->replacement, PCRE2_ZERO_TERMINATED, (PCRE2_UCHAR *) out, &n);
                if (k == PCRE2_ERROR_NOMEMORY) {
                        size = n; /* what it needs, with the terminating NUL */
                        continue;
                }
                if (k < 0)
                        return -E2BIG;
                *ret = TAKE_PTR(out);
                *ret_len = n;
                return k;
        }
        return -E2BIG;
}

int redactor_redact_string(Redactor *r, const char *s, size_t len, char **ret, size_t *ret_len, uint64_t *counts) {
        assert(r);
        assert(s || len == 0);
        assert(ret);

        _cleanup_free_ char *current = NULL;
        size_t current_len = len;
        int total = 0;

        for (size_t i = 0; i < r->n_patterns; i++) {
                char *next = NULL;
                size_t next_len = 0;
                /* What the patterns put in is ASCII, so a string found valid stays valid. */
                int k = pattern_apply(r, &r->patterns[i], current ?: s, current_len, i > 0 ? PCRE2_NO_UTF_CHECK : 0,
                        &next, &next_len);
                if (k == -ENOMEM)
                        return k;
                if (k == -E2BIG) {
                        /* Too costly to check, so not known to be free of secrets: nothing of it leaves. */
                        free(current);
                        if (asprintf(&current, REDACT_MARK_PREFIX "unchecked] (%zu bytes that %s could not check)", len,
                                    r->patterns[i].name) < 0)
                                return -ENOMEM;
                        if (counts)
                                counts[i]++;
                        if (ret_len)
                                *ret_len = strlen(current);
                        *ret = TAKE_PTR(current);
                        return total + 1;
                }
                if (k == 0)
                        continue;
                free(current);
                current = next;
                current_len = next_len;
                total += k;
                if (counts)
                        counts[i] += k;
        }
        if (ret_len)
                *ret_len = current_len;
        *ret = TAKE_PTR(current);
        return total;
}

int redactor_redact_json(Redactor *r, json_object *v, uint64_t *counts) {
        assert(r);
        int total = 0, k;

        switch (json_object_get_type(v)) {
        case json_type_string: {
                _cleanup_free_ char *s = NULL;
                size_t n = 0;
                k = redactor_redact_string(r, json_object_get_string(v), json_object_get_string_len(v), &s, &n, counts);
                if (k <= 0)
                        return k;
                if (json_object_set_string_len(v, s, (int) n) == 0)
                        return -ENOMEM;
                return k;
        }
        case json_type_array:
                for (size_t i = 0; i < json_object_array_length(v); i++) {
                        if ((k = redactor_redact_json(r, json_object_array_get_idx(v, i), counts)) < 0)
                                return k;
                        total += k;
                }
                return total;
        case json_type_object:
                json_object_object_foreach (v, key, value) {
                        (void) key;
                        if ((k = redactor_redact_json(r, value, counts)) < 0)
                                return k;
                        total += k;
                }
                return total;
        default:
                return 0;
        }
}
