/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* API keys: a file of salted key hashes that the gateway checks bearer keys against, reloading it when it
 * changes, and that aiosctl edits (create, list, revoke). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define APIKEY_STORE_DEFAULT "/var/lib/aios-gateway/api-keys"
#define APIKEY_STORE_FILENAME "api-keys"
#define APIKEY_PEPPER_CREDENTIAL "api-key-pepper"
#define APIKEY_ID_LEN 12
#define APIKEY_NAME_MAX 64
#define APIKEY_SCOPE_MAX 128
#define APIKEY_SCOPES_MAX 64
#define APIKEY_PEPPER_MAX 4096

typedef struct ApiKeyStore ApiKeyStore;

typedef struct ApiKeyInfo {
        char id[APIKEY_ID_LEN + 1]; /* 12 lowercase hex digits */
        char *name;                 /* [A-Za-z0-9._@-]{1,64}; the principal is "key:NAME" */
        char **scopes;              /* NULL-terminated, never NULL */
        uint64_t created;           /* seconds since the epoch */
        uint64_t expires;           /* seconds since the epoch; 0: never */
} ApiKeyInfo;

void apikey_info_done(ApiKeyInfo *info);
void apikey_info_array_free(ApiKeyInfo *a, size_t n);

/* $STATE_DIRECTORY/api-keys when $STATE_DIRECTORY is an absolute path (its first entry), else
 * APIKEY_STORE_DEFAULT. The string may live in static storage that the next call overwrites. */
const char *apikey_store_default_path(void);

/* Reads the pepper from path, or from $CREDENTIALS_DIRECTORY/api-key-pepper when path is NULL. 0 with
 * *ret NULL when there is none (no such file, or path NULL and no $CREDENTIALS_DIRECTORY); 1 with the
 * bytes; -EINVAL for an empty file or one over APIKEY_PEPPER_MAX bytes; another -errno when it cannot be
 * read. */
int apikey_pepper_load(const char *path, void **ret, size_t *ret_size);

/* A store on path (no I/O yet: the file is read on first use, and again whenever its inode, size, mtime or
 * ctime changes). The pepper (may be NULL) is copied; keys verify only with the pepper they were made with. */
int apikey_store_open(const char *path, const void *pepper, size_t pepper_size, ApiKeyStore **ret);
ApiKeyStore *apikey_store_free(ApiKeyStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ApiKeyStore *, apikey_store_free);
const char *apikey_store_path(ApiKeyStore *s);

/* Whether text has the shape of an API key ("aios_" prefix), as opposed to a JWT. */
bool apikey_text_is_key(const char *text);

/* Checks a key (the text after "Bearer "). 1: valid, with *ret_principal ("key:NAME") and *ret_scopes
 * (NULL-terminated) when asked for; 0: refused (malformed, unknown, wrong secret, expired), with a
 * sentence for error_description in *ret_error (static storage) when asked for; -errno when the store
 * cannot be read or is corrupt (-EBADMSG), or when its keys were made with another pepper than this
 * store's, or without one, or with one where this store has none (-EKEYREJECTED): then no key verifies
 * until it is repaired. now_usec is CLOCK_REALTIME in µs. A missing file means no keys. */
int apikey_store_verify(ApiKeyStore *s, const char *text, uint64_t now_usec, char **ret_principal, char ***ret_scopes,
        const char **ret_error);

/* Makes a key, adds it to the file (locked against concurrent editors, replaced atomically, mode 0600,
 * owned like its directory when run as root) and returns its text, the only time it is shown.
 * expires_usec: CLOCK_REALTIME in µs, 0 for never. -EINVAL for an invalid name, scope or expiry;
 * -EKEYREJECTED when the file's keys were made with another pepper (a new file records this store's). */
int apikey_create(ApiKeyStore *s, const char *name, char *const *scopes, uint64_t now_usec, uint64_t expires_usec,
        char **ret_key, ApiKeyInfo *ret_info);

/* The keys in the file, in its order (expired ones included). */
int apikey_list(ApiKeyStore *s, ApiKeyInfo **ret, size_t *ret_n);

/* Removes the key with this id from the file; -ENOENT when there is none. */
int apikey_revoke(ApiKeyStore *s, const char *id);
