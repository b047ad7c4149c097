/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libcurl loaded at first use (see curl-dlopen.h). */
#include <dlfcn.h>
#include <errno.h>

#include "curl-dlopen.h"
#include "log.h"
#include "macro.h"

#define CURL_DLSYM_DEFINE(symbol) typeof(symbol) *sym_##symbol;
CURL_DLSYMS(CURL_DLSYM_DEFINE)

#define CURL_DLSYM_ENTRY(symbol) { #symbol, (void **) &sym_##symbol },
static const struct {
        const char *name;
        void **where;
} symbols[] = { CURL_DLSYMS(CURL_DLSYM_ENTRY) };

static void *curl_library;

int curl_dlopen(void) {
        if (curl_library)
                return 0;

        /* RTLD_NODELETE: libcurl, and the OpenSSL it starts, stay mapped until the process ends. */
        void *dl = dlopen("libcurl.so.4", RTLD_NOW | RTLD_NODELETE);
        if (!dl)
                return log_error_errno(EOPNOTSUPP, "Failed to load libcurl: %s", dlerror());
        for (size_t i = 0; i < ELEMENTSOF(symbols); i++)
                if (!(*symbols[i].where = dlsym(dl, symbols[i].name))) {
                        log_error("libcurl has no %s: %s", symbols[i].name, dlerror());
                        (void) dlclose(dl);
                        return -EOPNOTSUPP;
                }
        /* libcurl starts itself, and OpenSSL, with the first easy handle: not before a transfer is made. */
        curl_library = dl;
        return 0;
}

void curl_dlclose(void) {
        if (curl_library)
                sym_curl_global_cleanup();
}
