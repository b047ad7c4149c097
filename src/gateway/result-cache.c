/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <nettle/sha2.h>
#include <stdio.h>

#include "hashmap.h"
#include "json-util.h"
#include "list.h"
#include "mcp-server.h" /* MCP_META_CACHE_TTL */
#include "result-cache.h"

typedef struct Entry Entry;
struct Entry {
        LIST_FIELDS(Entry); /* most recently used first */
        char key[65];
        json_object *result;
        size_t size; /* of its JSON text, what the byte bound counts */
        uint64_t expires;
};

struct ResultCache {
        Hashmap *entries; /* key -> Entry */
        Entry *lru, *lru_tail;
        size_t bytes;
};

int result_cache_new(ResultCache **ret) {
        ResultCache *c = new0(ResultCache, 1);
        if (!c || !(c->entries = hashmap_new())) {
                free(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

static void entry_drop(ResultCache *c, Entry *e) {
        hashmap_remove(c->entries, e->key);
        if (c->lru_tail == e)
                c->lru_tail = e->prev;
        LIST_REMOVE(c->lru, e);
        c->bytes -= e->size;
        json_object_put(e->result);
        free(e);
}

ResultCache *result_cache_free(ResultCache *c) {
        if (!c)
                return NULL;
        while (c->lru)
                entry_drop(c, c->lru);
        hashmap_free(c->entries);
        free(c);
        return NULL;
}

size_t result_cache_size(ResultCache *c) {
        return hashmap_size(c->entries);
}

uint64_t result_cache_ttl_of(json_object *descriptor) {
        json_object *a = json_get_object(descriptor, "annotations");
        if (!json_get_bool(a, "readOnlyHint", false) || !json_get_bool(a, "idempotentHint", false))
                return 0;
        json_object *ttl = NULL;
        if (!json_object_object_get_ex(json_get_object(descriptor, "_meta"), MCP_META_CACHE_TTL, &ttl) ||
                !json_object_is_type(ttl, json_type_int))
                return 0;
        int64_t ms = json_object_get_int64(ttl);
        if (ms <= 0)
                return 0;
        return MIN((uint64_t) ms * USEC_PER_MSEC, RESULT_CACHE_TTL_MAX_USEC);
}

int result_cache_key(const char *backend, const char *tool, const char *principal, const char *scopes,
        json_object *arguments, char ret[static 65]) {
        _cleanup_free_ char *args = NULL;
        int r = json_canonical_text(arguments, &args);
        if (r < 0)
                return r;
        /* Each part with its length first: no two different calls give the same text. */
        const char *parts[] = { backend, tool, strempty(principal), strempty(scopes), args };
        struct sha256_ctx md;
        uint8_t digest[SHA256_DIGEST_SIZE];
        sha256_init(&md);
        FOREACH_ELEMENT(p, parts) {
                char length[24];
                int l = snprintf(length, sizeof(length), "%zu:", strlen(*p));
                sha256_update(&md, (size_t) l, (const uint8_t *) length);
                sha256_update(&md, strlen(*p), (const uint8_t *) *p);
        }
        sha256_digest(&md, sizeof(digest), digest);
        for (size_t i = 0; i < sizeof(digest); i++)
                snprintf(ret + 2 * i, 3, "%02x", digest[i]);
        return 0;
}

json_object *result_cache_get(ResultCache *c, const char *key, uint64_t now) {
        Entry *e = hashmap_get(c->entries, key);
        if (!e)
                return NULL;
        if (now >= e->expires) {
                entry_drop(c, e);
                return NULL;
        }
        if (c->lru != e) {
                if (c->lru_tail == e)
                        c->lru_tail = e->prev;
                LIST_REMOVE(c->lru, e);
                LIST_PREPEND(c->lru, e);
        }
        return json_object_get(e->result);
}

int result_cache_put(ResultCache *c, const char *key, json_object *result, uint64_t expires) {
        size_t size = strlen(json_to_string(result));
        if (size > RESULT_CACHE_BYTES_MAX / 4)
                return 0; /* one huge result would push out everything else */
        Entry *old = hashmap_get(c->entries, key);
        if (old)
                entry_drop(c, old);
        while (c->lru_tail &&
                (hashmap_size(c->entries) >= RESULT_CACHE_ENTRIES_MAX || c->bytes + size > RESULT_CACHE_BYTES_MAX))
                entry_drop(c, c->lru_tail);

        Entry *e = new0(Entry, 1);
        if (!e)
                return -ENOMEM;
        snprintf(e->key, sizeof(e->key), "%s", key);
        if (json_object_deep_copy(result, &e->result, NULL) < 0 || hashmap_put(c->entries, e->key, e) < 0) {
                json_object_put(e->result);
                free(e);
                return -ENOMEM;
        }
        e->size = size;
        e->expires = expires;
        c->bytes += size;
        LIST_PREPEND(c->lru, e);
        if (!c->lru_tail)
                c->lru_tail = e;
        return 0;
}
