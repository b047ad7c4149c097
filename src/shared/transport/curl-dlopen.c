/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libcurl loaded at first use (see curl-dlopen.h). */
#include <dlfcn.h>
#include <errno.h>

#include "curl-dlopen.h"
#include "log.h"
#include "macro.h"

#define CURL_SYM(symbol) typeof(symbol) *sym_##symbol
CURL_SYM(curl_easy_cleanup);
CURL_SYM(curl_easy_escape);
CURL_SYM(curl_easy_getinfo);
CURL_SYM(curl_easy_init);
CURL_SYM(curl_easy_setopt);
CURL_SYM(curl_easy_strerror);
CURL_SYM(curl_free);
CURL_SYM(curl_global_cleanup);
CURL_SYM(curl_mime_addpart);
CURL_SYM(curl_mime_data);
CURL_SYM(curl_mime_encoder);
CURL_SYM(curl_mime_filename);
CURL_SYM(curl_mime_free);
CURL_SYM(curl_mime_init);
CURL_SYM(curl_mime_subparts);
CURL_SYM(curl_mime_type);
CURL_SYM(curl_multi_add_handle);
CURL_SYM(curl_multi_cleanup);
CURL_SYM(curl_multi_info_read);
CURL_SYM(curl_multi_init);
CURL_SYM(curl_multi_remove_handle);
CURL_SYM(curl_multi_setopt);
CURL_SYM(curl_multi_socket_action);
CURL_SYM(curl_multi_strerror);
CURL_SYM(curl_slist_append);
CURL_SYM(curl_slist_free_all);
CURL_SYM(curl_url);
CURL_SYM(curl_url_cleanup);
CURL_SYM(curl_url_get);
CURL_SYM(curl_url_set);

#define CURL_ENTRY(symbol)                                                                                             \
        { #symbol, (void **) &sym_##symbol }
static const struct {
        const char *name;
        void **where;
} symbols[] = {
        CURL_ENTRY(curl_easy_cleanup),
        CURL_ENTRY(curl_easy_escape),
        CURL_ENTRY(curl_easy_getinfo),
        CURL_ENTRY(curl_easy_init),
        CURL_ENTRY(curl_easy_setopt),
        CURL_ENTRY(curl_easy_strerror),
        CURL_ENTRY(curl_free),
        CURL_ENTRY(curl_global_cleanup),
        CURL_ENTRY(curl_mime_addpart),
        CURL_ENTRY(curl_mime_data),
        CURL_ENTRY(curl_mime_encoder),
        CURL_ENTRY(curl_mime_filename),
        CURL_ENTRY(curl_mime_free),
        CURL_ENTRY(curl_mime_init),
        CURL_ENTRY(curl_mime_subparts),
        CURL_ENTRY(curl_mime_type),
        CURL_ENTRY(curl_multi_add_handle),
        CURL_ENTRY(curl_multi_cleanup),
        CURL_ENTRY(curl_multi_info_read),
        CURL_ENTRY(curl_multi_init),
        CURL_ENTRY(curl_multi_remove_handle),
        CURL_ENTRY(curl_multi_setopt),
        CURL_ENTRY(curl_multi_socket_action),
        CURL_ENTRY(curl_multi_strerror),
        CURL_ENTRY(curl_slist_append),
        CURL_ENTRY(curl_slist_free_all),
        CURL_ENTRY(curl_url),
        CURL_ENTRY(curl_url_cleanup),
        CURL_ENTRY(curl_url_get),
        CURL_ENTRY(curl_url_set),
};

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
