/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libcurl, loaded when a process first needs it rather than at start: a gateway without remote backends
 * never maps it, nor the dozen libraries it brings (Kerberos, LDAP, SSH, RTMP, nghttp2, libssl: 1.6 MiB of
 * resident memory). Call curl_dlopen() once before any sym_curl_*(); the daemons that use libcurl do so while
 * they set up, before their seccomp filter. */
#pragma once

#include <curl/curl.h>

#define CURL_DLSYM(symbol) extern typeof(symbol) *sym_##symbol

CURL_DLSYM(curl_easy_cleanup);
CURL_DLSYM(curl_easy_escape);
CURL_DLSYM(curl_easy_getinfo);
CURL_DLSYM(curl_easy_init);
CURL_DLSYM(curl_easy_setopt);
CURL_DLSYM(curl_easy_strerror);
CURL_DLSYM(curl_free);
CURL_DLSYM(curl_global_cleanup);
CURL_DLSYM(curl_mime_addpart);
CURL_DLSYM(curl_mime_data);
CURL_DLSYM(curl_mime_encoder);
CURL_DLSYM(curl_mime_filename);
CURL_DLSYM(curl_mime_free);
CURL_DLSYM(curl_mime_init);
CURL_DLSYM(curl_mime_subparts);
CURL_DLSYM(curl_mime_type);
CURL_DLSYM(curl_multi_add_handle);
CURL_DLSYM(curl_multi_cleanup);
CURL_DLSYM(curl_multi_info_read);
CURL_DLSYM(curl_multi_init);
CURL_DLSYM(curl_multi_remove_handle);
CURL_DLSYM(curl_multi_setopt);
CURL_DLSYM(curl_multi_socket_action);
CURL_DLSYM(curl_multi_strerror);
CURL_DLSYM(curl_slist_append);
CURL_DLSYM(curl_slist_free_all);
CURL_DLSYM(curl_url);
CURL_DLSYM(curl_url_cleanup);
CURL_DLSYM(curl_url_get);
CURL_DLSYM(curl_url_set);

/* Loads libcurl (which starts itself, and OpenSSL, with its first easy handle); again, does nothing. 0, or
 * -EOPNOTSUPP (logged) when libcurl or one of its functions is missing. */
int curl_dlopen(void);
/* curl_global_cleanup(), if it was loaded. */
void curl_dlclose(void);
