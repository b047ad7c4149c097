/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json-c helpers: cleanup, strict parsing with limits, typed getters. */
#pragma once

#include <json-c/json.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
#define _cleanup_json_ _cleanup_(json_object_putp)

/* Nesting deeper than this is refused while parsing (json-c's default is 32). */
#define JSON_MAX_DEPTH 64

/* Parses exactly one JSON value from buf (len bytes, need not be NUL terminated). Refuses invalid UTF-8,
 * trailing garbage and nesting deeper than JSON_MAX_DEPTH. Returns 0, -EINVAL on a syntax error (with a
 * human-readable reason in *ret_reason, static storage) or -ENOMEM. */
int json_parse_strict(const char *buf, size_t len, json_object **ret, const char **ret_reason);

/* Typed lookups: return NULL (or the default) when the key is absent or of another type. */
const char *json_get_string(json_object *o, const char *key);
json_object *json_get_object(json_object *o, const char *key);
json_object *json_get_array(json_object *o, const char *key);
bool json_get_bool(json_object *o, const char *key, bool def);

/* Serializes compactly, without escaping '/'. The string belongs to o. */
const char *json_to_string(json_object *o);

/* Adds key to obj, taking the reference of value. Returns 0 or -ENOMEM. */
int json_add(json_object *obj, const char *key, json_object *value);
int json_add_string(json_object *obj, const char *key, const char *value);
