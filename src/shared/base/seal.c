/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AES-256-GCM tokens with a random 96-bit nonce: nonce || ciphertext || 128-bit tag, base64url without
 * padding. */
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <sys/random.h>

#include "base64url.h"
#include "seal.h"

#define NONCE_SIZE 12
#define TAG_SIZE 16

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_CIPHER_CTX *, EVP_CIPHER_CTX_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_KDF_CTX *, EVP_KDF_CTX_free);

int seal_key_generate(SealKey *ret) {
        *ret = (SealKey){};
        for (size_t done = 0; done < sizeof(ret->bytes);) {
                ssize_t n = getrandom(ret->bytes + done, sizeof(ret->bytes) - done, 0);
                if (n < 0 && errno != EINTR)
                        return -errno;
                if (n > 0)
                        done += (size_t) n;
        }
        return 0;
}

int seal_key_derive(SealKey *ret, const void *secret, size_t size, const char *purpose) {
        size_t purpose_size = strlen(purpose) + 1;
        if (size > SIZE_MAX - purpose_size)
                return -E2BIG;
        uint8_t *pending = malloc(size + purpose_size);
        if (!pending)
                return -ENOMEM;
        memcpy(pending, secret, size);
        memcpy(pending + size, purpose, purpose_size);
        *ret = (SealKey){ .pending = pending, .pending_size = size };
        return 0;
}

/* The key, derived now from what seal_key_derive() was given if it has not been yet. */
static int seal_key_ready(SealKey *key) {
        if (!key->pending)
                return 0;

        EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
        if (!kdf)
                return -EOPNOTSUPP;
        _cleanup_(EVP_KDF_CTX_freep) EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
        EVP_KDF_free(kdf);
        if (!ctx)
                return -ENOMEM;

        const char *purpose = (const char *) key->pending + key->pending_size;
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *) "SHA256", 0),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key->pending, key->pending_size),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *) purpose, strlen(purpose)),
                OSSL_PARAM_construct_end(),
        };
        if (EVP_KDF_derive(ctx, key->bytes, sizeof(key->bytes), params) != 1)
                return -EINVAL;
        OPENSSL_cleanse(key->pending, key->pending_size);
        key->pending = mfree(key->pending);
        key->pending_size = 0;
        return 0;
}

void seal_key_wipe(SealKey *key) {
        if (!key)
                return;
        OPENSSL_cleanse(key->bytes, sizeof(key->bytes));
        if (key->pending)
                OPENSSL_cleanse(key->pending, key->pending_size);
        key->pending = mfree(key->pending);
        key->pending_size = 0;
}

int seal(SealKey *key, const char *context, const void *data, size_t size, char **ret) {
        if (size > INT32_MAX - NONCE_SIZE - TAG_SIZE)
                return -E2BIG;
        int r = seal_key_ready(key);
        if (r < 0)
                return r;

        _cleanup_free_ uint8_t *buf = malloc(NONCE_SIZE + size + TAG_SIZE);
        _cleanup_(EVP_CIPHER_CTX_freep) EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        if (!buf || !ctx)
                return -ENOMEM;
        if (RAND_bytes(buf, NONCE_SIZE) != 1)
                return -EIO;

        int l;
        if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key->bytes, buf) != 1 ||
                EVP_EncryptUpdate(ctx, NULL, &l, (const uint8_t *) context, (int) strlen(context)) != 1 ||
                EVP_EncryptUpdate(ctx, buf + NONCE_SIZE, &l, data, (int) size) != 1 ||
                EVP_EncryptFinal_ex(ctx, buf + NONCE_SIZE + l, &l) != 1 ||
                EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_SIZE, buf + NONCE_SIZE + size) != 1)
                return -EIO;

        char *token = base64url_encode(buf, NONCE_SIZE + size + TAG_SIZE);
        if (!token)
                return -ENOMEM;
        *ret = token;
        return 0;
}

int unseal(SealKey *key, const char *context, const char *token, void **ret, size_t *ret_size) {
        int r = seal_key_ready(key);
        if (r < 0)
                return r;

        _cleanup_free_ uint8_t *raw = NULL;
        size_t n;
        r = base64url_decode(token, strlen(token), &raw, &n);
        if (r < 0)
                return r;
        if (n < NONCE_SIZE + TAG_SIZE)
                return -EBADMSG;

        size_t size = n - NONCE_SIZE - TAG_SIZE;
        _cleanup_free_ uint8_t *out = malloc(size + 1);
        _cleanup_(EVP_CIPHER_CTX_freep) EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        if (!out || !ctx)
                return -ENOMEM;

        int l;
        if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key->bytes, raw) != 1 ||
                EVP_DecryptUpdate(ctx, NULL, &l, (const uint8_t *) context, (int) strlen(context)) != 1 ||
                EVP_DecryptUpdate(ctx, out, &l, raw + NONCE_SIZE, (int) size) != 1 ||
                EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_SIZE, raw + NONCE_SIZE + size) != 1)
                return -EIO;
        /* The tag check: anything altered, cut short or sealed elsewhere fails here. */
        if (EVP_DecryptFinal_ex(ctx, out + l, &l) != 1)
                return -EBADMSG;

        out[size] = 0;
        *ret = TAKE_PTR(out);
        if (ret_size)
                *ret_size = size;
        return 0;
}
