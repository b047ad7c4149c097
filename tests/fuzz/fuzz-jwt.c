/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the JWT parser: tokens as they arrive, tokens signed here so that the claims checks
 * are reached too, and JWKS documents. The first byte picks which. */
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "base64url.h"
#include "jwt.h"

#define NOW (UINT64_C(1800000000) * USEC_PER_SEC)

static const uint8_t secret[32] = "fuzzing secret, 32 bytes long!!";
static JwtVerifier *verifier;

static void setup(void) {
        JwtPolicy policy = { .issuer = "https://idp.example",
                .audience = "https://gateway.example/mcp",
                .leeway_usec = 60 * USEC_PER_SEC };
        if (jwt_verifier_new(&policy, &verifier) < 0 ||
                jwt_verifier_add_secret(verifier, NULL, secret, sizeof(secret), NULL) < 0)
                abort();
        EVP_PKEY *pkey = EVP_EC_gen("P-256");
        BIO *b = BIO_new(BIO_s_mem());
        char *pem;
        if (!pkey || !b || PEM_write_bio_PUBKEY(b, pkey) != 1)
                abort();
        long n = BIO_get_mem_data(b, &pem);
        if (jwt_verifier_add_pem(verifier, "ec", pem, (size_t) n, NULL) < 0)
                abort();
        BIO_free(b);
        EVP_PKEY_free(pkey);
}

static void verify(const char *token) {
        JwtClaims c = {};
        const char *error = NULL;
        int r = jwt_verify(verifier, token, NOW, &c, &error);
        if (r == 0 && !error)
                abort(); /* every refusal says why */
        jwt_claims_done(&c);
}

/* data is "header<NUL>payload": both encoded, signed with the verifier's secret, and verified. */
static void verify_signed(const uint8_t *data, size_t size) {
        const uint8_t *nul = memchr(data, 0, size);
        size_t hn = nul ? (size_t) (nul - data) : size;
        char *h = base64url_encode(data, hn), *p = base64url_encode(nul ? nul + 1 : data, nul ? size - hn - 1 : 0);
        char *input = NULL, *token = NULL, *sig = NULL;
        uint8_t mac[32];
        unsigned l = 0;
        if (!h || !p || asprintf(&input, "%s.%s", h, p) < 0)
                abort();
        if (!HMAC(EVP_sha256(), secret, sizeof(secret), (const uint8_t *) input, strlen(input), mac, &l))
                abort();
        sig = base64url_encode(mac, l);
        if (!sig || asprintf(&token, "%s.%s", input, sig) < 0)
                abort();
        verify(token);
        free(h);
        free(p);
        free(input);
        free(sig);
        free(token);
}

static void jwks(const uint8_t *data, size_t size) {
        JwtPolicy policy = {};
        JwtVerifier *v = NULL;
        if (jwt_verifier_new(&policy, &v) < 0)
                abort();
        (void) jwt_verifier_set_jwks(v, (const char *) data, size, NULL);
        jwt_verifier_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (!verifier)
                setup();
        if (size < 1 || size > 16384)
                return 0;
        uint8_t mode = data[0] % 3;
        data++, size--;
        if (mode == 1) {
                verify_signed(data, size);
                return 0;
        }
        if (mode == 2) {
                jwks(data, size);
                return 0;
        }
        char *token = strndup((const char *) data, size);
        if (!token)
                abort();
        verify(token);
        free(token);
        return 0;
}
