/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JWT keys: secrets, PEM public keys and JWKS entries as OpenSSL keys of one type each, and the signature
 * check of every supported algorithm (JOSE's r||s ECDSA signatures converted to DER). */
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "base64url.h"
#include "json-util.h"
#include "jwt-internal.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY_CTX *, EVP_PKEY_CTX_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(BIGNUM *, BN_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(ECDSA_SIG *, ECDSA_SIG_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(OSSL_PARAM_BLD *, OSSL_PARAM_BLD_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(OSSL_PARAM *, OSSL_PARAM_free);

static const JwtAlg algs[] = {
        { "HS256", JWT_KEY_SECRET, "SHA256", 0, 32 },
        { "HS384", JWT_KEY_SECRET, "SHA384", 0, 48 },
        { "HS512", JWT_KEY_SECRET, "SHA512", 0, 64 },
        { "RS256", JWT_KEY_RSA, "SHA256", RSA_PKCS1_PADDING, 0 },
        { "RS384", JWT_KEY_RSA, "SHA384", RSA_PKCS1_PADDING, 0 },
        { "RS512", JWT_KEY_RSA, "SHA512", RSA_PKCS1_PADDING, 0 },
        { "PS256", JWT_KEY_RSA, "SHA256", RSA_PKCS1_PSS_PADDING, 0 },
        { "PS384", JWT_KEY_RSA, "SHA384", RSA_PKCS1_PSS_PADDING, 0 },
        { "PS512", JWT_KEY_RSA, "SHA512", RSA_PKCS1_PSS_PADDING, 0 },
        { "ES256", JWT_KEY_EC_P256, "SHA256", 0, 64 },
        { "ES384", JWT_KEY_EC_P384, "SHA384", 0, 96 },
        { "EdDSA", JWT_KEY_ED25519, NULL, 0, 64 },
};

const JwtAlg *jwt_alg_find(const char *name) {
        /* Exact, case-sensitive names (RFC 7518): "none", "None" and "hs256" name nothing. */
        FOREACH_ELEMENT(a, algs)
        if (streq(a->name, name))
                return a;
        return NULL;
}

void jwt_key_done(JwtKey *k) {
        k->kid = mfree(k->kid);
        k->alg = mfree(k->alg);
        EVP_PKEY_free(k->pkey);
        k->pkey = NULL;
        if (k->secret)
                OPENSSL_cleanse(k->secret, k->secret_size);
        k->secret = mfree(k->secret);
        k->secret_size = 0;
}

void jwt_key_list_done(JwtKeyList *l) {
        for (size_t i = 0; i < l->n; i++)
                jwt_key_done(&l->keys[i]);
        l->keys = mfree(l->keys);
        l->n = 0;
}

int jwt_key_list_add(JwtKeyList *l, JwtKey *k) {
        JwtKey *n = realloc(l->keys, (l->n + 1) * sizeof(JwtKey));
        if (!n)
                return -ENOMEM;
        l->keys = n;
        l->keys[l->n++] = *k;
        *k = (JwtKey){};
        return 0;
}

static int set_reason(const char **ret_reason, const char *reason) {
        if (ret_reason)
                *ret_reason = reason;
        return -EINVAL;
}

static int key_set_kid(JwtKey *k, const char *kid) {
        if (kid && !(k->kid = strdup(kid)))
                return -ENOMEM;
        return 0;
}

int jwt_key_from_secret(JwtKey *k, const char *kid, const void *secret, size_t size, const char **ret_reason) {
        if (size < JWT_SECRET_MIN)
                return set_reason(ret_reason, "A JWT secret must be at least 32 bytes long.");
        _cleanup_(jwt_key_done) JwtKey n = { .type = JWT_KEY_SECRET };
        if (!(n.secret = malloc(size)))
                return -ENOMEM;
        memcpy(n.secret, secret, size);
        n.secret_size = size;
        int r = key_set_kid(&n, kid);
        if (r < 0)
                return r;
        *k = n;
        n = (JwtKey){};
        return 0;
}

/* The type of a public key, refusing what no JWS algorithm here verifies with. */
static int pkey_type(EVP_PKEY *pkey, JwtKeyType *ret, const char **ret_reason) {
        if (EVP_PKEY_is_a(pkey, "RSA")) {
                if (EVP_PKEY_get_bits(pkey) < JWT_RSA_BITS_MIN)
                        return set_reason(ret_reason, "An RSA key for JWTs must have at least 2048 bits.");
                *ret = JWT_KEY_RSA;
                return 0;
        }
        if (EVP_PKEY_is_a(pkey, "EC")) {
                char group[64];
                if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), NULL) != 1)
                        return set_reason(ret_reason, "The EC key names no curve.");
                if (streq(group, "prime256v1") || streq(group, "P-256")) {
                        *ret = JWT_KEY_EC_P256;
                        return 0;
                }
                if (streq(group, "secp384r1") || streq(group, "P-384")) {
                        *ret = JWT_KEY_EC_P384;
                        return 0;
                }
                return set_reason(ret_reason, "Only the EC curves P-256 (ES256) and P-384 (ES384) are supported.");
        }
        if (EVP_PKEY_is_a(pkey, "ED25519")) {
                *ret = JWT_KEY_ED25519;
                return 0;
        }
        return set_reason(ret_reason, "The key is not an RSA, EC P-256/P-384 or Ed25519 public key.");
}

