/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text and bytes as MCP carries them (base64 is base64.h's): UTF-8 checked and repaired, MIME types by file name. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Whether [p, p + n) is valid UTF-8 without NULs; utf8_prefix() is the length of its longest prefix that
 * ends on a character boundary (for text cut into chunks). */
bool utf8_is_text(const char *p, size_t n);
size_t utf8_prefix(const char *p, size_t n);
/* A copy of [p, p + n) with invalid UTF-8 and NULs replaced by U+FFFD. */
char *utf8_sanitize(const char *p, size_t n);
/* A MIME type from the file name's extension. */
const char *mime_type_of(const char *path);
/* Decodes %XX escapes; NULL when an escape is malformed or decodes to NUL. */
char *percent_decode(const char *s);
