/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Linear-probing hash table with tombstones, FNV-1a hashed, grown at 70% load. */
#include <stdint.h>
#include <stdlib.h>

#include "hashmap.h"

#define TOMBSTONE ((const char *) (uintptr_t) 1)

typedef struct Entry {
        const char *key; /* NULL: empty; TOMBSTONE: removed */
        void *value;
} Entry;

struct Hashmap {
        Entry *entries;
        size_t n_buckets; /* power of two */
        size_t n_used;    /* live entries */
        size_t n_filled;  /* live entries plus tombstones */
};

static uint64_t hash_string(const char *s) {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (; *s; s++)
                h = (h ^ (uint8_t) *s) * 0x100000001b3ULL;
        return h;
}

Hashmap *hashmap_new(void) {
        return new0(Hashmap, 1);
}

Hashmap *hashmap_free(Hashmap *h) {
        if (!h)
                return NULL;
        free(h->entries);
        free(h);
        return NULL;
}

static bool is_live(const Entry *e) {
        return e->key && e->key != TOMBSTONE;
}

static Entry *find(Hashmap *h, const char *key) {
        if (h->n_buckets == 0)
                return NULL;
        size_t mask = h->n_buckets - 1;
        for (size_t i = hash_string(key) & mask;; i = (i + 1) & mask) {
                Entry *e = h->entries + i;
                if (!e->key)
                        return NULL;
                if (e->key != TOMBSTONE && streq(e->key, key))
                        return e;
        }
}

static int resize(Hashmap *h, size_t n_buckets) {
        Entry *entries = new0(Entry, n_buckets);
        if (!entries)
                return -ENOMEM;

        for (size_t i = 0; i < h->n_buckets; i++) {
                Entry *old = h->entries + i;
                if (!is_live(old))
                        continue;
                size_t j = hash_string(old->key) & (n_buckets - 1);
                while (entries[j].key)
                        j = (j + 1) & (n_buckets - 1);
                entries[j] = *old;
        }

        free(h->entries);
        h->entries = entries;
        h->n_buckets = n_buckets;
        h->n_filled = h->n_used;
        return 0;
}

int hashmap_put(Hashmap *h, const char *key, void *value) {
        assert(h);
        assert(key);

        if (find(h, key))
                return -EEXIST;

        if ((h->n_filled + 1) * 10 >= h->n_buckets * 7) {
                size_t n = h->n_buckets ? h->n_buckets : 16;
                while ((h->n_used + 1) * 10 >= n * 5)
                        n *= 2;
                int r = resize(h, n);
                if (r < 0)
                        return r;
        }

        size_t mask = h->n_buckets - 1;
        size_t i = hash_string(key) & mask;
        while (is_live(h->entries + i))
                i = (i + 1) & mask;
        if (!h->entries[i].key)
                h->n_filled++;
        h->entries[i] = (Entry){ .key = key, .value = value };
        h->n_used++;
        return 0;
}

void *hashmap_get(Hashmap *h, const char *key) {
        if (!h || !key)
                return NULL;
        Entry *e = find(h, key);
        return e ? e->value : NULL;
}

void *hashmap_remove(Hashmap *h, const char *key) {
        if (!h || !key)
                return NULL;
        Entry *e = find(h, key);
        if (!e)
                return NULL;
        void *v = e->value;
        *e = (Entry){ .key = TOMBSTONE };
        h->n_used--;
        return v;
}

size_t hashmap_size(Hashmap *h) {
        return h ? h->n_used : 0;
}

bool hashmap_iterate(Hashmap *h, size_t *state, void **ret_value, const char **ret_key) {
        if (!h)
                return false;
        for (; *state < h->n_buckets; (*state)++) {
                Entry *e = h->entries + *state;
                if (!is_live(e))
                        continue;
                (*state)++;
                if (ret_value)
                        *ret_value = e->value;
                if (ret_key)
                        *ret_key = e->key;
                return true;
        }
        return false;
}