int jwt_key_from_pem(JwtKey *k, const char *kid, const char *pem, size_t size, const char **ret_reason) {
        if (size > INT32_MAX)
                return set_reason(ret_reason, "The PEM key is too large.");
        _cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(pem, (int) size);
        if (!bio)
                return -ENOMEM;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        if (!pkey)
                return set_reason(ret_reason, "The file holds no PEM public key (-----BEGIN PUBLIC KEY-----).");
        _cleanup_(jwt_key_done) JwtKey n = {};
        int r = pkey_type(pkey, &n.type, ret_reason);
        if (r < 0)
                return r;
        r = key_set_kid(&n, kid);
        if (r < 0)
                return r;
        n.pkey = TAKE_PTR(pkey);
        *k = n;
        n = (JwtKey){};
        return 0;
}

/* A key this verifier has no algorithm for (another curve, another key type): skipped, not an error, so that
 * an identity provider's JWKS with such keys beside usable ones still loads. */
#define JWK_UNSUPPORTED 1

/* A base64url member of a JWK, decoded; -EINVAL when absent or malformed. */
static int jwk_bytes(json_object *jwk, const char *name, uint8_t **ret, size_t *ret_size) {
        const char *s = json_get_string(jwk, name);
        if (!s)
                return -EINVAL;
        int r = base64url_decode(s, strlen(s), ret, ret_size);
        return r == -EBADMSG ? -EINVAL : r;
}

static int jwk_bn(json_object *jwk, const char *name, BIGNUM **ret) {
        _cleanup_free_ uint8_t *b = NULL;
        size_t n;
        int r = jwk_bytes(jwk, name, &b, &n);
        if (r < 0)
                return r;
        if (n == 0 || n > 2048)
                return -EINVAL;
        *ret = BN_bin2bn(b, (int) n, NULL);
        return *ret ? 0 : -ENOMEM;
}

static int pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **ret) {
        _cleanup_(OSSL_PARAM_freep) OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
        if (!params || !ctx)
                return -ENOMEM;
        if (EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, ret, EVP_PKEY_PUBLIC_KEY, params) != 1)
                return -EINVAL;
        return 0;
}

static int jwk_rsa(json_object *jwk, EVP_PKEY **ret) {
        _cleanup_(BN_freep) BIGNUM *n = NULL, *e = NULL;
        _cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        if (!bld)
                return -ENOMEM;
        if (jwk_bn(jwk, "n", &n) < 0 || jwk_bn(jwk, "e", &e) < 0)
                return -EINVAL;
        if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
                return -ENOMEM;
        return pkey_fromdata("RSA", bld, ret);
}

