/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Signing a GitHub App's JWT with OpenSSL: base64url(header).base64url(claims).base64url(RS256 signature). */
#include <inttypes.h>
#include <openssl/pem.h>
#include <stdio.h>

#include "app-token.h"
#include "base64url.h"

int app_key_from_pem(const char *pem, EVP_PKEY **ret) {
        BIO *bio = BIO_new_mem_buf(pem, -1);
        if (!bio)
                return -ENOMEM;
        EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        BIO_free(bio);
        if (!key)
                return -EINVAL;
        if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
                EVP_PKEY_free(key);
                return -EINVAL;
        }
        *ret = key;
        return 0;
}

int app_jwt_new(EVP_PKEY *key, const char *app_id, uint64_t now_sec, char **ret) {
        static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
        _cleanup_free_ char *claims = NULL, *h = NULL, *c = NULL, *input = NULL, *s = NULL;
        if (asprintf(&claims, "{\"iat\":%" PRIu64 ",\"exp\":%" PRIu64 ",\"iss\":\"%s\"}", now_sec - 60, now_sec + 540,
                    app_id) < 0)
                return -ENOMEM;
        h = base64url_encode(header, strlen(header));
        c = base64url_encode(claims, strlen(claims));
        if (!h || !c || asprintf(&input, "%s.%s", h, c) < 0)
                return -ENOMEM;

        EVP_MD_CTX *md = EVP_MD_CTX_new();
        size_t size = 0;
        _cleanup_free_ unsigned char *sig = NULL;
        bool ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
                EVP_DigestSign(md, NULL, &size, (const unsigned char *) input, strlen(input)) == 1 &&
                (sig = malloc(size)) &&
                EVP_DigestSign(md, sig, &size, (const unsigned char *) input, strlen(input)) == 1;
        EVP_MD_CTX_free(md);
        if (!ok)
                return -EIO;
        s = base64url_encode(sig, size);
        if (!s || asprintf(ret, "%s.%s", input, s) < 0)
                return -ENOMEM;
        return 0;
}
