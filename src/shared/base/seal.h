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
        /* What seal_key_derive() was given, until the first seal() or unseal() derives the key from it: the
         * secret, then the purpose as a NUL-terminated string. */
        uint8_t *pending;
        size_t pending_size; /* the secret's */
} SealKey;

/* A fresh random key, from the kernel (getrandom()): OpenSSL is not started for it. */
int seal_key_generate(SealKey *ret);
/* The key derived from secret material (a file's contents, a credential) with HKDF-SHA256 for purpose, in
 * place of what *ret held (wipe a key first). The derivation is left to the first seal() or unseal(): it
 * starts OpenSSL's providers, which take 2 MiB of a process that never seals anything (a server nobody calls
 * over HTTP). Returns 0, -ENOMEM or -E2BIG. */
int seal_key_derive(SealKey *ret, const void *secret, size_t size, const char *purpose);

/* Overwrites the key and the secret it would be derived from (OPENSSL_cleanse, which the compiler does not
 * drop) and frees the secret, before the key's memory is freed. */
void seal_key_wipe(SealKey *key);

/* Seals data; the context (e.g. "requestState") is authenticated too, so a token sealed for one purpose
 * does not open for another. *ret is a NUL-terminated base64url string. */
int seal(SealKey *key, const char *context, const void *data, size_t size, char **ret);
/* Opens a token: 0 with the data (NUL-terminated for convenience), -EBADMSG when the token was altered,
 * truncated, sealed with another key or for another context. */
int unseal(SealKey *key, const char *context, const char *token, void **ret, size_t *ret_size);
