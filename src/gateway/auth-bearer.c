/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bearer credentials: the header's shape, then an API key against the store or a JWT against the verifier. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth-bearer.h"
#include "log.h"
#include "strv.h"

void bearer_result_done(BearerResult *r) {
        free(r->principal);
        free(r->scopes);
        *r = (BearerResult){};
}

static int refused(BearerResult *ret, const char *error, const char *description) {
        ret->error = error;
        ret->description = description;
        return 0;
}

static char *scopes_join(char *const *scopes) {
        size_t n = 1;
        for (char *const *s = scopes; s && *s; s++)
                n += strlen(*s) + 1;
        char *text = new0(char, n);
        if (!text)
                return NULL;
        for (char *const *s = scopes; s && *s; s++) {
                if (s != scopes)
                        strcat(text, " ");
                strcat(text, *s);
        }
        return text;
}

static int check_key(ApiKeyStore *keys, const char *token, uint64_t now_usec, BearerResult *ret) {
        _cleanup_free_ char *principal = NULL;
        _cleanup_strv_free_ char **scopes = NULL;
        const char *why = NULL;
        int r = apikey_store_verify(keys, token, now_usec, &principal, &scopes, &why);
        if (r < 0) {
                log_error_errno(r, "Failed to check an API key against %s: %m", apikey_store_path(keys));
                return refused(ret, "invalid_token",
                        "The API key store cannot be read; no key is accepted until it is repaired");
        }
        if (r == 0)
                return refused(ret, "invalid_token", why ?: "The API key is not valid");
        ret->scopes = scopes_join(scopes);
        if (!ret->scopes)
                return -ENOMEM;
        ret->principal = TAKE_PTR(principal);
        return 1;
}

static int check_jwt(JwtVerifier *jwt, const char *token, uint64_t now_usec, BearerResult *ret) {
        const char *why = NULL;
        int r = jwt_verifier_reload(jwt, false, &why);
        if (r < 0)
                log_warning_errno(r, "Failed to reload the JWKS file, keeping the keys in use: %s",
                        why ?: strerror(-r));

        _cleanup_(jwt_claims_done) JwtClaims claims = {};
        r = jwt_verify(jwt, token, now_usec, &claims, &why);
        if (r < 0)
                return r;
        if (r == 0)
                return refused(ret, "invalid_token", why ?: "The token is not valid");
        ret->scopes = scopes_join(claims.scopes);
        if (!ret->scopes || asprintf(&ret->principal, "jwt:%s", claims.subject) < 0) {
                ret->principal = NULL;
                return -ENOMEM;
        }
        return 1;
}

int auth_bearer_check(ApiKeyStore *keys, JwtVerifier *jwt, const char *header, uint64_t now_usec, BearerResult *ret) {
        assert(header);
        *ret = (BearerResult){};
        if (strncasecmp(header, "Bearer ", 7) != 0)
                return refused(ret, "invalid_request", "Only bearer tokens are accepted (Authorization: Bearer ...)");

        const char *token = header + 7;
        token += strspn(token, " ");
        size_t n = strlen(token);
        if (n == 0 || n > BEARER_MAX || strcspn(token, " \t\r\n\"\\") != n)
                return refused(ret, "invalid_token", "The bearer token is malformed or too long");
        if (apikey_text_is_key(token))
                return check_key(keys, token, now_usec, ret);
        if (jwt)
                return check_jwt(jwt, token, now_usec, ret);
        return refused(ret, "invalid_token",
                "The bearer token is not an API key of this gateway, which takes no other tokens");
}
