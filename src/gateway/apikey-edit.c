/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The API key store, editing side: new keys and revocations, under a lock, written to a new file that
 * replaces the store atomically. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/file.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "apikey-internal.h"
#include "base64url.h"
#include "strv.h"

static void unlock_close(int *fd) {
        if (*fd >= 0) {
                (void) flock(*fd, LOCK_UN);
                close(*fd);
        }
}

/* aiosctl runs as root; the gateway that reads the store runs as the owner of its directory, and must be
 * able to read what root wrote (and take the lock after it). */
static int chown_like_dir(ApiKeyStore *s, int fd) {
        if (geteuid() != 0)
                return 0;
        _cleanup_free_ char *dir = strdup(s->path);
        if (!dir)
                return -ENOMEM;
        char *slash = strrchr(dir, '/');
        if (slash)
                *(slash == dir ? slash + 1 : slash) = 0;
        struct stat st;
        if (stat(slash ? dir : ".", &st) < 0)
                return -errno;
        return fchown(fd, st.st_uid, st.st_gid) < 0 ? -errno : 0;
}

/* Editors take an exclusive lock on PATH.lock: the file itself is replaced by rename, so it cannot carry
 * the lock. Readers need no lock: they only ever see a complete file. */
static int store_lock(ApiKeyStore *s, int *ret_fd) {
        _cleanup_free_ char *p = NULL;
        if (asprintf(&p, "%s.lock", s->path) < 0)
                return -ENOMEM;
        int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;
        int r = chown_like_dir(s, fd);
        if (r >= 0 && flock(fd, LOCK_EX) < 0)
                r = -errno;
        if (r < 0) {
                close(fd);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

static int write_entry(FILE *f, const Entry *e) {
        char salt[SALT_SIZE * 2 + 1], hash[HASH_SIZE * 2 + 1];
        apikey_hex_encode(e->salt, SALT_SIZE, salt);
        apikey_hex_encode(e->hash, HASH_SIZE, hash);
        fprintf(f, "%s\t%s\t", e->info.id, e->info.name);
        for (size_t i = 0; e->info.scopes[i]; i++)
                fprintf(f, "%s%s", i > 0 ? "," : "", e->info.scopes[i]);
        fprintf(f, "\t%" PRIu64 "\t%" PRIu64 "\t%s\t%s\n", e->info.created, e->info.expires, salt, hash);
        return 0;
}

static void unlink_tmp(char **p) {
        if (*p) {
                (void) unlink(*p);
                free(*p);
        }
}

/* Writes entries (skipping the one at index skip, if any) to a temporary file beside the store and renames
 * it over the store. */
static int store_write(ApiKeyStore *s, const Entry *entries, size_t n, size_t skip, const Entry *extra) {
        _cleanup_(unlink_tmp) char *tmp = NULL;
        if (asprintf(&tmp, "%s.XXXXXX", s->path) < 0)
                return -ENOMEM;
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                tmp = mfree(tmp);
                return -errno;
        }
        if (fchmod(fd, 0600) < 0)
                return -errno;
        int r = chown_like_dir(s, fd);
        if (r < 0)
                return r;

        FILE *f = fdopen(fd, "we");
        if (!f)
                return -errno;
        int dupfd = TAKE_FD(fd);
        fputs("# aios API keys: id, name, scopes, created, expires (0: never), salt, HMAC-SHA-256 of the key.\n"
              "# Edited with aiosctl key create|list|revoke.\n",
                f);
        if (s->file_pepper_check[0])
                fprintf(f, "pepper\t%s\n", s->file_pepper_check);
        for (size_t i = 0; i < n; i++)
                if (i != skip)
                        write_entry(f, &entries[i]);
        if (extra)
                write_entry(f, extra);
        r = 0;
        if (fflush(f) != 0 || ferror(f) || fsync(dupfd) < 0)
                r = errno > 0 ? -errno : -EIO;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r < 0)
                return r;
        if (rename(tmp, s->path) < 0)
                return -errno;
        tmp = mfree(tmp);
        s->loaded = false;
        return 0;
}

int apikey_create(ApiKeyStore *s, const char *name, char *const *scopes, uint64_t now_usec, uint64_t expires_usec,
        char **ret_key, ApiKeyInfo *ret_info) {
        if (!name || !apikey_name_is_valid(name) || strv_length(scopes) > APIKEY_SCOPES_MAX)
                return -EINVAL;
        for (size_t i = 0; scopes && scopes[i]; i++)
                if (!apikey_scope_is_valid(scopes[i]))
                        return -EINVAL;
        if (expires_usec != 0 && expires_usec <= now_usec)
                return -EINVAL;

        _cleanup_(unlock_close) int lock = -EBADF;
        int r = store_lock(s, &lock);
        if (r < 0)
                return r;
        s->loaded = false; /* read what other editors wrote, whatever the timestamps say */
        r = apikey_store_refresh(s);
        if (r < 0)
                return r;
        r = apikey_store_check_pepper(s);
        if (r < 0)
                return r;
        /* A new store records our pepper; one with keys of an unknown pepper is left as it is. */
        if (s->n_entries == 0)
                strcpy(s->file_pepper_check, s->pepper_check);

        _cleanup_(apikey_entry_done) Entry e = {};
        ApiKeyInfo *info = &e.info;
        uint8_t idb[APIKEY_ID_LEN / 2], secret[SECRET_SIZE];
        for (bool unique = false; !unique;) {
                if (RAND_bytes(idb, sizeof(idb)) != 1)
                        return -EIO;
                apikey_hex_encode(idb, sizeof(idb), info->id);
                unique = true;
                for (size_t i = 0; i < s->n_entries; i++)
                        if (streq(s->entries[i].info.id, info->id))
                                unique = false;
        }
        if (RAND_bytes(secret, sizeof(secret)) != 1 || RAND_bytes(e.salt, sizeof(e.salt)) != 1)
                return -EIO;
        _cleanup_free_ char *secret_text = base64url_encode(secret, sizeof(secret));
        OPENSSL_cleanse(secret, sizeof(secret));
        if (!secret_text)
                return -ENOMEM;
        _cleanup_free_ char *key = NULL;
        if (asprintf(&key, KEY_PREFIX "%s_%s", info->id, secret_text) < 0)
                return -ENOMEM;
        OPENSSL_cleanse(secret_text, strlen(secret_text));

        info->name = strdup(name);
        info->scopes = strv_copy(scopes);
        if (!info->name || !info->scopes)
                return -ENOMEM;
        info->created = now_usec / USEC_PER_SEC;
        info->expires = expires_usec == 0 ? 0 : (expires_usec + USEC_PER_SEC - 1) / USEC_PER_SEC;
        r = apikey_mac_new(s, e.salt, &e.mac);
        if (r < 0)
                return r;
        apikey_mac_compute(e.mac, key, e.hash);

        r = store_write(s, s->entries, s->n_entries, SIZE_MAX, &e);
        if (r < 0)
                return r;
        if (ret_info) {
                r = apikey_info_copy(info, ret_info);
                if (r < 0)
                        return r;
        }
        *ret_key = TAKE_PTR(key);
        return 0;
}

int apikey_revoke(ApiKeyStore *s, const char *id) {
        if (!id || !apikey_id_is_valid(id))
                return -ENOENT;
        _cleanup_(unlock_close) int lock = -EBADF;
        int r = store_lock(s, &lock);
        if (r < 0)
                return r;
        s->loaded = false;
        r = apikey_store_refresh(s);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_entries; i++)
                if (streq(s->entries[i].info.id, id))
                        return store_write(s, s->entries, s->n_entries, i, NULL);
        return -ENOENT;
}
