/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JWT verification: the compact JWS is split and decoded strictly, the header picks a configured key of the
 * algorithm's own type, the signature is checked, then the registered claims against the policy. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>

#include "base64url.h"
#include "json-util.h"
#include "jwt-internal.h"
#include "strv.h"

#define FILE_SIZE_MAX (1024 * 1024)
/* 9999-12-31T23:59:59Z: later times are nonsense, and in µs would overflow. */
#define NUMERIC_DATE_MAX INT64_C(253402300799)

struct JwtVerifier {
        char *issuer;
        char *audience;
        uint64_t leeway_usec;
        size_t max_size;

        JwtKeyList keys; /* secrets and PEM keys */
        JwtKeyList jwks; /* from the JWKS file */
        JwtCache *cache; /* made with the first token that verifies */
        char *jwks_path;
        struct stat jwks_st;
        /* The version of the file that failed to load (st_ino 0: it was missing), reported once. */
        struct stat jwks_failed_st;
        bool jwks_failed;
};

void jwt_claims_done(JwtClaims *c) {
        c->subject = mfree(c->subject);
        c->issuer = mfree(c->issuer);
        c->scopes = strv_free(c->scopes);
        c->kid = mfree(c->kid);
        c->alg = NULL;
}

int jwt_verifier_new(const JwtPolicy *policy, JwtVerifier **ret) {
        _cleanup_(jwt_verifier_freep) JwtVerifier *v = new0(JwtVerifier, 1);
        if (!v)
                return -ENOMEM;
        if ((policy->issuer && !(v->issuer = strdup(policy->issuer))) ||
                (policy->audience && !(v->audience = strdup(policy->audience))))
                return -ENOMEM;
        v->leeway_usec = policy->leeway_usec;
        v->max_size = policy->max_size ?: JWT_SIZE_MAX_DEFAULT;
        *ret = TAKE_PTR(v);
        return 0;
}

JwtVerifier *jwt_verifier_free(JwtVerifier *v) {
        if (!v)
                return NULL;
        jwt_key_list_done(&v->keys);
        jwt_key_list_done(&v->jwks);
        if (v->cache)
                jwt_cache_clear(v->cache);
        free(v->cache);
        free(v->jwks_path);
        free(v->issuer);
        free(v->audience);
        return mfree(v);
}

static int add_key(JwtVerifier *v, JwtKey *k, int r) {
        if (r < 0)
                return r;
        r = jwt_key_list_add(&v->keys, k);
        jwt_key_done(k);
        if (v->cache)
                jwt_cache_clear(v->cache);
        return r;
}

int jwt_verifier_add_secret(JwtVerifier *v, const char *kid, const void *secret, size_t size, const char **ret_reason) {
        JwtKey k = {};
        return add_key(v, &k, jwt_key_from_secret(&k, kid, secret, size, ret_reason));
}

int jwt_verifier_add_pem(JwtVerifier *v, const char *kid, const char *pem, size_t size, const char **ret_reason) {
        JwtKey k = {};
        return add_key(v, &k, jwt_key_from_pem(&k, kid, pem, size, ret_reason));
}

/* Reads a whole small file; st gets what was read. */
static int read_file(const char *path, char **ret, size_t *ret_size, struct stat *st) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, st) < 0)
                return -errno;
        if (!S_ISREG(st->st_mode))
                return -EINVAL;
        if (st->st_size > FILE_SIZE_MAX)
                return -EFBIG;
        _cleanup_free_ char *buf = malloc((size_t) st->st_size + 1);
        if (!buf)
                return -ENOMEM;
        size_t n = 0;
        for (;;) {
                ssize_t l = read(fd, buf + n, (size_t) st->st_size - n);
                if (l < 0)
                        return -errno;
                if (l == 0 || (n += (size_t) l) == (size_t) st->st_size)
                        break;
        }
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

