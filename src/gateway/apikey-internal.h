/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the key store's reading side (apikey.c) and editing side (apikey-edit.c) share: the store, its
 * entries, the checks of names and scopes, and the keyed HMAC. */
#pragma once

#include <sys/stat.h>

#include <nettle/hmac.h>

#include "apikey.h"

#define SALT_SIZE 16
#define HASH_SIZE 32
#define SECRET_SIZE 32
#define SECRET_LEN 43 /* base64url of 32 bytes, unpadded */
#define KEY_PREFIX "aios_"
#define KEY_LEN (sizeof(KEY_PREFIX) - 1 + APIKEY_ID_LEN + 1 + SECRET_LEN)
/* "pepper\tCHECK": the first 8 bytes of HMAC-SHA-256(pepper, PEPPER_CHECK_TEXT) in hex, or "none", so that
 * a key made with another pepper than the gateway's is told apart from a wrong key. */
#define PEPPER_CHECK_SIZE 17
#define PEPPER_CHECK_TEXT "aios API key pepper check"

typedef struct Entry {
        ApiKeyInfo info;
        uint8_t salt[SALT_SIZE];
        uint8_t hash[HASH_SIZE];
        struct hmac_sha256_ctx *mac; /* keyed with salt || pepper on first use, ready again after each check */
} Entry;

struct ApiKeyStore {
        char *path;
        uint8_t *pepper;
        size_t pepper_size;
        char pepper_check[PEPPER_CHECK_SIZE];      /* ours */
        char file_pepper_check[PEPPER_CHECK_SIZE]; /* the file's, "" when it has none */

        Entry *entries;
        size_t n_entries;
        /* What the entries were read from; loaded false means read again on next use. */
        bool loaded;
        bool corrupt;
        struct stat st;
};

void apikey_entry_done(Entry *e);
int apikey_info_copy(const ApiKeyInfo *from, ApiKeyInfo *to);

bool apikey_id_is_valid(const char *id);
bool apikey_name_is_valid(const char *name);
bool apikey_scope_is_valid(const char *scope);
/* size bytes as 2 * size lowercase hex digits and a NUL. */
void apikey_hex_encode(const uint8_t *in, size_t size, char *out);

/* Reads the file again when it changed since the entries were read (always when s->loaded is false). */
int apikey_store_refresh(ApiKeyStore *s);
/* -EKEYREJECTED when the file's keys were made with another pepper (or none, or one) than the store's. */
int apikey_store_check_pepper(ApiKeyStore *s);

/* An HMAC-SHA-256 context keyed with salt || pepper, and the HMAC of a key's text with it. */
int apikey_mac_new(ApiKeyStore *s, const uint8_t salt[SALT_SIZE], struct hmac_sha256_ctx **ret);
void apikey_mac_free(struct hmac_sha256_ctx *mac);
void apikey_mac_compute(struct hmac_sha256_ctx *mac, const char *text, uint8_t out[HASH_SIZE]);
