/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Standard base64 (RFC 4648 §4, padded), as MCP's audio content carries it. */
#pragma once

#include <stddef.h>

char *voice_base64_encode(const void *p, size_t n);
/* -EINVAL when text is not base64 (whitespace is skipped). */
int voice_base64_decode(const char *text, size_t n, char **ret, size_t *ret_size);