int jwt_verifier_add_pem_file(JwtVerifier *v, const char *kid, const char *path, const char **ret_reason) {
        _cleanup_free_ char *buf = NULL;
        size_t n;
        struct stat st;
        int r = read_file(path, &buf, &n, &st);
        if (r < 0)
                return r;
        return jwt_verifier_add_pem(v, kid, buf, n, ret_reason);
}

int jwt_verifier_add_secret_file(JwtVerifier *v, const char *kid, const char *path, const char **ret_reason) {
        _cleanup_free_ char *buf = NULL;
        size_t n;
        struct stat st;
        int r = read_file(path, &buf, &n, &st);
        if (r < 0)
                return r;
        r = jwt_verifier_add_secret(v, kid, buf, n, ret_reason);
        OPENSSL_cleanse(buf, n);
        return r;
}

int jwt_verifier_set_jwks(JwtVerifier *v, const char *json, size_t size, const char **ret_reason) {
        int r = jwt_jwks_parse(json, size, &v->jwks, ret_reason);
        if (r < 0)
                return r;
        /* A token verified with a key that has left must not verify from memory. */
        if (v->cache)
                jwt_cache_clear(v->cache);
        return 0;
}

static bool stat_same(const struct stat *a, const struct stat *b) {
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
                a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
                a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static int jwks_load(JwtVerifier *v, const char *path, const char **ret_reason) {
        _cleanup_free_ char *buf = NULL;
        size_t n;
        struct stat st = {};
        int r = read_file(path, &buf, &n, &st);
        if (r >= 0)
                r = jwt_verifier_set_jwks(v, buf, n, ret_reason);
        if (r < 0) {
                v->jwks_failed = true;
                v->jwks_failed_st = st;
                return r;
        }
        v->jwks_failed = false;
        v->jwks_st = st;
        return 0;
}

int jwt_verifier_set_jwks_file(JwtVerifier *v, const char *path, const char **ret_reason) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        int r = jwks_load(v, path, ret_reason);
        if (r < 0)
                return r;
        free(v->jwks_path);
        v->jwks_path = TAKE_PTR(p);
        return 0;
}

int jwt_verifier_reload(JwtVerifier *v, bool force, const char **ret_reason) {
        if (!v->jwks_path)
                return 0;
        struct stat st;
        if (stat(v->jwks_path, &st) < 0) {
                if (errno != ENOENT)
                        return -errno;
                st = (struct stat){};
        }
        /* Unchanged since it loaded, or since it failed to (which was reported then). */
        if (!force && (stat_same(&st, &v->jwks_st) || (v->jwks_failed && stat_same(&st, &v->jwks_failed_st))))
                return 0;
        int r = jwks_load(v, v->jwks_path, ret_reason);
        if (r < 0) {
                v->jwks_failed_st = st; /* also when it could not be opened at all */
                return r;
        }
        return 1;
}

static int refuse(const char **ret_error, const char *error) {
        if (ret_error)
                *ret_error = error;
        return 0;
}

/* Decodes one part of the token and parses it as a JSON object. */
static int decode_json_part(const char *part, size_t len, json_object **ret) {
        _cleanup_free_ uint8_t *raw = NULL;
        size_t n;
        int r = base64url_decode(part, len, &raw, &n);
        if (r < 0)
                return r;
        _cleanup_json_ json_object *o = NULL;
        r = json_parse_strict((const char *) raw, n, &o, NULL);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return -EINVAL;
        *ret = TAKE_PTR(o);
        return 0;
}

/* A NumericDate claim in whole seconds: 1 present, 0 absent, -EINVAL not a non-negative number. */
static int claim_time(json_object *payload, const char *name, int64_t *ret) {
        json_object *o;
        if (!json_object_object_get_ex(payload, name, &o))
                return 0;
        if (json_object_is_type(o, json_type_int)) {
                int64_t t = json_object_get_int64(o);
                if (t < 0 || t > NUMERIC_DATE_MAX)
                        return -EINVAL;
                *ret = t;
                return 1;
        }
        if (json_object_is_type(o, json_type_double)) {
                double d = json_object_get_double(o);
                if (!isfinite(d) || d < 0 || d > (double) NUMERIC_DATE_MAX)
                        return -EINVAL;
                *ret = (int64_t) floor(d);
                return 1;
        }
        return -EINVAL;
}

