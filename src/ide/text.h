/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a file's bytes are: text in which encoding, or binary; and the conversions the tools show text in. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum IdeEncoding {
        IDE_ENCODING_UTF8,
        IDE_ENCODING_UTF8_BOM,
        IDE_ENCODING_LATIN1, /* not UTF-8, no NULs: shown converted to UTF-8 */
        IDE_ENCODING_UTF16LE,
        IDE_ENCODING_UTF16BE,
        IDE_ENCODING_BINARY,
} IdeEncoding;

/* Looks at the first bytes of a file (8 KiB are plenty). A NUL or a byte of control that text never has
 * makes it binary, a byte-order mark UTF-16 or UTF-8 with BOM; data cut off in the middle of a UTF-8
 * sequence at the end is still UTF-8. */
IdeEncoding ide_encoding_detect(const char *data, size_t size);
const char *ide_encoding_to_string(IdeEncoding e);
/* The length of the longest prefix of data that is valid UTF-8. */
size_t utf8_valid_prefix(const char *data, size_t size);
bool utf8_is_valid(const char *data, size_t size);
/* Latin-1 to UTF-8, a new NUL-terminated string. */
char *latin1_to_utf8(const char *data, size_t size);
/* The bytes after which a cut at most max bytes into data leaves whole UTF-8 sequences. */
size_t utf8_cut(const char *data, size_t size, size_t max);
/* A JSON string of n bytes at p, with each byte that is not part of valid UTF-8 replaced by U+FFFD (JSON is
 * Unicode text; file contents and names need not be). NULL on OOM. */
struct json_object *ide_json_string(const char *p, size_t n);
