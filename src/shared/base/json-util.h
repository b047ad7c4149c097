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

/* The canonical text of o, for hashing: members of objects sorted by key (bytewise), no whitespace, strings
 * escaped as json-c escapes them, numbers as their JSON text (json-c keeps a parsed double's text as it
 * came; integers are exact within 64 bits). Two values with the same canonical text are the same value to
 * every handler. *ret is a new string. */
int json_canonical_text(json_object *o, char **ret);

/* Whether a string value holds a NUL (json-c keeps "\u0000"; C string functions would stop at it). */
bool json_string_has_nul(json_object *s);

/* Whether o's serialized size could exceed max bytes (counted without serializing, stopping early). */
bool json_size_exceeds(json_object *o, size_t max);

/* Adds key to obj, taking the reference of value. Returns 0 or -ENOMEM. */
int json_add(json_object *obj, const char *key, json_object *value);
int json_add_string(json_object *obj, const char *key, const char *value);
