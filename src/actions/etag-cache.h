/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GitHub's answers remembered per URL with their ETag, so that a request can be made conditional and a 304
 * (which costs no rate limit) answered with the body seen before. Bounded, least recently used out first. */
#pragma once

#include <stddef.h>

#include "macro.h"

typedef struct EtagCache EtagCache;

#define ETAG_CACHE_ENTRIES_MAX 512U
#define ETAG_CACHE_BODY_MAX (1024U * 1024U)
#define ETAG_CACHE_BYTES_MAX (32U * 1024U * 1024U)

EtagCache *etag_cache_new(void);
EtagCache *etag_cache_free(EtagCache *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(EtagCache *, etag_cache_free);

/* The ETag remembered for url, or NULL. Valid until the cache is next changed. */
const char *etag_cache_etag(EtagCache *c, const char *url);
/* The body remembered for url (and marks it recently used), or NULL. */
const char *etag_cache_body(EtagCache *c, const char *url, size_t *ret_size);
/* Remembers body under url with etag, replacing what was there. A body too large is not kept (and an older
 * one for url is forgotten). Returns 0 or -ENOMEM. */
int etag_cache_put(EtagCache *c, const char *url, const char *etag, const char *body, size_t size);
void etag_cache_forget(EtagCache *c, const char *url);
