/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JWTs verify only when signed by a configured key of the algorithm's own type and when their claims fit the
 * policy; every refusal says why. Keys are made at start and tokens signed here, with OpenSSL. */
#include <check.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "base64url.h"
#include "jwt.h"
#include "strv.h"
#include "test-util.h"

#define NOW_SEC 1800000000LL
#define NOW ((uint64_t) NOW_SEC * USEC_PER_SEC)
#define ISS "https://idp.example"
#define AUD "https://gateway.example/mcp"

typedef struct TestKey {
        EVP_PKEY *pkey; /* NULL for a secret */
        uint8_t secret[64];
        char *pem; /* the public key */
} TestKey;

/* Made once, before Check forks for each test. */
static TestKey rsa, rsa2, p256, p256b, p384, ed, ed2, hmac, hmac2;

typedef struct Alg {
        const char *name;
        TestKey *key, *other;
} Alg;

static const Alg algs[] = {
        { "HS256", &hmac, &hmac2 },
        { "HS384", &hmac, &hmac2 },
        { "HS512", &hmac, &hmac2 },
        { "RS256", &rsa, &rsa2 },
        { "RS384", &rsa, &rsa2 },
        { "RS512", &rsa, &rsa2 },
        { "PS256", &rsa, &rsa2 },
        { "PS384", &rsa, &rsa2 },
        { "PS512", &rsa, &rsa2 },
        { "ES256", &p256, &p256b },
        { "ES384", &p384, &p256 },
        { "EdDSA", &ed, &ed2 },
};

/* Before Check runs, a failure can only abort. */
#define must(x)                                                                                                        \
        do {                                                                                                           \
                if (!(x)) {                                                                                            \
                        fprintf(stderr, "Setting up the test keys failed: %s\n", #x);                                  \
                        abort();                                                                                       \
                }                                                                                                      \
        } while (0)

static void key_make(TestKey *k, EVP_PKEY *pkey) {
        k->pkey = pkey;
        must(pkey);
        BIO *b = BIO_new(BIO_s_mem());
        must(b && PEM_write_bio_PUBKEY(b, pkey) == 1);
        char *data;
        long n = BIO_get_mem_data(b, &data);
        k->pem = strndup(data, (size_t) n);
        BIO_free(b);
}

static void keys_make(void) {
        key_make(&rsa, EVP_RSA_gen(2048));
        key_make(&rsa2, EVP_RSA_gen(2048));
        key_make(&p256, EVP_EC_gen("P-256"));
        key_make(&p256b, EVP_EC_gen("P-256"));
        key_make(&p384, EVP_EC_gen("P-384"));
        key_make(&ed, EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
        key_make(&ed2, EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
        must(RAND_bytes(hmac.secret, sizeof(hmac.secret)) == 1);
        must(RAND_bytes(hmac2.secret, sizeof(hmac2.secret)) == 1);
}

static const char *digest_of(const char *alg) {
        if (streq(alg, "EdDSA"))
                return NULL;
        return strstr(alg, "256") ? "SHA256" : strstr(alg, "384") ? "SHA384" : "SHA512";
}

/* The JOSE signature of input with alg under k; secret_override signs HS* with other bytes. */
static char *sign(const char *alg, const TestKey *k, const char *input, const void *secret, size_t secret_size) {
        uint8_t sig[1024];
        size_t n = sizeof(sig);
        const char *md = digest_of(alg);
        if (alg[0] == 'H') {
                unsigned l;
                ck_assert_ptr_nonnull(HMAC(EVP_get_digestbyname(md), secret ?: k->secret,
                        secret ? (int) secret_size : (int) sizeof(k->secret), (const uint8_t *) input, strlen(input),
                        sig, &l));
                n = l;
        } else {
                EVP_MD_CTX *ctx = EVP_MD_CTX_new();
                EVP_PKEY_CTX *pctx = NULL;
                ck_assert_int_eq(EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, k->pkey, NULL), 1);
                if (alg[0] == 'P') {
                        ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
                        ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
                }
                ck_assert_int_eq(EVP_DigestSign(ctx, sig, &n, (const uint8_t *) input, strlen(input)), 1);
                EVP_MD_CTX_free(ctx);
                if (alg[0] == 'E' && alg[1] == 'S') {
                        const uint8_t *p = sig;
                        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long) n);
                        ck_assert_ptr_nonnull(es);
                        int half = strstr(alg, "256") ? 32 : 48;
                        BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, half);
                        BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + half, half);
                        ECDSA_SIG_free(es);
                        n = 2 * (size_t) half;
                }
        }
        return base64url_encode(sig, n);
}

static char *b64(const char *s) {
        return base64url_encode(s, strlen(s));
}

/* header.payload.signature, with the header and payload given as JSON text. */
static char *token_full(const char *header, const char *payload, const char *alg, const TestKey *k, const void *secret,
        size_t secret_size) {
        _cleanup_free_ char *h = b64(header), *p = b64(payload), *input = NULL, *sig = NULL;
        char *t;
        ck_assert_int_ge(asprintf(&input, "%s.%s", h, p), 0);
        sig = sign(alg, k, input, secret, secret_size);
        ck_assert_int_ge(asprintf(&t, "%s.%s", input, sig), 0);
        return t;
}

static char *token(const char *header, const char *payload, const char *alg, const TestKey *k) {
        return token_full(header, payload, alg, k, NULL, 0);
}

