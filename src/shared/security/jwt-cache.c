/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tokens already verified, by SHA-256 of their text: a client sends the same token with every request, and
 * an ES384 or EdDSA signature check costs far more than a hash. Direct-mapped, so bounded in size. */
#include <openssl/sha.h>

#include "jwt-internal.h"
#include "strv.h"

int jwt_claims_copy(const JwtClaims *from, JwtClaims *to) {
        _cleanup_(jwt_claims_done) JwtClaims c = {
                .expires_usec = from->expires_usec,
                .alg = from->alg,
        };
        if (!(c.subject = strdup(from->subject)) || (from->issuer && !(c.issuer = strdup(from->issuer))) ||
                (from->kid && !(c.kid = strdup(from->kid))) || !(c.scopes = strv_copy(from->scopes)))
                return -ENOMEM;
        *to = c;
        c = (JwtClaims){};
        return 0;
}

void jwt_cache_clear(JwtCache *c) {
        FOREACH_ELEMENT(s, c->slots) {
                jwt_claims_done(&s->claims);
                s->used = false;
        }
}

void jwt_cache_digest(const char *token, size_t len, uint8_t digest[JWT_CACHE_DIGEST_SIZE]) {
        SHA256((const uint8_t *) token, len, digest);
}

static JwtCacheSlot *slot_of(JwtCache *c, const uint8_t digest[JWT_CACHE_DIGEST_SIZE]) {
        return &c->slots[((size_t) digest[0] << 8 | digest[1]) % ELEMENTSOF(c->slots)];
}

const JwtClaims *jwt_cache_find(JwtCache *c, const uint8_t digest[JWT_CACHE_DIGEST_SIZE]) {
        JwtCacheSlot *s = slot_of(c, digest);
        if (!s->used || memcmp(s->digest, digest, JWT_CACHE_DIGEST_SIZE) != 0) {
                c->misses++;
                return NULL;
        }
        c->hits++;
        return &s->claims;
}

void jwt_cache_forget(JwtCache *c, const uint8_t digest[JWT_CACHE_DIGEST_SIZE]) {
        JwtCacheSlot *s = slot_of(c, digest);
        if (s->used && memcmp(s->digest, digest, JWT_CACHE_DIGEST_SIZE) == 0) {
                jwt_claims_done(&s->claims);
                s->used = false;
        }
}

int jwt_cache_put(JwtCache *c, const uint8_t digest[JWT_CACHE_DIGEST_SIZE], const JwtClaims *claims) {
        JwtClaims copy = {};
        int r = jwt_claims_copy(claims, &copy);
        if (r < 0)
                return r;
        JwtCacheSlot *s = slot_of(c, digest);
        jwt_claims_done(&s->claims);
        memcpy(s->digest, digest, JWT_CACHE_DIGEST_SIZE);
        s->claims = copy;
        s->used = true;
        return 0;
}
