/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the gateway's Authorization header: any header text through auth_bearer_check(),
 * against a key store with a key and a verifier with an HS256 secret, so that both kinds of credential are
 * reached. A verified header must come with a principal and scopes, a refused one with its reasons. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth-bearer.h"

#define NOW (UINT64_C(1800000000) * USEC_PER_SEC)

static char dir[64], store_path[128];
static ApiKeyStore *keys;
static JwtVerifier *jwt;

static void cleanup(void) {
        char lock[160];
        snprintf(lock, sizeof(lock), "%s.lock", store_path);
        (void) unlink(store_path);
        (void) unlink(lock);
        (void) rmdir(dir);
}

static void setup(void) {
        strcpy(dir, "/tmp/fuzz-bearer-XXXXXX");
        if (!mkdtemp(dir))
                abort();
        atexit(cleanup);
        snprintf(store_path, sizeof(store_path), "%s/api-keys", dir);
        char *scopes[] = { (char *) "tools:a", NULL }, *key = NULL;
        if (apikey_store_open(store_path, NULL, 0, &keys) < 0 ||
                apikey_create(keys, "k", scopes, NOW, 0, &key, NULL) < 0)
                abort();
        free(key);
        const JwtPolicy policy = { .audience = "http://127.0.0.1:9000/mcp", .leeway_usec = JWT_LEEWAY_USEC_DEFAULT };
        static const char secret[] = "0123456789abcdef0123456789abcdef0123456789abcdef";
        if (jwt_verifier_new(&policy, &jwt) < 0 || jwt_verifier_add_secret(jwt, NULL, secret, strlen(secret), NULL) < 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (!keys)
                setup();
        if (size > 3 * BEARER_MAX)
                return 0;
        char *header = malloc(size + 1);
        if (!header)
                return 0;
        memcpy(header, data, size);
        header[size] = 0;

        BearerResult result;
        int r = auth_bearer_check(keys, jwt, header, NOW, &result);
        if (r == 1 && (!result.principal || !result.scopes))
                abort();
        if (r == 0 && (!result.error || !result.description || result.principal))
                abort();
        bearer_result_done(&result);
        free(header);
        return 0;
}
