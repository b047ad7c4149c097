/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JWT bearer tokens: a verifier holding the accepted keys and claims policy checks a compact JWS with
 * OpenSSL and returns its subject, scopes and expiry, or a sentence saying why it was refused. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define JWT_SIZE_MAX_DEFAULT 8192
#define JWT_LEEWAY_USEC_DEFAULT (UINT64_C(60) * USEC_PER_SEC)
#define JWT_SECRET_MIN 32 /* bytes; HS384 and HS512 need 48 and 64 (RFC 7518 §3.2) */
#define JWT_RSA_BITS_MIN 2048
#define JWT_SUBJECT_MAX 256 /* bytes of sub */
#define JWT_SCOPES_MAX 256  /* distinct scopes */

typedef struct JwtVerifier JwtVerifier;

typedef struct JwtPolicy {
        const char *issuer;   /* iss must equal it; NULL: not checked */
        const char *audience; /* aud (a string or an array) must contain it; NULL: not checked */
        uint64_t leeway_usec; /* allowed clock skew for exp, nbf and iat */
        size_t max_size;      /* longest token accepted, in bytes; 0: JWT_SIZE_MAX_DEFAULT */
} JwtPolicy;

typedef struct JwtClaims {
        char *subject;         /* sub */
        char *issuer;          /* iss, or NULL */
        char **scopes;         /* from scope (space-separated) and scp (array or string); never NULL */
        uint64_t expires_usec; /* exp, CLOCK_REALTIME µs */
        char *kid;             /* the header's kid, or NULL */
        const char *alg;       /* static string: "RS256", ... */
} JwtClaims;

void jwt_claims_done(JwtClaims *c);

/* The policy's strings are copied. */
int jwt_verifier_new(const JwtPolicy *policy, JwtVerifier **ret);
JwtVerifier *jwt_verifier_free(JwtVerifier *v);
DEFINE_TRIVIAL_CLEANUP_FUNC(JwtVerifier *, jwt_verifier_free);

/* Keys. A key given with a kid matches only tokens naming that kid; a key given without one (kid NULL)
 * matches any token whose algorithm fits it. The key's type decides the algorithms it verifies: a secret
 * only HS256/384/512, an RSA key only RS256/384/512 and PS256/384/512, an EC P-256 key only ES256, P-384 only
 * ES384, an Ed25519 key only EdDSA. All return 0, or -EINVAL with a sentence in *ret_reason (static
 * storage, may be NULL) for a key that cannot be used (too short, unsupported type or curve, not PEM). */
int jwt_verifier_add_secret(JwtVerifier *v, const char *kid, const void *secret, size_t size, const char **ret_reason);
int jwt_verifier_add_pem(JwtVerifier *v, const char *kid, const char *pem, size_t size, const char **ret_reason);
/* Reads a file of one PEM public key (SubjectPublicKeyInfo) or a secret (the file's bytes). -errno when
 * the file cannot be read. */
int jwt_verifier_add_pem_file(JwtVerifier *v, const char *kid, const char *path, const char **ret_reason);
int jwt_verifier_add_secret_file(JwtVerifier *v, const char *kid, const char *path, const char **ret_reason);

/* A JWKS file (RFC 7517: {"keys": [...]}, kty RSA, EC, OKP or oct; keys with "use" other than "sig" and of
 * unknown kty are skipped; a key's "alg", when present, is the only algorithm it verifies). Loaded now;
 * replaces an earlier JWKS file. */
int jwt_verifier_set_jwks_file(JwtVerifier *v, const char *path, const char **ret_reason);
/* Reads the JWKS file again when it changed (inode, size, mtime, ctime), or always when force is set
 * (SIGHUP). 1: reloaded, 0: unchanged or no JWKS file, -errno (with *ret_reason for a file that does not
 * parse; -ENOENT when it is gone): the previous keys stay in use. A failure is returned once, not again
 * until the file changes, so that a caller on every request can log each failure once. */
int jwt_verifier_reload(JwtVerifier *v, bool force, const char **ret_reason);
/* Parses JWKS text into the verifier's JWKS keys, replacing them (for tests and callers with the text). */
int jwt_verifier_set_jwks(JwtVerifier *v, const char *json, size_t size, const char **ret_reason);

/* Verifies a compact JWS (the text after "Bearer "). 1: valid, *ret filled (when not NULL); 0: refused,
 * with a sentence for WWW-Authenticate's error_description in *ret_error (static storage); -ENOMEM.
 * Refused: a token over the size limit, anything but three base64url (unpadded, canonical) parts, a header
 * or payload that is not a JSON object, alg "none" or an unknown alg, a crit header, a kid no key has, no
 * key of the algorithm's type, a bad signature, no sub, no exp, exp passed, nbf or iat in the future (each
 * with the leeway), iss or aud not as configured, malformed claims: a sub over JWT_SUBJECT_MAX bytes or with
 * control characters, scopes outside RFC 6749's scope-token characters or more than JWT_SCOPES_MAX. now_usec is
 * CLOCK_REALTIME in µs. */
int jwt_verify(JwtVerifier *v, const char *token, uint64_t now_usec, JwtClaims *ret, const char **ret_error);

/* How many jwt_verify() calls were answered from the verifier's memory of tokens it verified before (256 of
 * them, forgotten whenever a key is added or the JWKS changes); only exp is checked again then. */
uint64_t jwt_verifier_cache_hits(JwtVerifier *v);
