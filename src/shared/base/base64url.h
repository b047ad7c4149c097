/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* base64url without padding (RFC 4648 §5), strict: only the canonical encoding decodes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A NUL-terminated base64url string of n bytes, or NULL when out of memory. */
char *base64url_encode(const void *in, size_t n);
/* Decodes exactly n characters of in. Refuses padding, characters outside the alphabet, a length of 1 mod 4
 * and non-zero left-over bits with -EBADMSG. *ret is NUL-terminated for convenience (not counted in
 * *ret_size). */
int base64url_decode(const char *in, size_t n, uint8_t **ret, size_t *ret_size);
