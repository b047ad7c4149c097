/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A size cap on tool results: text cut with a visible notice, and always a valid JSON document. */
#pragma once

#include <json-c/json.h>
#include <stddef.h>

/* The smallest cap that leaves room for the notices. */
#define RESULT_CAP_MIN 1024U

/* Caps a tools/call result (the result object, not the JSON-RPC response) at max bytes of compact JSON, in
 * place: the longest texts (text contents and embedded text resources) are cut on a UTF-8 boundary and end
 * with a notice saying how much was shown; large binary contents (image, audio, embedded blobs) become a
 * text notice. When that is not enough (a large structuredContent, thousands of items), the result becomes
 * an isError result saying how large it was and what the limit is. tool names the tool in the notices.
 * Returns 1 when the result was changed, 0 when it fits, or -ENOMEM. */
int result_cap(json_object *result, size_t max, const char *tool);
