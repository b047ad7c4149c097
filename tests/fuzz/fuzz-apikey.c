/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the API key store: bearer texts against a store with keys, and store files of any
 * content read and checked. The first byte picks which. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "apikey.h"

#define NOW (UINT64_C(1800000000) * USEC_PER_SEC)

static char dir[64], good_path[128], fuzz_path[128];
static ApiKeyStore *good;
static char *good_key;

static void cleanup(void) {
        char lock[160];
        snprintf(lock, sizeof(lock), "%s.lock", good_path);
        (void) unlink(good_path);
        (void) unlink(lock);
        (void) unlink(fuzz_path);
        (void) rmdir(dir);
}

static void setup(void) {
        strcpy(dir, "/tmp/fuzz-apikey-XXXXXX");
        if (!mkdtemp(dir))
                abort();
        atexit(cleanup);
        snprintf(good_path, sizeof(good_path), "%s/good", dir);
        snprintf(fuzz_path, sizeof(fuzz_path), "%s/fuzzed", dir);
        char *scopes[] = { (char *) "tools:a", (char *) "admin", NULL };
        if (apikey_store_open(good_path, "pepper", 6, &good) < 0)
                abort();
        for (int i = 0; i < 3; i++) {
                free(good_key);
                good_key = NULL;
                if (apikey_create(good, "k", scopes, NOW, i == 1 ? NOW + USEC_PER_SEC : 0, &good_key, NULL) < 0)
                        abort();
        }
}

static void check(ApiKeyStore *s, const char *text) {
        char *principal = NULL, **scopes = NULL;
        const char *error = NULL;
        int r = apikey_store_verify(s, text, NOW, &principal, &scopes, &error);
        if ((r == 1) != (principal != NULL) || (r == 0 && !error))
                abort();
        free(principal);
        for (size_t i = 0; scopes && scopes[i]; i++)
                free(scopes[i]);
        free(scopes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (!good)
                setup();
        if (size < 1 || size > 65536)
                return 0;
        bool as_file = data[0] & 1;
        data++, size--;

        if (!as_file) {
                char *text = strndup((const char *) data, size);
                if (!text)
                        abort();
                check(good, text);
                free(text);
                return 0;
        }

        int fd = open(fuzz_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, data, size) != (ssize_t) size || close(fd) < 0)
                abort();
        ApiKeyStore *s = NULL;
        if (apikey_store_open(fuzz_path, NULL, 0, &s) < 0)
                abort();
        check(s, good_key);
        check(s, "aios_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        ApiKeyInfo *keys = NULL;
        size_t n = 0;
        if (apikey_list(s, &keys, &n) >= 0)
                apikey_info_array_free(keys, n);
        apikey_store_free(s);
        return 0;
}