static char *header_for(const char *alg, const char *kid) {
        char *h;
        if (kid)
                ck_assert_int_ge(asprintf(&h, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid), 0);
        else
                ck_assert_int_ge(asprintf(&h, "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg), 0);
        return h;
}

/* A payload that passes the default policy, with extra members appended. */
static char *claims(const char *extra) {
        char *p;
        ck_assert_int_ge(asprintf(&p,
                                 "{\"iss\":\"" ISS "\",\"aud\":\"" AUD
                                 "\",\"sub\":\"alice\",\"exp\":%lld,\"iat\":%lld%s%s}",
                                 NOW_SEC + 600, NOW_SEC - 10, extra ? "," : "", strempty(extra)),
                0);
        return p;
}

static JwtVerifier *verifier_new(void) {
        JwtPolicy policy = { .issuer = ISS, .audience = AUD, .leeway_usec = 60 * USEC_PER_SEC };
        JwtVerifier *v = NULL;
        ck_assert_int_eq(jwt_verifier_new(&policy, &v), 0);
        return v;
}

static void verifier_add(JwtVerifier *v, const char *kid, const TestKey *k) {
        const char *reason = NULL;
        if (k->pkey)
                ck_assert_int_eq(jwt_verifier_add_pem(v, kid, k->pem, strlen(k->pem), &reason), 0);
        else
                ck_assert_int_eq(jwt_verifier_add_secret(v, kid, k->secret, sizeof(k->secret), &reason), 0);
}

/* jwt_verify's answer; *error gets the refusal. */
static int verify(JwtVerifier *v, const char *t, uint64_t now, const char **error) {
        JwtClaims c = {};
        *error = NULL;
        int r = jwt_verify(v, t, now, &c, error);
        if (r > 0)
                ck_assert_ptr_null(*error);
        else
                ck_assert_ptr_nonnull(*error);
        jwt_claims_done(&c);
        return r;
}

static void assert_refused(JwtVerifier *v, const char *t, const char *why) {
        const char *error;
        ck_assert_int_eq(verify(v, t, NOW, &error), 0);
        ck_assert_str_eq(error, why);
}

START_TEST(test_every_algorithm_verifies_its_own_tokens) {
        const Alg *a = &algs[_i];
        _cleanup_(jwt_verifier_freep) JwtVerifier *v = verifier_new();
        verifier_add(v, NULL, a->key);
        _cleanup_free_ char *h = header_for(a->name, NULL), *p = claims("\"scope\":\"tools:sysops admin\"");
        _cleanup_free_ char *t = token(h, p, a->name, a->key);

        JwtClaims c = {};
        const char *error = NULL;
        ck_assert_int_eq(jwt_verify(v, t, NOW, &c, &error), 1);
        ck_assert_str_eq(c.subject, "alice");
        ck_assert_str_eq(c.issuer, ISS);
        ck_assert_str_eq(c.alg, a->name);
        ck_assert_int_eq(c.expires_usec, (uint64_t) (NOW_SEC + 600) * USEC_PER_SEC);
        ck_assert_int_eq(strv_length(c.scopes), 2);
        ck_assert_str_eq(c.scopes[0], "tools:sysops");
        ck_assert_str_eq(c.scopes[1], "admin");
        jwt_claims_done(&c);

        /* Any bit of the signature flipped. */
        _cleanup_free_ char *bad = strdup(t);
        char *sig = strrchr(bad, '.') + 1;
        sig[3] = sig[3] == 'A' ? 'B' : 'A';
        assert_refused(v, bad, "The token's signature does not verify.");

        /* The payload changed under the same signature. */
        _cleanup_free_ char *p2 = claims("\"scope\":\"tools:sysops admin\",\"x\":1"),
                            *t2 = token(h, p2, a->name, a->key);
        _cleanup_free_ char *spliced = NULL;
        ck_assert_int_ge(asprintf(&spliced, "%.*s%s", (int) (strrchr(t2, '.') - t2), t2, strrchr(t, '.')), 0);
        assert_refused(v, spliced, "The token's signature does not verify.");

        /* Signed by another key of the same type. */
        if (a->other != a->key && (a->other->pkey == NULL) == (a->key->pkey == NULL) &&
                (a->other->pkey == NULL || EVP_PKEY_get_bits(a->other->pkey) == EVP_PKEY_get_bits(a->key->pkey))) {
                _cleanup_free_ char *t3 = token(h, p, a->name, a->other);
                assert_refused(v, t3, "The token's signature does not verify.");
        }
}
END_TEST

START_TEST(test_algorithm_confusion_is_refused) {
        /* The classic: an HS256 token whose HMAC key is the server's RSA public key. */
        _cleanup_(jwt_verifier_freep) JwtVerifier *v = verifier_new();
        verifier_add(v, NULL, &rsa);
        _cleanup_free_ char *h = header_for("HS256", NULL), *p = claims(NULL);
        _cleanup_free_ char *t = token_full(h, p, "HS256", &hmac, rsa.pem, strlen(rsa.pem));
        assert_refused(v, t, "No key accepted here verifies the token's algorithm (alg).");

        /* With a secret configured as well, the RSA key's text is still not the secret. */
        verifier_add(v, NULL, &hmac);
        assert_refused(v, t, "The token's signature does not verify.");

        /* Every other cross-type pairing. */
        struct {
                const char *alg;
                TestKey *signer, *configured;
        } cases[] = {
                { "ES256", &p256, &p384 },
                { "ES384", &p384, &p256 },
                { "RS256", &rsa, &p256 },
                { "PS256", &rsa, &ed },
                { "EdDSA", &ed, &rsa },
                { "ES256", &p256, &ed },
        };
        FOREACH_ELEMENT(c, cases) {
                _cleanup_(jwt_verifier_freep) JwtVerifier *w = verifier_new();
                verifier_add(w, NULL, c->configured);
                _cleanup_free_ char *hh = header_for(c->alg, NULL), *tt = token(hh, p, c->alg, c->signer);
                assert_refused(w, tt, "No key accepted here verifies the token's algorithm (alg).");
        }
}
END_TEST

START_TEST(test_alg_none_and_unknown_algs_are_refused) {
        _cleanup_(jwt_verifier_freep) JwtVerifier *v = verifier_new();
        verifier_add(v, NULL, &hmac);
        _cleanup_free_ char *p = claims(NULL), *pb = b64(p);
        const char *headers[] = { "{\"alg\":\"none\"}", "{\"alg\":\"None\"}", "{\"alg\":\"hs256\"}",
                "{\"alg\":\"HS256 \"}", "{\"alg\":\"RSA-OAEP\"}" };
        FOREACH_ELEMENT(hd, headers) {
                _cleanup_free_ char *hb = b64(*hd), *t1 = NULL, *t2 = NULL;
                ck_assert_int_ge(asprintf(&t1, "%s.%s.", hb, pb), 0);
                assert_refused(v, t1, "The token's algorithm (alg) is not accepted.");
                ck_assert_int_ge(asprintf(&t2, "%s.%s.AAAA", hb, pb), 0);
                assert_refused(v, t2, "The token's algorithm (alg) is not accepted.");
        }
        _cleanup_free_ char *t3 = token("{\"typ\":\"JWT\"}", p, "HS256", &hmac);
        assert_refused(v, t3, "The token's header has no alg.");
        _cleanup_free_ char *t4 = token("{\"alg\":256}", p, "HS256", &hmac);
        assert_refused(v, t4, "The token's header has no alg.");
}
END_TEST

START_TEST(test_crit_header_is_refused) {
        _cleanup_(jwt_verifier_freep) JwtVerifier *v = verifier_new();
        verifier_add(v, NULL, &ed);
        _cleanup_free_ char *p = claims(NULL);
        _cleanup_free_ char *t = token("{\"alg\":\"EdDSA\",\"crit\":[\"exp\"],\"exp\":1}", p, "EdDSA", &ed);
        assert_refused(v, t, "The token's header has crit extensions, which are not supported.");
        _cleanup_free_ char *t2 = token("{\"alg\":\"EdDSA\",\"crit\":[]}", p, "EdDSA", &ed);
        assert_refused(v, t2, "The token's header has crit extensions, which are not supported.");
}
END_TEST

START_TEST(test_kid_selects_the_key) {
        _cleanup_(jwt_verifier_freep) JwtVerifier *v = verifier_new();
        verifier_add(v, "k1", &p256);
        verifier_add(v, "k2", &p256b);
        _cleanup_free_ char *p = claims(NULL);
        const char *error;

        _cleanup_free_ char *h1 = header_for("ES256", "k1"), *t1 = token(h1, p, "ES256", &p256);
        ck_assert_int_eq(verify(v, t1, NOW, &error), 1);
        _cleanup_free_ char *h2 = header_for("ES256", "k2"), *t2 = token(h2, p, "ES256", &p256);
        assert_refused(v, t2, "The token's signature does not verify.");
        _cleanup_free_ char *h3 = header_for("ES256", "k3"), *t3 = token(h3, p, "ES256", &p256);
        assert_refused(v, t3, "The token's key id (kid) names no known key.");
        /* Keys given a kid are not tried for tokens without one. */
        _cleanup_free_ char *h4 = header_for("ES256", NULL), *t4 = token(h4, p, "ES256", &p256);
        assert_refused(v, t4, "The token's key id (kid) names no known key.");
        _cleanup_free_ char *t5 = token("{\"alg\":\"ES256\",\"kid\":7}", p, "ES256", &p256);
        assert_refused(v, t5, "The token's key id (kid) is not a string.");

        /* A key given without a kid matches tokens with any kid. */
        _cleanup_(jwt_verifier_freep) JwtVerifier *w = verifier_new();
        verifier_add(w, NULL, &p256);
        ck_assert_int_eq(verify(w, t3, NOW, &error), 1);
        ck_assert_int_eq(verify(w, t4, NOW, &error), 1);
}
END_TEST

START_TEST(test_malformed_tokens_are_refused) {
        _cleanup_(jwt_verifier_freep) JwtVerifier *v = verifier_new();
        verifier_add(v, NULL, &hmac);
        verifier_add(v, NULL, &p256);
        _cleanup_free_ char *h = header_for("HS256", NULL), *p = claims(NULL), *t = token(h, p, "HS256", &hmac);
        const char *error;
        ck_assert_int_eq(verify(v, t, NOW, &error), 1);
        const char *not_jws = "The token is not a compact JWS (three parts separated by dots).";

        assert_refused(v, "", not_jws);
        assert_refused(v, "abc", not_jws);
        assert_refused(v, "a.b", not_jws);
        _cleanup_free_ char *four = NULL;
        ck_assert_int_ge(asprintf(&four, "%s.", t), 0);
        assert_refused(v, four, not_jws);

        /* Padding, the standard alphabet, spaces and non-canonical trailing bits. */
        char *dot = strchr(t, '.');
        _cleanup_free_ char *padded = NULL, *plus = NULL, *space = NULL, *noncanon = NULL, *badsig = NULL;
        ck_assert_int_ge(asprintf(&padded, "%.*s=%s", (int) (dot - t), t, dot), 0);
        assert_refused(v, padded, "The token's header is not base64url-encoded JSON.");
        ck_assert_int_ge(asprintf(&plus, "+%s", t + 1), 0);
        assert_refused(v, plus, "The token's header is not base64url-encoded JSON.");
        ck_assert_int_ge(asprintf(&space, " %s", t), 0);
        assert_refused(v, space, "The token's header is not base64url-encoded JSON.");
        ck_assert_int_ge(asprintf(&badsig, "%s=", t), 0);
        assert_refused(v, badsig, "The token's signature is not base64url-encoded.");
        /* The signature of HS256 is 43 characters; the last carries 2 unused bits. */
        noncanon = strdup(t);
        char *last = noncanon + strlen(noncanon) - 1;
        const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        *last = alphabet[(strchr(alphabet, *last) - alphabet) ^ 1];
        assert_refused(v, noncanon, "The token's signature is not base64url-encoded.");

        /* Not JSON, or JSON that is not an object. */
        const char *not_objects[] = { "not json", "[\"alg\",\"HS256\"]", "\"HS256\"", "{\"alg\":\"HS256\"} x",
                "{\"alg\":\"HS256\",}" };
        FOREACH_ELEMENT(o, not_objects) {
                _cleanup_free_ char *t1 = token(*o, p, "HS256", &hmac), *t2 = token(h, *o, "HS256", &hmac);
                assert_refused(v, t1, "The token's header is not base64url-encoded JSON.");
                assert_refused(v, t2, "The token's payload is not base64url-encoded JSON.");
        }

        /* An empty signature, and an ES256 signature of the wrong length. */
        _cleanup_free_ char *empty = strndup(t, (size_t) (strrchr(t, '.') - t + 1));
        assert_refused(v, empty, "The token's signature is not base64url-encoded.");
        _cleanup_free_ char *he = header_for("ES256", NULL), *te = token(he, p, "ES256", &p256), *short_sig = NULL;
        ck_assert_int_eq(verify(v, te, NOW, &error), 1);
        uint8_t zeros[63] = {};
        _cleanup_free_ char *zs = base64url_encode(zeros, sizeof(zeros));
        ck_assert_int_ge(asprintf(&short_sig, "%.*s.%s", (int) (strrchr(te, '.') - te), te, zs), 0);
        assert_refused(v, short_sig, "The token's signature does not verify.");

        /* Over the size limit, even when well signed. */
        _cleanup_free_ char *big_claim = malloc(9000);
        memset(big_claim, 'x', 8999);
        big_claim[8999] = 0;
        _cleanup_free_ char *extra = NULL, *pbig = NULL, *tbig = NULL;
        ck_assert_int_ge(asprintf(&extra, "\"pad\":\"%s\"", big_claim), 0);
        pbig = claims(extra);
        tbig = token(h, pbig, "HS256", &hmac);
        assert_refused(v, tbig, "The token is too large.");
}
END_TEST

START_TEST(test_time_claims_with_leeway) {
        _cleanup_(jwt_verifier_freep) JwtVerifier *v = verifier_new();
        verifier_add(v, NULL, &ed);
        _cleanup_free_ char *h = header_for("EdDSA", NULL);
        const char *error;
        struct {
                const char *fmt;
                long long t;
                const char *why; /* NULL: valid */
        } cases[] = {
                { "\"exp\":%lld", NOW_SEC - 61, "The token has expired." },
                { "\"exp\":%lld", NOW_SEC - 60, "The token has expired." },
                { "\"exp\":%lld", NOW_SEC - 59, NULL },
                { "\"exp\":%lld.5", NOW_SEC + 5, NULL },
                { "\"exp\":\"%lld\"", NOW_SEC + 600,
                        "The token's exp is not a time (seconds since 1970, up to the year 9999)." },
                { "\"exp\":-%lld", 1, "The token's exp is not a time (seconds since 1970, up to the year 9999)." },
                { "\"exp\":%lld", 253402300800LL,
                        "The token's exp is not a time (seconds since 1970, up to the year 9999)." },
                { "\"exp\":%lld", 253402300799LL, NULL },
                { "\"exp\":%lld0000000", 1900000000LL,
                        "The token's exp is not a time (seconds since 1970, up to the year 9999)." },
                { "\"exp\":%lld,\"nbf\":%lld", NOW_SEC + 600, "The token is not valid yet (nbf)." },
                { "\"exp\":%lld,\"iat\":%lld", NOW_SEC + 600, "The token was issued in the future (iat)." },
                { "\"exp\":%lld,\"nbf\":true", NOW_SEC + 600,
                        "The token's nbf is not a time (seconds since 1970, up to the year 9999)." },
                { "\"nbf\":%lld", NOW_SEC, "The token has no expiry (exp)." },
        };
        FOREACH_ELEMENT(c, cases) {
                char fmt[256], member[256];
                snprintf(fmt, sizeof(fmt), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"s\",%s}", c->fmt);
                /* nbf and iat cases put the second time 61 s ahead: past the leeway. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
                snprintf(member, sizeof(member), fmt, c->t, NOW_SEC + 61);
#pragma GCC diagnostic pop
                _cleanup_free_ char *t = token(h, member, "EdDSA", &ed);
                if (c->why)
                        assert_refused(v, t, c->why);
                else
                        ck_assert_int_eq(verify(v, t, NOW, &error), 1);
        }

        /* Within the leeway, clocks that differ are forgiven. */
        _cleanup_free_ char *p = NULL;
        ck_assert_int_ge(asprintf(&p,
                                 "{\"iss\":\"" ISS "\",\"aud\":\"" AUD
                                 "\",\"sub\":\"s\",\"exp\":%lld,\"nbf\":%lld,\"iat\":%lld}",
                                 NOW_SEC + 600, NOW_SEC + 59, NOW_SEC + 59),
                0);
        _cleanup_free_ char *t = token(h, p, "EdDSA", &ed);
        ck_assert_int_eq(verify(v, t, NOW, &error), 1);
        /* The same token a little later, after its expiry and leeway. */
        ck_assert_int_eq(verify(v, t, NOW + 659 * USEC_PER_SEC, &error), 1);
        ck_assert_int_eq(verify(v, t, NOW + 660 * USEC_PER_SEC, &error), 0);
        ck_assert_str_eq(error, "The token has expired.");
}
END_TEST

START_TEST(test_issuer_audience_and_subject) {
        _cleanup_(jwt_verifier_freep) JwtVerifier *v = verifier_new();
        verifier_add(v, NULL, &rsa);
        _cleanup_free_ char *h = header_for("RS256", NULL);
        const char *error;
        struct {
                const char *payload;
                const char *why;
        } cases[] = {
                { "{\"iss\":\"" ISS "\",\"aud\":[\"other\",\"" AUD "\"],\"sub\":\"s\",\"exp\":1900000000}", NULL },
                { "{\"iss\":\"" ISS "\",\"aud\":\"https://gateway.example/other\",\"sub\":\"s\",\"exp\":1900000000}",
                        "The token was issued for another audience (aud)." },
                { "{\"iss\":\"" ISS "\",\"aud\":[\"other\"],\"sub\":\"s\",\"exp\":1900000000}",
                        "The token was issued for another audience (aud)." },
                { "{\"iss\":\"" ISS "\",\"sub\":\"s\",\"exp\":1900000000}",
                        "The token was issued for another audience (aud)." },
                { "{\"iss\":\"" ISS "\",\"aud\":{\"a\":\"" AUD "\"},\"sub\":\"s\",\"exp\":1900000000}",
                        "The token was issued for another audience (aud)." },
                { "{\"iss\":\"https://evil.example\",\"aud\":\"" AUD "\",\"sub\":\"s\",\"exp\":1900000000}",
                        "The token was issued by another issuer (iss)." },
                { "{\"aud\":\"" AUD "\",\"sub\":\"s\",\"exp\":1900000000}",
                        "The token was issued by another issuer (iss)." },
                { "{\"iss\":[\"" ISS "\"],\"aud\":\"" AUD "\",\"sub\":\"s\",\"exp\":1900000000}",
                        "The token's iss is not a string." },
                { "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":1900000000}", "The token has no subject (sub)." },
                { "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"\",\"exp\":1900000000}",
                        "The token has no subject (sub)." },
                { "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"alice\\nadmin\",\"exp\":1900000000}",
                        "The token's subject (sub) is longer than 256 bytes or has control characters." },
                { "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"admin\\u0000x\",\"exp\":1900000000}",
                        "The token has no subject (sub)." },
                { "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\\u0000x\",\"sub\":\"s\",\"exp\":1900000000}",
                        "The token was issued for another audience (aud)." },
                { "{\"iss\":\"" ISS "\",\"aud\":[\"" AUD "\\u0000x\"],\"sub\":\"s\",\"exp\":1900000000}",
                        "The token was issued for another audience (aud)." },
                { "{\"iss\":\"" ISS "\\u0000x\",\"aud\":\"" AUD "\",\"sub\":\"s\",\"exp\":1900000000}",
                        "The token's iss is not a string." },
                { "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"J\u00f6rg M\u00fcller\",\"exp\":1900000000}",
                        NULL },
        };
        char longsub[512];
        snprintf(longsub, sizeof(longsub),
                "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"%0257d\",\"exp\":1900000000}", 7);
        _cleanup_free_ char *tl = token(h, longsub, "RS256", &rsa);
        assert_refused(v, tl, "The token's subject (sub) is longer than 256 bytes or has control characters.");
        FOREACH_ELEMENT(c, cases) {
                _cleanup_free_ char *t = token(h, c->payload, "RS256", &rsa);
                if (c->why)
                        assert_refused(v, t, c->why);
                else
                        ck_assert_int_eq(verify(v, t, NOW, &error), 1);
        }
}
END_TEST

START_TEST(test_scopes_from_scope_and_scp) {
        _cleanup_(jwt_verifier_freep) JwtVerifier *v = verifier_new();
        verifier_add(v, NULL, &hmac);
        _cleanup_free_ char *h = header_for("HS512", NULL);
        struct {
                const char *extra;
                const char *want; /* space-joined, or NULL for a refusal */
        } cases[] = {
                { NULL, "" },
                { "\"scope\":\"  a  b c \"", "a b c" },
                { "\"scp\":[\"x\",\"y\"]", "x y" },
                { "\"scp\":\"p q\"", "p q" },
                { "\"scope\":\"a b\",\"scp\":[\"b\",\"c\"]", "a b c" },
                { "\"scope\":[\"a\"]", NULL },
                { "\"scp\":[\"a\",1]", NULL },
                { "\"scp\":[\"a b\"]", NULL },
                { "\"scp\":{}", NULL },
                { "\"scope\":\"a\\nb\"", NULL },
                { "\"scope\":\"admin\\u0000 x\"", NULL },
                { "\"scope\":\"a\\\"b\"", NULL },
                { "\"scp\":[\"caf\u00e9\"]", NULL },
                { "\"scope\":\"a!#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~\"", "a!#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~" },
        };
        FOREACH_ELEMENT(c, cases) {
                _cleanup_free_ char *p = claims(c->extra), *t = token(h, p, "HS512", &hmac);
                JwtClaims cl = {};
                const char *error = NULL;
                if (!c->want) {
                        ck_assert_int_eq(jwt_verify(v, t, NOW, &cl, &error), 0);
                        ck_assert_str_eq(error, "The token's scope or scp claim is malformed.");
                        continue;
                }
                ck_assert_int_eq(jwt_verify(v, t, NOW, &cl, &error), 1);
                char joined[256] = "";
                for (size_t i = 0; cl.scopes[i]; i++) {
                        if (i > 0)
                                strcat(joined, " ");
                        strcat(joined, cl.scopes[i]);
                }
                ck_assert_str_eq(joined, c->want);
                jwt_claims_done(&cl);
        }

        /* At most 256 distinct scopes; repeats do not count. */
        for (int count = 256; count <= 257; count++) {
                char extra[4096] = "\"scope\":\"a a a";
                for (int i = 1; i < count; i++)
                        snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), " s%d", i);
                strcat(extra, "\"");
                _cleanup_free_ char *p = claims(extra), *t = token(h, p, "HS512", &hmac);
                const char *error;
                ck_assert_int_eq(verify(v, t, NOW, &error), count <= 256 ? 1 : 0);
        }
}
END_TEST

static char *jwk_of(const TestKey *k, const char *kid, const char *extra) {
        char *j = NULL;
        if (EVP_PKEY_is_a(k->pkey, "RSA")) {
                BIGNUM *n = NULL, *e = NULL;
                ck_assert_int_eq(EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, &n), 1);
                ck_assert_int_eq(EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, &e), 1);
                uint8_t nb[1024], eb[16];
                int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
                _cleanup_free_ char *ns = base64url_encode(nb, (size_t) nl), *es = base64url_encode(eb, (size_t) el);
                ck_assert_int_ge(asprintf(&j, "{\"kty\":\"RSA\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"%s}", kid, ns,
                                         es, strempty(extra)),
                        0);
                BN_free(n);
                BN_free(e);
        } else if (EVP_PKEY_is_a(k->pkey, "EC")) {
                uint8_t pt[256];
                size_t l;
                ck_assert_int_eq(EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
                                         sizeof(pt), &l),
                        1);
                ck_assert_int_eq(pt[0], 4);
                size_t half = (l - 1) / 2;
                _cleanup_free_ char *x = base64url_encode(pt + 1, half), *y = base64url_encode(pt + 1 + half, half);
                ck_assert_int_ge(asprintf(&j,
                                         "{\"kty\":\"EC\",\"kid\":\"%s\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"%s}",
                                         kid, half == 32 ? "P-256" : "P-384", x, y, strempty(extra)),
                        0);
        } else {
                uint8_t raw[32];
                size_t l = sizeof(raw);
                ck_assert_int_eq(EVP_PKEY_get_raw_public_key(k->pkey, raw, &l), 1);
                _cleanup_free_ char *x = base64url_encode(raw, l);
                ck_assert_int_ge(asprintf(&j, "{\"kty\":\"OKP\",\"kid\":\"%s\",\"crv\":\"Ed25519\",\"x\":\"%s\"%s}",
                                         kid, x, strempty(extra)),
                        0);
        }
        return j;
}

