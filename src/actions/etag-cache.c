/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ETag cache: a hash table from URL to entry; each entry notes when it was last used, and the oldest goes
 * when the cache is full (a walk over at most ETAG_CACHE_ENTRIES_MAX entries, only then). */
#include <stdint.h>

#include "etag-cache.h"
#include "hashmap.h"

typedef struct Entry {
        uint64_t used;
        char *url;
        char *etag;
        char *body;
        size_t size;
} Entry;

struct EtagCache {
        Hashmap *entries;
        uint64_t clock; /* counts uses */
        size_t bytes;
};

static Entry *entry_free(EtagCache *c, Entry *e) {
        if (!e)
                return NULL;
        (void) hashmap_remove(c->entries, e->url);
        c->bytes -= e->size;
        free(e->url);
        free(e->etag);
        free(e->body);
        free(e);
        return NULL;
}

EtagCache *etag_cache_new(void) {
        EtagCache *c = new0(EtagCache, 1);
        if (!c)
                return NULL;
        c->entries = hashmap_new();
        if (!c->entries)
                return mfree(c);
        return c;
}

EtagCache *etag_cache_free(EtagCache *c) {
        if (!c)
                return NULL;
        size_t state = 0;
        void *e;
        while (hashmap_iterate(c->entries, &state, &e, NULL))
                entry_free(c, e);
        hashmap_free(c->entries);
        free(c);
        return NULL;
}

const char *etag_cache_etag(EtagCache *c, const char *url) {
        Entry *e = hashmap_get(c->entries, url);
        return e ? e->etag : NULL;
}

const char *etag_cache_body(EtagCache *c, const char *url, size_t *ret_size) {
        Entry *e = hashmap_get(c->entries, url);
        if (!e)
                return NULL;
        e->used = ++c->clock;
        *ret_size = e->size;
        return e->body;
}

void etag_cache_forget(EtagCache *c, const char *url) {
        entry_free(c, hashmap_get(c->entries, url));
}

int etag_cache_put(EtagCache *c, const char *url, const char *etag, const char *body, size_t size) {
        etag_cache_forget(c, url);
        if (size > ETAG_CACHE_BODY_MAX)
                return 0;

        Entry *e = new0(Entry, 1);
        if (!e)
                return -ENOMEM;
        e->url = strdup(url);
        e->etag = strdup(etag);
        e->body = malloc(size + 1);
        if (!e->url || !e->etag || !e->body || hashmap_put(c->entries, e->url, e) < 0) {
                free(e->url);
                free(e->etag);
                free(e->body);
                free(e);
                return -ENOMEM;
        }
        memcpy(e->body, body, size);
        e->body[size] = 0;
        e->size = size;
        e->used = ++c->clock;
        c->bytes += size;

        while (hashmap_size(c->entries) > ETAG_CACHE_ENTRIES_MAX || c->bytes > ETAG_CACHE_BYTES_MAX) {
                Entry *oldest = NULL;
                size_t state = 0;
                void *v;
                while (hashmap_iterate(c->entries, &state, &v, NULL))
                        if (v != e && (!oldest || ((Entry *) v)->used < oldest->used))
                                oldest = v;
                if (!oldest)
                        break;
                entry_free(c, oldest);
        }
        return 0;
}
