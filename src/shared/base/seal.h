/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sealed tokens: data encrypted and authenticated with AES-256-GCM under a server key, as base64url text, so
 * that any replica holding the key can open what another sealed, and nobody else can read or alter it. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define SEAL_KEY_SIZE 32

typedef struct SealKey {
        uint8_t bytes[SEAL_KEY_SIZE];
} SealKey;

/* A fresh random key. */
int seal_key_generate(SealKey *ret);
/* Derives the key from secret material (a file's contents, a credential) with HKDF-SHA256. */
int seal_key_derive(SealKey *ret, const void *secret, size_t size, const char *purpose);

/* Overwrites the key (OPENSSL_cleanse, which the compiler does not drop) before its memory is freed. */
void seal_key_wipe(SealKey *key);

/* Seals data; the context (e.g. "requestState") is authenticated too, so a token sealed for one purpose
 * does not open for another. *ret is a NUL-terminated base64url string. */
int seal(const SealKey *key, const char *context, const void *data, size_t size, char **ret);
/* Opens a token: 0 with the data (NUL-terminated for convenience), -EBADMSG when the token was altered,
 * truncated, sealed with another key or for another context. */
int unseal(const SealKey *key, const char *context, const char *token, void **ret, size_t *ret_size);