static char dir[64], jwks_path[128];

static void setup(void) {
        strcpy(dir, "/tmp/test-jwt-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(jwks_path, sizeof(jwks_path), "%s/jwks.json", dir);
}

static int remove_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(p);
}

static void teardown(void) {
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes the file as an identity provider's key rotation would: a new file renamed into place. */
static void write_jwks(const char *text) {
        char tmp[PATH_MAX];
        snprintf(tmp, sizeof(tmp), "%s.new", jwks_path);
        FILE *f = fopen(tmp, "we");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(rename(tmp, jwks_path), 0);
}

static char *token_kid(const char *alg, const char *kid, const TestKey *k) {
        _cleanup_free_ char *h = header_for(alg, kid), *p = claims(NULL);
        return token(h, p, alg, k);
}

START_TEST(test_jwks_rotation) {
        _cleanup_free_ char *jr1 = jwk_of(&rsa, "r1", NULL), *je1 = jwk_of(&p384, "e1", NULL),
                            *jo1 = jwk_of(&ed, "o1", NULL);
        _cleanup_free_ char *jr2 = jwk_of(&rsa2, "r2", ",\"use\":\"sig\",\"alg\":\"PS256\"");
        _cleanup_free_ char *first = NULL, *second = NULL;
        ck_assert_int_ge(asprintf(&first, "{\"keys\":[%s,%s,%s]}", jr1, je1, jo1), 0);
        ck_assert_int_ge(asprintf(&second, "{\"keys\":[%s,%s]}", je1, jr2), 0);
        write_jwks(first);

        _cleanup_(jwt_verifier_freep) JwtVerifier *v = verifier_new();
        const char *reason = NULL, *error;
        ck_assert_int_eq(jwt_verifier_set_jwks_file(v, jwks_path, &reason), 0);
        _cleanup_free_ char *tr1 = token_kid("RS256", "r1", &rsa), *te1 = token_kid("ES384", "e1", &p384),
                            *to1 = token_kid("EdDSA", "o1", &ed), *tr2 = token_kid("PS256", "r2", &rsa2),
                            *tr2rs = token_kid("RS256", "r2", &rsa2);
        ck_assert_int_eq(verify(v, tr1, NOW, &error), 1);
        ck_assert_int_eq(verify(v, te1, NOW, &error), 1);
        ck_assert_int_eq(verify(v, to1, NOW, &error), 1);
        assert_refused(v, tr2, "The token's key id (kid) names no known key.");
        ck_assert_int_eq(jwt_verifier_reload(v, false, &reason), 0);

        /* The provider rotates: r1 and o1 leave, r2 arrives (for PS256 only). */
        write_jwks(second);
        ck_assert_int_eq(jwt_verifier_reload(v, false, &reason), 1);
        assert_refused(v, tr1, "The token's key id (kid) names no known key.");
        assert_refused(v, to1, "The token's key id (kid) names no known key.");
        ck_assert_int_eq(verify(v, te1, NOW, &error), 1);
        ck_assert_int_eq(verify(v, tr2, NOW, &error), 1);
        assert_refused(v, tr2rs, "No key accepted here verifies the token's algorithm (alg).");
        ck_assert_int_eq(jwt_verifier_reload(v, false, &reason), 0);
        ck_assert_int_eq(jwt_verifier_reload(v, true, &reason), 1);

        /* A broken file leaves the keys in use as they were, and is reported once. */
        write_jwks("{\"keys\": [");
        ck_assert_int_eq(jwt_verifier_reload(v, false, &reason), -EINVAL);
        ck_assert_str_eq(reason, "The JWKS file is not a JSON object.");
        ck_assert_int_eq(jwt_verifier_reload(v, false, &reason), 0);
        ck_assert_int_eq(verify(v, tr2, NOW, &error), 1);
        ck_assert_int_eq(jwt_verifier_reload(v, true, &reason), -EINVAL);

        /* So is a file that is gone; it is read again when it is back. */
        ck_assert_int_eq(unlink(jwks_path), 0);
        ck_assert_int_eq(jwt_verifier_reload(v, false, &reason), -ENOENT);
        ck_assert_int_eq(jwt_verifier_reload(v, false, &reason), 0);
        ck_assert_int_eq(verify(v, tr2, NOW, &error), 1);
        write_jwks(first);
        ck_assert_int_eq(jwt_verifier_reload(v, false, &reason), 1);
        ck_assert_int_eq(verify(v, tr1, NOW, &error), 1);
        assert_refused(v, tr2, "The token's key id (kid) names no known key.");
}
END_TEST

START_TEST(test_jwks_entries_are_checked) {
        _cleanup_(jwt_verifier_freep) JwtVerifier *v = verifier_new();
        const char *reason = NULL, *error;
        _cleanup_free_ char *enc = jwk_of(&p256, "enc", ",\"use\":\"enc\""), *sig = jwk_of(&p256b, "sig", NULL);
        _cleanup_free_ char *doc = NULL;
        ck_assert_int_ge(asprintf(&doc, "{\"keys\":[%s,{\"kty\":\"XYZ\",\"kid\":\"u\"},%s]}", enc, sig), 0);
        ck_assert_int_eq(jwt_verifier_set_jwks(v, doc, strlen(doc), &reason), 0);
        _cleanup_free_ char *tenc = token_kid("ES256", "enc", &p256), *tsig = token_kid("ES256", "sig", &p256b);
        assert_refused(v, tenc, "The token's key id (kid) names no known key.");
        ck_assert_int_eq(verify(v, tsig, NOW, &error), 1);

        /* A point off the curve, short coordinates, a small RSA key, a mismatched alg, no keys array. */
        _cleanup_free_ char *p256jwk = jwk_of(&p256, "k", NULL);
        char *x = strstr(p256jwk, "\"x\":\"") + 5;
        x[0] = x[0] == 'A' ? 'B' : 'A';
        _cleanup_free_ char *offcurve = NULL;
        ck_assert_int_ge(asprintf(&offcurve, "{\"keys\":[%s]}", p256jwk), 0);
        ck_assert_int_eq(jwt_verifier_set_jwks(v, offcurve, strlen(offcurve), &reason), -EINVAL);

        EVP_PKEY *small = EVP_RSA_gen(1024);
        TestKey sk = { .pkey = small };
        _cleanup_free_ char *smalljwk = jwk_of(&sk, "s", NULL), *smalldoc = NULL;
        ck_assert_int_ge(asprintf(&smalldoc, "{\"keys\":[%s]}", smalljwk), 0);
        ck_assert_int_eq(jwt_verifier_set_jwks(v, smalldoc, strlen(smalldoc), &reason), -EINVAL);
        ck_assert_str_eq(reason, "An RSA key for JWTs must have at least 2048 bits.");
        EVP_PKEY_free(small);

        _cleanup_free_ char *mism = jwk_of(&p256, "m", ",\"alg\":\"RS256\""), *mismdoc = NULL;
        ck_assert_int_ge(asprintf(&mismdoc, "{\"keys\":[%s]}", mism), 0);
        ck_assert_int_eq(jwt_verifier_set_jwks(v, mismdoc, strlen(mismdoc), &reason), -EINVAL);
        ck_assert_str_eq(reason, "A JWKS entry's alg does not fit its kty.");

        /* Keys of curves without an algorithm here are skipped, and the others still load. */
        _cleanup_free_ char *mixed = NULL;
        ck_assert_int_ge(
                asprintf(&mixed,
                        "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"p521\",\"crv\":\"P-521\",\"x\":\"AA\",\"y\":\"AA\"},"
                        "{\"kty\":\"OKP\",\"kid\":\"ed448\",\"crv\":\"Ed448\",\"x\":\"AA\"},%s]}",
                        sig),
                0);
        ck_assert_int_eq(jwt_verifier_set_jwks(v, mixed, strlen(mixed), &reason), 0);
        ck_assert_int_eq(verify(v, tsig, NOW, &error), 1);
        ck_assert_int_eq(jwt_verifier_set_jwks(v, "{\"keys\":[{\"kty\":\"EC\",\"x\":\"AA\",\"y\":\"AA\"}]}", 41,
                                 &reason),
                -EINVAL);

        ck_assert_int_eq(jwt_verifier_set_jwks(v, "{}", 2, &reason), -EINVAL);
        ck_assert_int_eq(jwt_verifier_set_jwks(v,
                                 "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}]}", 56,
                                 &reason),
                -EINVAL);

        /* The keys from the last good document are still there. */
        ck_assert_int_eq(verify(v, tsig, NOW, &error), 1);
}
END_TEST

START_TEST(test_key_requirements) {
        _cleanup_(jwt_verifier_freep) JwtVerifier *v = verifier_new();
        const char *reason = NULL;
        ck_assert_int_eq(jwt_verifier_add_secret(v, NULL, "too short", 9, &reason), -EINVAL);
        ck_assert_str_eq(reason, "A JWT secret must be at least 32 bytes long.");
        ck_assert_int_eq(jwt_verifier_add_pem(v, NULL, "garbage", 7, &reason), -EINVAL);

        /* A 32-byte secret verifies HS256 but never HS512 (RFC 7518 §3.2: the key at least as long as the hash). */
        TestKey k32 = {};
        memcpy(k32.secret, hmac.secret, 32);
        ck_assert_int_eq(jwt_verifier_add_secret(v, NULL, k32.secret, 32, &reason), 0);
        _cleanup_free_ char *p = claims(NULL), *h256 = header_for("HS256", NULL), *h512 = header_for("HS512", NULL);
        _cleanup_free_ char *t256 = token_full(h256, p, "HS256", &k32, k32.secret, 32),
                            *t512 = token_full(h512, p, "HS512", &k32, k32.secret, 32);
        const char *error;
        ck_assert_int_eq(verify(v, t256, NOW, &error), 1);
        assert_refused(v, t512, "The token's signature does not verify.");
}
END_TEST

START_TEST(test_verified_tokens_are_remembered_until_the_keys_change) {
        _cleanup_(jwt_verifier_freep) JwtVerifier *v = verifier_new();
        verifier_add(v, NULL, &p384);
        _cleanup_free_ char *h = header_for("ES384", NULL), *p = claims("\"scp\":[\"a\"]"),
                            *t = token(h, p, "ES384", &p384);
        const char *error;
        ck_assert_int_eq(verify(v, t, NOW, &error), 1);
        ck_assert_int_eq(jwt_verifier_cache_hits(v), 0);

        JwtClaims c = {};
        ck_assert_int_eq(jwt_verify(v, t, NOW, &c, &error), 1);
        ck_assert_int_eq(jwt_verifier_cache_hits(v), 1);
        ck_assert_str_eq(c.subject, "alice");
        ck_assert_str_eq(c.alg, "ES384");
        ck_assert_str_eq(c.scopes[0], "a");
        jwt_claims_done(&c);

        /* A new key forgets every verified token; a refused token is never remembered. */
        verifier_add(v, NULL, &ed);
        ck_assert_int_eq(verify(v, t, NOW, &error), 1);
        ck_assert_int_eq(jwt_verifier_cache_hits(v), 1);
        _cleanup_free_ char *bad = strdup(t);
        bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
        assert_refused(v, bad, "The token's signature does not verify.");
        assert_refused(v, bad, "The token's signature does not verify.");
        ck_assert_int_eq(jwt_verifier_cache_hits(v), 1);
}
END_TEST

static Suite *jwt_suite(void) {
        Suite *s = suite_create("jwt");
        TCase *tc = tcase_create("jwt");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_loop_test(tc, test_every_algorithm_verifies_its_own_tokens, 0, (int) ELEMENTSOF(algs));
        tcase_add_test(tc, test_algorithm_confusion_is_refused);
        tcase_add_test(tc, test_alg_none_and_unknown_algs_are_refused);
        tcase_add_test(tc, test_crit_header_is_refused);
        tcase_add_test(tc, test_kid_selects_the_key);
        tcase_add_test(tc, test_malformed_tokens_are_refused);
        tcase_add_test(tc, test_time_claims_with_leeway);
        tcase_add_test(tc, test_issuer_audience_and_subject);
        tcase_add_test(tc, test_scopes_from_scope_and_scp);
        tcase_add_test(tc, test_jwks_rotation);
        tcase_add_test(tc, test_jwks_entries_are_checked);
        tcase_add_test(tc, test_key_requirements);
        tcase_add_test(tc, test_verified_tokens_are_remembered_until_the_keys_change);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        keys_make();
        return test_run_suite(jwt_suite());
}
