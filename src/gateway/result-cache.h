/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Results of tools that say they may be reused (read-only, idempotent, with a lifetime in their tools/list
 * entry), kept per caller and arguments for that lifetime, so that the same question within it costs no
 * round trip to the server. Bounded in entries and bytes; the least recently used goes first. */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

#include "macro.h"

/* The longest lifetime the gateway honours, whatever a server says. */
#define RESULT_CACHE_TTL_MAX_USEC (60 * USEC_PER_SEC)
#define RESULT_CACHE_ENTRIES_MAX 1024U
#define RESULT_CACHE_BYTES_MAX (16U * 1024U * 1024U)

typedef struct ResultCache ResultCache;

int result_cache_new(ResultCache **ret);
ResultCache *result_cache_free(ResultCache *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(ResultCache *, result_cache_free);

/* How long a tool's results may be reused, from its tools/list entry: 0 unless its annotations say
 * readOnlyHint and idempotentHint and its _meta names a lifetime (capped at RESULT_CACHE_TTL_MAX_USEC). */
uint64_t result_cache_ttl_of(json_object *descriptor);

/* The key of one call: the backend, the tool as the backend names it, who calls with which scopes, and the
 * canonical text of the arguments, hashed (SHA-256, hex) into ret. */
int result_cache_key(const char *backend, const char *tool, const char *principal, const char *scopes,
        json_object *arguments, char ret[static 65]);

/* A new reference to the result kept under key, or NULL when there is none or it is older than its lifetime
 * at now (CLOCK_MONOTONIC µs; an expired one is dropped). */
json_object *result_cache_get(ResultCache *c, const char *key, uint64_t now);
/* Keeps a copy of result under key until expires. */
int result_cache_put(ResultCache *c, const char *key, json_object *result, uint64_t expires);
size_t result_cache_size(ResultCache *c);
