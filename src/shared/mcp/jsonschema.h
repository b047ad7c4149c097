/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON Schema 2020-12 validation of tool arguments (and of anything else a server wants checked).
 *
 * Supported: type, enum, const; multipleOf, minimum, maximum, exclusiveMinimum, exclusiveMaximum;
 * minLength, maxLength (in code points), pattern (ECMA-262-like, through PCRE2); items, prefixItems,
 * contains, minContains, maxContains, minItems, maxItems, uniqueItems, unevaluatedItems; properties,
 * patternProperties, additionalProperties, propertyNames, required, dependentRequired, dependentSchemas,
 * minProperties, maxProperties, unevaluatedProperties; allOf, anyOf, oneOf, not, if/then/else; boolean
 * schemas; $ref and $dynamicRef to "#", JSON pointers ("#/$defs/x"), anchors ("#name") and to embedded
 * schemas by their $id. References to other documents are refused. `format` and the metadata keywords
 * (title, description, default, examples, ...) are annotations and do not affect validity. */
#pragma once

#include "json-util.h"

/* Checks that schema is a usable schema: keyword values of the right types, patterns that compile,
 * references that resolve. Returns 0, or -EINVAL with a message in *ret_error (may be NULL), or -ENOMEM. */
int jsonschema_check(json_object *schema, char **ret_error);

/* Validates instance against schema. Returns 1 when it is valid, 0 when it is not (with the first reason in
 * *ret_error, which starts with the instance location, e.g. "at /items/2: 7 is greater than the maximum
 * 5"), or a negative errno: -EINVAL for a schema that jsonschema_check() would refuse, -ELOOP for a
 * reference cycle that consumes no input, -ENOMEM. ret_error may be NULL. */
int jsonschema_validate(json_object *schema, json_object *instance, char **ret_error);
