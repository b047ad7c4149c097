/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What jwt.c and jwt-key.c share: the accepted keys, their types and the signature check per algorithm. */
#pragma once

#include <openssl/evp.h>

#include "jwt.h"

typedef enum JwtKeyType {
        JWT_KEY_SECRET,
        JWT_KEY_RSA,
        JWT_KEY_EC_P256,
        JWT_KEY_EC_P384,
        JWT_KEY_ED25519,
} JwtKeyType;

typedef struct JwtAlg {
        const char *name;
        JwtKeyType key_type;
        const char *digest; /* NULL for EdDSA */
        int padding;        /* RSA: RSA_PKCS1_PADDING or RSA_PKCS1_PSS_PADDING; else 0 */
        size_t sig_size;    /* exact JOSE signature size for EC and EdDSA; 0: any */
} JwtAlg;

typedef struct JwtKey {
        char *kid; /* NULL: matches any kid */
        char *alg; /* NULL: any algorithm of its type */
        JwtKeyType type;
        EVP_PKEY *pkey;  /* all but JWT_KEY_SECRET */
        uint8_t *secret; /* JWT_KEY_SECRET */
        size_t secret_size;
} JwtKey;

typedef struct JwtKeyList {
        JwtKey *keys;
        size_t n;
} JwtKeyList;

void jwt_key_list_done(JwtKeyList *l);

/* The algorithm called name, or NULL ("none" and anything unknown). */
const JwtAlg *jwt_alg_find(const char *name);

/* Fill k from a secret or a PEM public key; kid may be NULL. Take ownership of nothing. */
int jwt_key_from_secret(JwtKey *k, const char *kid, const void *secret, size_t size, const char **ret_reason);
int jwt_key_from_pem(JwtKey *k, const char *kid, const char *pem, size_t size, const char **ret_reason);
void jwt_key_done(JwtKey *k);
int jwt_key_list_add(JwtKeyList *l, JwtKey *k);

/* Parses a JWKS document into *ret (emptied first). */
int jwt_jwks_parse(const char *json, size_t size, JwtKeyList *ret, const char **ret_reason);

/* Whether sig is alg's signature of data under k (k's type must be alg's). 1 yes, 0 no, -ENOMEM. */
int jwt_key_verify(const JwtKey *k, const JwtAlg *alg, const void *data, size_t size, const uint8_t *sig,
        size_t sig_size);

/* Verified tokens, by SHA-256 of their text, with their claims; cleared whenever the keys change. */
#define JWT_CACHE_SLOTS 256
#define JWT_CACHE_DIGEST_SIZE 32

typedef struct JwtCacheSlot {
        uint8_t digest[JWT_CACHE_DIGEST_SIZE];
        bool used;
        JwtClaims claims;
} JwtCacheSlot;

typedef struct JwtCache {
        JwtCacheSlot slots[JWT_CACHE_SLOTS];
        uint64_t hits, misses;
} JwtCache;

int jwt_claims_copy(const JwtClaims *from, JwtClaims *to);
void jwt_cache_clear(JwtCache *c);
void jwt_cache_digest(const char *token, size_t len, uint8_t digest[JWT_CACHE_DIGEST_SIZE]);
/* The claims of a token verified before, or NULL; they belong to the cache. */
const JwtClaims *jwt_cache_find(JwtCache *c, const uint8_t digest[JWT_CACHE_DIGEST_SIZE]);
void jwt_cache_forget(JwtCache *c, const uint8_t digest[JWT_CACHE_DIGEST_SIZE]);
/* Remembers a copy of claims, in place of whatever shared the slot. */
int jwt_cache_put(JwtCache *c, const uint8_t digest[JWT_CACHE_DIGEST_SIZE], const JwtClaims *claims);