static int jwk_ec(json_object *jwk, EVP_PKEY **ret) {
        const char *crv = json_get_string(jwk, "crv");
        size_t size;
        const char *group;
        if (streq_ptr(crv, "P-256"))
                size = 32, group = "prime256v1";
        else if (streq_ptr(crv, "P-384"))
                size = 48, group = "secp384r1";
        else
                return crv ? JWK_UNSUPPORTED : -EINVAL;

        _cleanup_free_ uint8_t *x = NULL, *y = NULL;
        size_t nx, ny;
        if (jwk_bytes(jwk, "x", &x, &nx) < 0 || jwk_bytes(jwk, "y", &y, &ny) < 0 || nx != size || ny != size)
                return -EINVAL;
        uint8_t point[1 + 2 * 48];
        point[0] = 0x04; /* uncompressed */
        memcpy(point + 1, x, size);
        memcpy(point + 1 + size, y, size);

        _cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        if (!bld)
                return -ENOMEM;
        if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
                OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * size) != 1)
                return -ENOMEM;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
        int r = pkey_fromdata("EC", bld, &pkey);
        if (r < 0)
                return r;
        /* The point must lie on the curve. */
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        if (!ctx)
                return -ENOMEM;
        if (EVP_PKEY_public_check(ctx) != 1)
                return -EINVAL;
        *ret = TAKE_PTR(pkey);
        return 0;
}

static int jwk_okp(json_object *jwk, EVP_PKEY **ret) {
        const char *crv = json_get_string(jwk, "crv");
        if (!streq_ptr(crv, "Ed25519"))
                return crv ? JWK_UNSUPPORTED : -EINVAL;
        _cleanup_free_ uint8_t *x = NULL;
        size_t n;
        if (jwk_bytes(jwk, "x", &x, &n) < 0 || n != 32)
                return -EINVAL;
        *ret = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, n);
        return *ret ? 0 : -EINVAL;
}

/* One JWK: 1 with *k filled, 0 when skipped (not a signing key, unknown kty), -EINVAL when malformed. */
static int jwk_parse(json_object *jwk, JwtKey *k, const char **ret_reason) {
        if (!json_object_is_type(jwk, json_type_object))
                return set_reason(ret_reason, "A JWKS entry is not a JSON object.");
        const char *kty = json_get_string(jwk, "kty");
        const char *use = json_get_string(jwk, "use");
        const char *kid = json_get_string(jwk, "kid");
        const char *alg = json_get_string(jwk, "alg");
        if (!kty)
                return set_reason(ret_reason, "A JWKS entry has no kty.");
        if (use && !streq(use, "sig"))
                return 0;
        if (alg && !jwt_alg_find(alg))
                return 0;

        _cleanup_(jwt_key_done) JwtKey n = {};
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
        int r;
        if (streq(kty, "oct")) {
                _cleanup_free_ uint8_t *secret = NULL;
                size_t size;
                if (jwk_bytes(jwk, "k", &secret, &size) < 0)
                        return set_reason(ret_reason, "A JWKS oct entry has no valid k.");
                r = jwt_key_from_secret(&n, kid, secret, size, ret_reason);
                OPENSSL_cleanse(secret, size);
                if (r < 0)
                        return r;
        } else {
                if (streq(kty, "RSA"))
                        r = jwk_rsa(jwk, &pkey);
                else if (streq(kty, "EC"))
                        r = jwk_ec(jwk, &pkey);
                else if (streq(kty, "OKP"))
                        r = jwk_okp(jwk, &pkey);
                else
                        return 0;
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return set_reason(ret_reason, "A JWKS entry's key parameters are malformed.");
                if (r == JWK_UNSUPPORTED)
                        return 0;
                r = pkey_type(pkey, &n.type, ret_reason);
                if (r < 0)
                        return r;
                r = key_set_kid(&n, kid);
                if (r < 0)
                        return r;
                n.pkey = TAKE_PTR(pkey);
        }
        if (alg) {
                if (jwt_alg_find(alg)->key_type != n.type)
                        return set_reason(ret_reason, "A JWKS entry's alg does not fit its kty.");
                if (!(n.alg = strdup(alg)))
                        return -ENOMEM;
        }
        *k = n;
        n = (JwtKey){};
        return 1;
}