/* The text of a JSON string with no NUL inside, which C would cut short ("admin\u0000x" must not read as
 * "admin"), or NULL. */
static const char *string_of(json_object *o) {
        if (!json_object_is_type(o, json_type_string))
                return NULL;
        const char *s = json_object_get_string(o);
        return strlen(s) == (size_t) json_object_get_string_len(o) ? s : NULL;
}

static const char *member_string(json_object *obj, const char *key) {
        json_object *o;
        return json_object_object_get_ex(obj, key, &o) ? string_of(o) : NULL;
}

static bool audience_matches(json_object *aud, const char *want) {
        if (json_object_is_type(aud, json_type_string))
                return streq_ptr(string_of(aud), want);
        if (!json_object_is_type(aud, json_type_array))
                return false;
        for (size_t i = 0; i < json_object_array_length(aud); i++)
                if (streq_ptr(string_of(json_object_array_get_idx(aud, i)), want))
                        return true;
        return false;
}

/* RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
static bool scope_token_is_valid(const char *w) {
        for (const unsigned char *c = (const unsigned char *) w; *c; c++)
                if (*c < 0x21 || *c == 0x22 || *c == 0x5c || *c > 0x7e)
                        return false;
        return *w;
}

/* A principal's name: printable, bounded, so that it reads safely in logs, polkit rules and the journal. */
static bool subject_is_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > JWT_SUBJECT_MAX)
                return false;
        for (const unsigned char *c = (const unsigned char *) s; *c; c++)
                if (*c < 0x20 || *c == 0x7f)
                        return false;
        return true;
}

static int scopes_add_words(char ***l, size_t *n, const char *s) {
        while (*s) {
                s += strspn(s, " ");
                size_t k = strcspn(s, " ");
                if (k == 0)
                        break;
                _cleanup_free_ char *w = strndup(s, k);
                if (!w)
                        return -ENOMEM;
                s += k;
                if (!scope_token_is_valid(w))
                        return -EINVAL;
                if (strv_contains(*l, w))
                        continue;
                if (*n >= JWT_SCOPES_MAX)
                        return -EINVAL;
                char **nl = realloc(*l, (*n + 2) * sizeof(char *));
                if (!nl)
                        return -ENOMEM;
                *l = nl;
                (*l)[(*n)++] = TAKE_PTR(w);
                (*l)[*n] = NULL;
        }
        return 0;
}

