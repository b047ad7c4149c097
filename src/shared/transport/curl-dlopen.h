/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libcurl, loaded when a process first needs it rather than at start: a gateway without remote backends
 * never maps it, nor the dozen libraries it brings (Kerberos, LDAP, SSH, RTMP, nghttp2, libssl: 1.6 MiB of
 * resident memory). Call curl_dlopen() once before any sym_curl_*(); the daemons that use libcurl do so while
 * they set up, before their seccomp filter. */
#pragma once

#include <curl/curl.h>

/* The libcurl functions aios calls, as sym_NAME: one more is one more line here. */
#define CURL_DLSYMS(X)                                                                                                 \
        X(curl_easy_cleanup)                                                                                           \
        X(curl_easy_escape)                                                                                            \
        X(curl_easy_getinfo)                                                                                           \
        X(curl_easy_init)                                                                                              \
        X(curl_easy_setopt)                                                                                            \
        X(curl_easy_strerror)                                                                                          \
        X(curl_free)                                                                                                   \
        X(curl_global_cleanup)                                                                                         \
        X(curl_mime_addpart)                                                                                           \
        X(curl_mime_data)                                                                                              \
        X(curl_mime_encoder)                                                                                           \
        X(curl_mime_filename)                                                                                          \
        X(curl_mime_free)                                                                                              \
        X(curl_mime_init)                                                                                              \
        X(curl_mime_subparts)                                                                                          \
        X(curl_mime_type)                                                                                              \
        X(curl_multi_add_handle)                                                                                       \
        X(curl_multi_cleanup)                                                                                          \
        X(curl_multi_info_read)                                                                                        \
        X(curl_multi_init)                                                                                             \
        X(curl_multi_remove_handle)                                                                                    \
        X(curl_multi_setopt)                                                                                           \
        X(curl_multi_socket_action)                                                                                    \
        X(curl_multi_strerror)                                                                                         \
        X(curl_slist_append)                                                                                           \
        X(curl_slist_free_all)                                                                                         \
        X(curl_url)                                                                                                    \
        X(curl_url_cleanup)                                                                                            \
        X(curl_url_get)                                                                                                \
        X(curl_url_set)

#define CURL_DLSYM_DECLARE(symbol) extern typeof(symbol) *sym_##symbol;
CURL_DLSYMS(CURL_DLSYM_DECLARE)

/* Loads libcurl (which starts itself, and OpenSSL, with its first easy handle); again, does nothing. 0, or
 * -EOPNOTSUPP (logged) when libcurl or one of its functions is missing. */
int curl_dlopen(void);
/* curl_global_cleanup(), if it was loaded. */
void curl_dlclose(void);
