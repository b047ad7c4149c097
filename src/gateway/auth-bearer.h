/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What an Authorization header says: an API key or a JWT bearer token checked, and the principal and scopes
 * it stands for, or why it is refused (for WWW-Authenticate). */
#pragma once

#include <stdint.h>

#include "apikey.h"
#include "jwt.h"

/* Longer Authorization headers are refused before anything looks at them. */
#define BEARER_MAX 8192

typedef struct BearerResult {
        char *principal;         /* "key:NAME" or "jwt:SUB" */
        char *scopes;            /* separated by spaces */
        const char *error;       /* when refused: the RFC 6750 error code, invalid_request or invalid_token */
        const char *description; /* when refused: a sentence for error_description (static storage) */
} BearerResult;

void bearer_result_done(BearerResult *r);

/* Checks header (the Authorization header's value) against keys and, for anything that is not an API key,
 * jwt (may be NULL: no tokens accepted). now_usec is CLOCK_REALTIME in µs. 1: *ret has the principal and
 * scopes; 0: refused, *ret says why; -ENOMEM. */
int auth_bearer_check(ApiKeyStore *keys, JwtVerifier *jwt, const char *header, uint64_t now_usec, BearerResult *ret);
