/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON values as JSON means them: numbers by value (1 == 1.0), objects without member order. */
#pragma once

#include <stdint.h>

#include "json-util.h"

/* True for json-c's int and double types. */
bool json_is_number(json_object *o);
/* The value of a number; exact for every int64 and uint64 json-c holds (long double has 64 mantissa bits). */
long double json_number(json_object *o);
/* True for a number with no fractional part: 1 and 1.0 both are, as JSON Schema counts them. */
bool json_is_integral(json_object *o);

/* Deep equality: numbers by value, objects by members regardless of order, arrays item by item. */
bool json_equal(json_object *a, json_object *b);
/* A hash consistent with json_equal (equal values hash alike). */
uint64_t json_hash(json_object *o);

/* Number of Unicode code points in a valid UTF-8 string. */
size_t utf8_length(const char *s, size_t n_bytes);
