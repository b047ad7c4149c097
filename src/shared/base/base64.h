/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Standard base64 (RFC 4648 §4, padded), as MCP carries binary content (images, audio, blobs). */
#pragma once

#include <stddef.h>

/* A NUL-terminated base64 string of n bytes, or NULL when out of memory. */
char *base64_encode(const void *p, size_t n);
/* Decodes n characters of text, skipping line breaks and spaces. -EINVAL when it is not base64. *ret is
 * NUL-terminated for convenience (not counted in *ret_size). */
int base64_decode(const char *text, size_t n, char **ret, size_t *ret_size);
