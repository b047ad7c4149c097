/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What jsonschema.c (validation) and jsonschema-check.c (schema checking) share: patterns and references. */
#pragma once

#include "json-util.h"

/* Searches subject (len bytes of UTF-8) for pattern, anywhere in it, as ECMA-262 does. Returns 1 for a match,
 * 0 for none, -EINVAL for a pattern that does not compile (with PCRE2's reason in *ret_error when not NULL),
 * -E2BIG when matching needs more backtracking than allowed, -ENOMEM. Compiled patterns are cached. */
int jsonschema_regex_search(const char *pattern, const char *subject, size_t len, char **ret_error);

/* Resolves a $ref or $dynamicRef value. document is the whole schema, resource the innermost enclosing schema
 * with an $id (or the document): "#..." fragments are looked up in it. Returns the target or NULL. */
json_object *jsonschema_resolve(json_object *document, json_object *resource, const char *ref);

/* The JSON types named by "type", as they apply to an instance. */
bool jsonschema_has_type(json_object *instance, const char *type);
bool jsonschema_type_name_valid(const char *type);