/* scope: a space-separated string (RFC 8693, RFC 9068); scp: an array of strings or a string. */
static int claim_scopes(json_object *payload, char ***ret) {
        _cleanup_strv_free_ char **l = new0(char *, 1);
        size_t n = 0;
        if (!l)
                return -ENOMEM;
        json_object *o;
        int r;
        if (json_object_object_get_ex(payload, "scope", &o)) {
                const char *t = string_of(o);
                if (!t)
                        return -EINVAL;
                r = scopes_add_words(&l, &n, t);
                if (r < 0)
                        return r;
        }
        if (json_object_object_get_ex(payload, "scp", &o)) {
                if (json_object_is_type(o, json_type_string)) {
                        const char *t = string_of(o);
                        if (!t)
                                return -EINVAL;
                        r = scopes_add_words(&l, &n, t);
                        if (r < 0)
                                return r;
                } else if (json_object_is_type(o, json_type_array)) {
                        for (size_t i = 0; i < json_object_array_length(o); i++) {
                                const char *t = string_of(json_object_array_get_idx(o, i));
                                if (!t || strchr(t, ' '))
                                        return -EINVAL;
                                r = scopes_add_words(&l, &n, t);
                                if (r < 0)
                                        return r;
                        }
                } else
                        return -EINVAL;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int check_claims(JwtVerifier *v, json_object *payload, uint64_t now_usec, JwtClaims *c, const char **ret_error) {
        int64_t now = (int64_t) (now_usec / USEC_PER_SEC), leeway = (int64_t) (v->leeway_usec / USEC_PER_SEC);
        int64_t exp, nbf, iat;

        int r = claim_time(payload, "exp", &exp);
        if (r < 0)
                return refuse(ret_error, "The token's exp is not a time (seconds since 1970, up to the year 9999).");
        if (r == 0)
                return refuse(ret_error, "The token has no expiry (exp).");
        if (now >= exp + leeway)
                return refuse(ret_error, "The token has expired.");
        r = claim_time(payload, "nbf", &nbf);
        if (r < 0)
                return refuse(ret_error, "The token's nbf is not a time (seconds since 1970, up to the year 9999).");
        if (r > 0 && now + leeway < nbf)
                return refuse(ret_error, "The token is not valid yet (nbf).");
        r = claim_time(payload, "iat", &iat);
        if (r < 0)
                return refuse(ret_error, "The token's iat is not a time (seconds since 1970, up to the year 9999).");
        if (r > 0 && now + leeway < iat)
                return refuse(ret_error, "The token was issued in the future (iat).");

        json_object *o;
        const char *iss = NULL;
        if (json_object_object_get_ex(payload, "iss", &o)) {
                iss = string_of(o);
                if (!iss)
                        return refuse(ret_error, "The token's iss is not a string.");
        }
        if (v->issuer && !streq_ptr(iss, v->issuer))
                return refuse(ret_error, "The token was issued by another issuer (iss).");
        if (v->audience && (!json_object_object_get_ex(payload, "aud", &o) || !audience_matches(o, v->audience)))
                return refuse(ret_error, "The token was issued for another audience (aud).");

        const char *sub = member_string(payload, "sub");
        if (isempty(sub))
                return refuse(ret_error, "The token has no subject (sub).");
        if (!subject_is_valid(sub))
                return refuse(ret_error,
                        "The token's subject (sub) is longer than 256 bytes or has control characters.");

        _cleanup_strv_free_ char **scopes = NULL;
        r = claim_scopes(payload, &scopes);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return refuse(ret_error, "The token's scope or scp claim is malformed.");

        if (!(c->subject = strdup(sub)) || (iss && !(c->issuer = strdup(iss))))
                return -ENOMEM;
        c->scopes = TAKE_PTR(scopes);
        c->expires_usec = (uint64_t) exp * USEC_PER_SEC;
        return 1;
}

/* The keys that may have signed a token with this kid and algorithm, tried in turn. */
static int check_signature(JwtVerifier *v, const char *kid, const JwtAlg *alg, const char *signed_part,
        size_t signed_size, const uint8_t *sig, size_t sig_size, const char **ret_error) {
        bool kid_known = false, type_known = false;
        const JwtKeyList *lists[] = { &v->keys, &v->jwks };
        FOREACH_ELEMENT(l, lists)
        for (size_t i = 0; i < (*l)->n; i++) {
                const JwtKey *k = &(*l)->keys[i];
                if (k->kid && !streq_ptr(k->kid, kid))
                        continue;
                kid_known = true;
                if (k->type != alg->key_type || (k->alg && !streq(k->alg, alg->name)))
                        continue;
                type_known = true;
                int r = jwt_key_verify(k, alg, signed_part, signed_size, sig, sig_size);
                if (r != 0)
                        return r;
        }
        if (!kid_known)
                return refuse(ret_error, "The token's key id (kid) names no known key.");
        if (!type_known)
                return refuse(ret_error, "No key accepted here verifies the token's algorithm (alg).");
        return refuse(ret_error, "The token's signature does not verify.");
}

int jwt_verify(JwtVerifier *v, const char *token, uint64_t now_usec, JwtClaims *ret, const char **ret_error) {
        if (!token)
                return refuse(ret_error, "The token is malformed.");
        size_t len = strnlen(token, v->max_size + 1);
        if (len > v->max_size)
                return refuse(ret_error, "The token is too large.");

        uint8_t digest[JWT_CACHE_DIGEST_SIZE];
        jwt_cache_digest(token, len, digest);
        const JwtClaims *cached = v->cache ? jwt_cache_find(v->cache, digest) : NULL;
        if (cached) {
                /* Signature, iss, aud, nbf and iat were checked with these keys; only time moves on. */
                int64_t now = (int64_t) (now_usec / USEC_PER_SEC), leeway = (int64_t) (v->leeway_usec / USEC_PER_SEC);
                if (now >= (int64_t) (cached->expires_usec / USEC_PER_SEC) + leeway) {
                        jwt_cache_forget(v->cache, digest);
                        return refuse(ret_error, "The token has expired.");
                }
                if (ret) {
                        int r = jwt_claims_copy(cached, ret);
                        if (r < 0)
                                return r;
                }
                return 1;
        }

        const char *dot1 = memchr(token, '.', len);
        const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t) (dot1 + 1 - token)) : NULL;
        if (!dot2 || memchr(dot2 + 1, '.', len - (size_t) (dot2 + 1 - token)))
                return refuse(ret_error, "The token is not a compact JWS (three parts separated by dots).");

        _cleanup_json_ json_object *header = NULL, *payload = NULL;
        int r = decode_json_part(token, (size_t) (dot1 - token), &header);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return refuse(ret_error, "The token's header is not base64url-encoded JSON.");

        const char *alg_name = member_string(header, "alg");
        if (!alg_name)
                return refuse(ret_error, "The token's header has no alg.");
        const JwtAlg *alg = jwt_alg_find(alg_name);
        if (!alg)
                return refuse(ret_error, "The token's algorithm (alg) is not accepted.");
        /* RFC 7515 §4.1.11: extensions we do not implement must be refused; we implement none. */
        if (json_object_object_get_ex(header, "crit", NULL))
                return refuse(ret_error, "The token's header has crit extensions, which are not supported.");
        json_object *kid_o = NULL;
        if (json_object_object_get_ex(header, "kid", &kid_o) && !string_of(kid_o))
                return refuse(ret_error, "The token's key id (kid) is not a string.");
        const char *kid = kid_o ? string_of(kid_o) : NULL;

        r = decode_json_part(dot1 + 1, (size_t) (dot2 - dot1 - 1), &payload);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return refuse(ret_error, "The token's payload is not base64url-encoded JSON.");

        _cleanup_free_ uint8_t *sig = NULL;
        size_t sig_size;
        r = base64url_decode(dot2 + 1, len - (size_t) (dot2 + 1 - token), &sig, &sig_size);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || sig_size == 0)
                return refuse(ret_error, "The token's signature is not base64url-encoded.");

        r = check_signature(v, kid, alg, token, (size_t) (dot2 - token), sig, sig_size, ret_error);
        if (r <= 0)
                return r;

        _cleanup_(jwt_claims_done) JwtClaims c = {};
        r = check_claims(v, payload, now_usec, &c, ret_error);
        if (r <= 0)
                return r;
        if (kid && !(c.kid = strdup(kid)))
                return -ENOMEM;
        c.alg = alg->name;
        if (!v->cache && !(v->cache = new0(JwtCache, 1)))
                return -ENOMEM;
        r = jwt_cache_put(v->cache, digest, &c);
        if (r < 0)
                return r;
        if (ret) {
                *ret = c;
                c = (JwtClaims){};
        }
        return 1;
}

uint64_t jwt_verifier_cache_hits(JwtVerifier *v) {
        return v->cache ? v->cache->hits : 0;
}
