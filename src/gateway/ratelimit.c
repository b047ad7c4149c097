/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Token buckets kept per principal in a bounded table, refilled from the clock the caller passes in. */
#include <string.h>

#include "hashmap.h"
#include "json-util.h"
#include "ratelimit.h"

static const char *const tool_class_table[_TOOL_CLASS_MAX] = {
        [TOOL_CLASS_READ] = "read",
        [TOOL_CLASS_WRITE] = "write",
        [TOOL_CLASS_DESTRUCTIVE] = "destructive",
};

const char *tool_class_to_string(ToolClass c) {
        return c >= 0 && c < _TOOL_CLASS_MAX ? tool_class_table[c] : NULL;
}

ToolClass tool_class_from_string(const char *s) {
        for (ToolClass c = 0; s && c < _TOOL_CLASS_MAX; c++)
                if (streq(s, tool_class_table[c]))
                        return c;
        return _TOOL_CLASS_INVALID;
}

ToolClass tool_class_from_annotations(json_object *annotations) {
        if (!json_object_is_type(annotations, json_type_object))
                return TOOL_CLASS_WRITE;
        if (json_get_bool(annotations, "readOnlyHint", false))
                return TOOL_CLASS_READ;
        if (json_get_bool(annotations, "destructiveHint", false))
                return TOOL_CLASS_DESTRUCTIVE;
        return TOOL_CLASS_WRITE;
}

int ratelimit_rule_parse(const char *s, RateLimitRule *rule) {
        static const struct {
                const char *name;
                uint64_t usec;
        } units[] = {
                { "s", USEC_PER_SEC },
                { "sec", USEC_PER_SEC },
                { "second", USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC },
                { "minute", 60 * USEC_PER_SEC },
                { "h", 3600 * USEC_PER_SEC },
                { "hour", 3600 * USEC_PER_SEC },
        };

        assert(rule);
        if (isempty(s) || streq(s, "infinity")) {
                rule->count = rule->period_usec = 0;
                return 0;
        }

        uint64_t n = 0;
        const char *p = s;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (n > 1000000000)
                        return -EINVAL; /* more than anyone means, and the arithmetic stays far from overflow */
                n = n * 10 + (uint64_t) (*p - '0');
        }
        if (p == s || n == 0 || *p != '/')
                return -EINVAL;
        FOREACH_ELEMENT(u, units)
        if (streq(p + 1, u->name)) {
                rule->count = n;
                rule->period_usec = u->usec;
                return 0;
        }
        return -EINVAL;
}

bool ratelimit_config_enabled(const RateLimitConfig *c) {
        for (size_t i = 0; c && i < _TOOL_CLASS_MAX; i++)
                if (c->rules[i].count > 0)
                        return true;
        return false;
}

/* A bucket holds tokens in units of 1/period_usec of a token times count, so that each microsecond adds
 * exactly count units and a token costs period_usec units: integer arithmetic, no drift. */
typedef struct Bucket {
        uint64_t units;
        uint64_t updated_usec;
        bool used;
} Bucket;

typedef struct Entry {
        char *principal;
        Bucket buckets[_TOOL_CLASS_MAX];
        struct Entry *newer, *older; /* the LRU list: most recently used first */
} Entry;

struct RateLimit {
        RateLimitRule rules[_TOOL_CLASS_MAX];
        unsigned max_principals;
        Hashmap *entries; /* principal -> Entry */
        Entry *newest, *oldest;
};

static void lru_unlink(RateLimit *rl, Entry *e) {
        if (e->newer)
                e->newer->older = e->older;
        else
                rl->newest = e->older;
        if (e->older)
                e->older->newer = e->newer;
        else
                rl->oldest = e->newer;
        e->newer = e->older = NULL;
}

static void lru_push(RateLimit *rl, Entry *e) {
        e->older = rl->newest;
        e->newer = NULL;
        if (rl->newest)
                rl->newest->newer = e;
        rl->newest = e;
        if (!rl->oldest)
                rl->oldest = e;
}

static void entry_free(Entry *e) {
        if (!e)
                return;
        free(e->principal);
        free(e);
}

static void entry_drop(RateLimit *rl, Entry *e) {
        hashmap_remove(rl->entries, e->principal);
        lru_unlink(rl, e);
        entry_free(e);
}

RateLimit *ratelimit_free(RateLimit *rl) {
        if (!rl)
                return NULL;
        while (rl->oldest)
                entry_drop(rl, rl->oldest);
        hashmap_free(rl->entries);
        free(rl);
        return NULL;
}

int ratelimit_new(const RateLimitConfig *c, RateLimit **ret) {
        assert(c);
        assert(ret);

        _cleanup_(ratelimit_freep) RateLimit *rl = new0(RateLimit, 1);
        if (!rl || !(rl->entries = hashmap_new()))
                return -ENOMEM;
        for (size_t i = 0; i < _TOOL_CLASS_MAX; i++) {
                rl->rules[i] = c->rules[i];
                if (rl->rules[i].count > 0 && rl->rules[i].burst == 0)
                        rl->rules[i].burst = rl->rules[i].count;
        }
        rl->max_principals = c->max_principals ?: RATELIMIT_MAX_PRINCIPALS_DEFAULT;
        *ret = TAKE_PTR(rl);
        return 0;
}

size_t ratelimit_size(RateLimit *rl) {
        return rl ? hashmap_size(rl->entries) : 0;
}

uint64_t ratelimit_retry_after_sec(uint64_t retry_usec) {
        return MAX((retry_usec + USEC_PER_SEC - 1) / USEC_PER_SEC, UINT64_C(1));
}

static Entry *entry_get(RateLimit *rl, const char *principal) {
        Entry *e = hashmap_get(rl->entries, principal);
        if (e) {
                lru_unlink(rl, e);
                lru_push(rl, e);
                return e;
        }

        while (rl->oldest && hashmap_size(rl->entries) >= rl->max_principals)
                entry_drop(rl, rl->oldest);

        e = new0(Entry, 1);
        if (!e || !(e->principal = strdup(principal)) || hashmap_put(rl->entries, e->principal, e) < 0) {
                entry_free(e);
                return NULL;
        }
        lru_push(rl, e);
        return e;
}

int ratelimit_take(RateLimit *rl, const char *principal, ToolClass class, uint64_t now_usec, uint64_t *ret_retry_usec) {
        assert(rl);
        assert(class >= 0 && class < _TOOL_CLASS_MAX);

        const RateLimitRule *rule = &rl->rules[class];
        if (rule->count == 0)
                return 1;

        Entry *e = entry_get(rl, strempty(principal));
        if (!e)
                return -ENOMEM;

        Bucket *b = &e->buckets[class];
        uint64_t capacity = rule->burst * rule->period_usec;
        if (!b->used) {
                b->units = capacity;
                b->used = true;
        } else if (now_usec > b->updated_usec) {
                /* From empty to full takes capacity / count microseconds: no need to add up more than that. */
                uint64_t elapsed = MIN(now_usec - b->updated_usec, capacity / rule->count + 1);
                b->units = MIN(b->units + elapsed * rule->count, capacity);
        }
        b->updated_usec = MAX(b->updated_usec, now_usec);

        if (b->units >= rule->period_usec) {
                b->units -= rule->period_usec;
                return 1;
        }
        if (ret_retry_usec) {
                uint64_t missing = rule->period_usec - b->units;
                *ret_retry_usec = MAX((missing + rule->count - 1) / rule->count, UINT64_C(1));
        }
        return 0;
}