int jwt_jwks_parse(const char *json, size_t size, JwtKeyList *ret, const char **ret_reason) {
        _cleanup_json_ json_object *doc = NULL;
        const char *why = NULL;
        int r = json_parse_strict(json, size, &doc, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !json_object_is_type(doc, json_type_object))
                return set_reason(ret_reason, "The JWKS file is not a JSON object.");
        json_object *keys = json_get_array(doc, "keys");
        if (!keys)
                return set_reason(ret_reason, "The JWKS file has no \"keys\" array.");

        _cleanup_(jwt_key_list_done) JwtKeyList l = {};
        for (size_t i = 0; i < json_object_array_length(keys); i++) {
                JwtKey k = {};
                r = jwk_parse(json_object_array_get_idx(keys, i), &k, ret_reason);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                r = jwt_key_list_add(&l, &k);
                if (r < 0) {
                        jwt_key_done(&k);
                        return r;
                }
        }
        jwt_key_list_done(ret);
        *ret = l;
        l = (JwtKeyList){};
        return 0;
}

static int verify_hmac(const JwtKey *k, const JwtAlg *alg, const void *data, size_t size, const uint8_t *sig,
        size_t sig_size) {
        if (sig_size != alg->sig_size || k->secret_size < alg->sig_size)
                return 0;
        uint8_t mac[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        if (!HMAC(EVP_get_digestbyname(alg->digest), k->secret, (int) k->secret_size, data, size, mac, &len))
                return -ENOMEM;
        return len == sig_size && CRYPTO_memcmp(mac, sig, sig_size) == 0;
}

/* JOSE ECDSA signatures are r||s, fixed width; OpenSSL verifies DER. */
static int ecdsa_jose_to_der(const uint8_t *sig, size_t sig_size, uint8_t **ret, size_t *ret_size) {
        _cleanup_(ECDSA_SIG_freep) ECDSA_SIG *es = ECDSA_SIG_new();
        if (!es)
                return -ENOMEM;
        size_t half = sig_size / 2;
        BIGNUM *r = BN_bin2bn(sig, (int) half, NULL), *s = BN_bin2bn(sig + half, (int) half, NULL);
        if (!r || !s || ECDSA_SIG_set0(es, r, s) != 1) {
                BN_free(r);
                BN_free(s);
                return -ENOMEM;
        }
        uint8_t *der = NULL;
        int n = i2d_ECDSA_SIG(es, &der);
        if (n <= 0)
                return -ENOMEM;
        *ret = der;
        *ret_size = (size_t) n;
        return 0;
}

static int verify_pkey(const JwtKey *k, const JwtAlg *alg, const void *data, size_t size, const uint8_t *sig,
        size_t sig_size) {
        if (alg->sig_size != 0 && sig_size != alg->sig_size)
                return 0;

        uint8_t *der = NULL;
        if (alg->key_type == JWT_KEY_EC_P256 || alg->key_type == JWT_KEY_EC_P384) {
                int r = ecdsa_jose_to_der(sig, sig_size, &der, &sig_size);
                if (r < 0)
                        return r;
                sig = der;
        }

        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = NULL;
        int ok = 0;
        if (ctx && EVP_DigestVerifyInit_ex(ctx, &pctx, alg->digest, NULL, NULL, k->pkey, NULL) == 1) {
                bool set = true;
                if (alg->padding != 0) {
                        set = EVP_PKEY_CTX_set_rsa_padding(pctx, alg->padding) == 1;
                        /* RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash. */
                        if (set && alg->padding == RSA_PKCS1_PSS_PADDING)
                                set = EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
                                        EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, alg->digest, NULL) == 1;
                }
                ok = set && EVP_DigestVerify(ctx, sig, sig_size, data, size) == 1;
        }
        OPENSSL_free(der);
        ERR_clear_error();
        return ok;
}

int jwt_key_verify(const JwtKey *k, const JwtAlg *alg, const void *data, size_t size, const uint8_t *sig,
        size_t sig_size) {
        assert(k->type == alg->key_type);
        if (k->alg && !streq(k->alg, alg->name))
                return 0;
        if (k->type == JWT_KEY_SECRET)
                return verify_hmac(k, alg, data, size, sig, sig_size);
        return verify_pkey(k, alg, data, size, sig, sig_size);
}
