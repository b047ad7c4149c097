/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The API key store: one line per key (id, name, scopes, created, expires, salt, HMAC-SHA-256 of the key),
 * reloaded when the file changes so that a revocation reaches every replica sharing it on its next request. */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "apikey.h"
#include "base64url.h"
#include "strv.h"

#define SALT_SIZE 16
#define HASH_SIZE 32
#define SECRET_SIZE 32
#define SECRET_LEN 43 /* base64url of 32 bytes, unpadded */
#define KEY_PREFIX "aios_"
#define KEY_LEN (sizeof(KEY_PREFIX) - 1 + APIKEY_ID_LEN + 1 + SECRET_LEN)
#define LINE_MAX_LEN 16384
/* "pepper\tCHECK": the first 8 bytes of HMAC-SHA-256(pepper, PEPPER_CHECK_TEXT) in hex, or "none", so that
 * a key made with another pepper than the gateway's is told apart from a wrong key. */
#define PEPPER_CHECK_SIZE 17
#define PEPPER_CHECK_TEXT "aios API key pepper check"

typedef struct Entry {
        ApiKeyInfo info;
        uint8_t salt[SALT_SIZE];
        uint8_t hash[HASH_SIZE];
        EVP_MAC_CTX *mac; /* keyed with salt || pepper on first use, then re-initialized for each check */
} Entry;

struct ApiKeyStore {
        char *path;
        uint8_t *pepper;
        size_t pepper_size;
        EVP_MAC *hmac; /* fetched once: OpenSSL's one-shot HMAC() fetches it on every call */
        char pepper_check[PEPPER_CHECK_SIZE];      /* ours */
        char file_pepper_check[PEPPER_CHECK_SIZE]; /* the file's, "" when it has none */

        Entry *entries;
        size_t n_entries;
        /* What the entries were read from; loaded false means read again on next use. */
        bool loaded;
        bool corrupt;
        struct stat st;
};

void apikey_info_done(ApiKeyInfo *info) {
        info->name = mfree(info->name);
        info->scopes = strv_free(info->scopes);
}

void apikey_info_array_free(ApiKeyInfo *a, size_t n) {
        for (size_t i = 0; i < n; i++)
                apikey_info_done(&a[i]);
        free(a);
}

static void entry_done(Entry *e) {
        apikey_info_done(&e->info);
        EVP_MAC_CTX_free(e->mac);
        e->mac = NULL;
}

static void entries_free(Entry *e, size_t n) {
        for (size_t i = 0; i < n; i++)
                entry_done(&e[i]);
        free(e);
}

const char *apikey_store_default_path(void) {
        static char buf[PATH_MAX];
        const char *e = getenv("STATE_DIRECTORY");
        if (!e || e[0] != '/')
                return APIKEY_STORE_DEFAULT;
        size_t n = strcspn(e, ":");
        if (n + 1 + strlen(APIKEY_STORE_FILENAME) >= sizeof(buf))
                return APIKEY_STORE_DEFAULT;
        snprintf(buf, sizeof(buf), "%.*s/%s", (int) n, e, APIKEY_STORE_FILENAME);
        return buf;
}

int apikey_pepper_load(const char *path, void **ret, size_t *ret_size) {
        _cleanup_free_ char *p = NULL;
        if (!path) {
                const char *d = getenv("CREDENTIALS_DIRECTORY");
                if (!d || d[0] != '/') {
                        *ret = NULL;
                        *ret_size = 0;
                        return 0;
                }
                if (asprintf(&p, "%s/%s", d, APIKEY_PEPPER_CREDENTIAL) < 0)
                        return -ENOMEM;
                path = p;
        }

        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno != ENOENT)
                        return -errno;
                *ret = NULL;
                *ret_size = 0;
                return 0;
        }
        _cleanup_free_ uint8_t *buf = malloc(APIKEY_PEPPER_MAX + 1);
        if (!buf)
                return -ENOMEM;
        size_t n = 0;
        for (;;) {
                ssize_t l = read(fd, buf + n, APIKEY_PEPPER_MAX + 1 - n);
                if (l < 0)
                        return -errno;
                if (l == 0)
                        break;
                n += (size_t) l;
                if (n > APIKEY_PEPPER_MAX)
                        return -EINVAL;
        }
        if (n == 0)
                return -EINVAL;
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 1;
}

static void hex_encode(const uint8_t *in, size_t size, char *out);

static int pepper_check(ApiKeyStore *s) {
        if (s->pepper_size == 0) {
                strcpy(s->pepper_check, "none");
                return 0;
        }
        uint8_t mac[HASH_SIZE];
        size_t len = 0;
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *) "SHA256", 0),
                OSSL_PARAM_construct_end(),
        };
        EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(s->hmac);
        bool ok = ctx && EVP_MAC_init(ctx, s->pepper, s->pepper_size, params) == 1 &&
                EVP_MAC_update(ctx, (const uint8_t *) PEPPER_CHECK_TEXT, strlen(PEPPER_CHECK_TEXT)) == 1 &&
                EVP_MAC_final(ctx, mac, &len, sizeof(mac)) == 1;
        EVP_MAC_CTX_free(ctx);
        if (!ok)
                return -EIO;
        hex_encode(mac, (PEPPER_CHECK_SIZE - 1) / 2, s->pepper_check);
        return 0;
}

int apikey_store_open(const char *path, const void *pepper, size_t pepper_size, ApiKeyStore **ret) {
        if (isempty(path) || (pepper_size > 0 && !pepper))
                return -EINVAL;
        _cleanup_(apikey_store_freep) ApiKeyStore *s = new0(ApiKeyStore, 1);
        if (!s || !(s->path = strdup(path)))
                return -ENOMEM;
        if (pepper_size > APIKEY_PEPPER_MAX)
                return -EINVAL;
        if (pepper_size > 0) {
                if (!(s->pepper = malloc(pepper_size)))
                        return -ENOMEM;
                memcpy(s->pepper, pepper, pepper_size);
                s->pepper_size = pepper_size;
        }
        if (!(s->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)))
                return -EOPNOTSUPP;
        int r = pepper_check(s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

ApiKeyStore *apikey_store_free(ApiKeyStore *s) {
        if (!s)
                return NULL;
        entries_free(s->entries, s->n_entries);
        if (s->pepper)
                OPENSSL_cleanse(s->pepper, s->pepper_size);
        free(s->pepper);
        EVP_MAC_free(s->hmac);
        free(s->path);
        return mfree(s);
}

const char *apikey_store_path(ApiKeyStore *s) {
        return s->path;
}

static bool char_is_hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool id_is_valid(const char *id) {
        if (strlen(id) != APIKEY_ID_LEN)
                return false;
        for (size_t i = 0; i < APIKEY_ID_LEN; i++)
                if (!char_is_hex(id[i]))
                        return false;
        return true;
}

static bool name_is_valid(const char *name) {
        size_t n = strlen(name);
        return n > 0 && n <= APIKEY_NAME_MAX &&
                strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-") == n;
}

static bool scope_is_valid(const char *scope) {
        size_t n = strlen(scope);
        return n > 0 && n <= APIKEY_SCOPE_MAX &&
                strspn(scope, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_.*/-") == n;
}

static int hex_decode(const char *s, uint8_t *out, size_t size) {
        if (strlen(s) != size * 2)
                return -EBADMSG;
        for (size_t i = 0; i < size; i++) {
                unsigned v;
                if (!char_is_hex(s[2 * i]) || !char_is_hex(s[2 * i + 1]) || sscanf(s + 2 * i, "%2x", &v) != 1)
                        return -EBADMSG;
                out[i] = (uint8_t) v;
        }
        return 0;
}

static void hex_encode(const uint8_t *in, size_t size, char *out) {
        for (size_t i = 0; i < size; i++)
                sprintf(out + 2 * i, "%02x", in[i]);
}

static int parse_u64(const char *s, uint64_t *ret) {
        if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 19)
                return -EBADMSG;
        *ret = strtoull(s, NULL, 10);
        return 0;
}

static int parse_scopes(const char *s, char ***ret) {
        _cleanup_strv_free_ char **l = new0(char *, 1);
        if (!l)
                return -ENOMEM;
        size_t n = 0;
        while (*s) {
                size_t k = strcspn(s, ",");
                _cleanup_free_ char *scope = strndup(s, k);
                if (!scope)
                        return -ENOMEM;
                if (!scope_is_valid(scope) || n >= APIKEY_SCOPES_MAX)
                        return -EBADMSG;
                char **nl = realloc(l, (n + 2) * sizeof(char *));
                if (!nl)
                        return -ENOMEM;
                l = nl;
                l[n++] = TAKE_PTR(scope);
                l[n] = NULL;
                s += k;
                if (*s == ',' && !*++s)
                        return -EBADMSG;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* id \t name \t scope,scope \t created \t expires \t salt (hex) \t hash (hex) */
static int parse_line(char *line, Entry *ret) {
        char *f[7];
        size_t n = 0;
        for (char *p = line;; p++) {
                if (n == ELEMENTSOF(f))
                        return -EBADMSG;
                f[n++] = p;
                p += strcspn(p, "\t");
                if (!*p)
                        break;
                *p = 0;
        }
        if (n != ELEMENTSOF(f) || !id_is_valid(f[0]) || !name_is_valid(f[1]))
                return -EBADMSG;

        _cleanup_(apikey_info_done) ApiKeyInfo info = {};
        memcpy(info.id, f[0], APIKEY_ID_LEN + 1);
        int r = parse_scopes(f[2], &info.scopes);
        if (r < 0)
                return r;
        if (parse_u64(f[3], &info.created) < 0 || parse_u64(f[4], &info.expires) < 0 ||
            hex_decode(f[5], ret->salt, SALT_SIZE) < 0 || hex_decode(f[6], ret->hash, HASH_SIZE) < 0)
                return -EBADMSG;
        if (!(info.name = strdup(f[1])))
                return -ENOMEM;
        ret->info = info;
        info = (ApiKeyInfo) {};
        return 0;
}

static bool pepper_check_is_valid(const char *v) {
        if (streq(v, "none"))
                return true;
        if (strlen(v) != PEPPER_CHECK_SIZE - 1)
                return false;
        for (size_t i = 0; v[i]; i++)
                if (!char_is_hex(v[i]))
                        return false;
        return true;
}

static int parse_file(FILE *f, Entry **ret, size_t *ret_n, char check[PEPPER_CHECK_SIZE]) {
        Entry *entries = NULL;
        size_t n = 0;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        int r = 0;

        for (;;) {
                errno = 0;
                ssize_t l = getline(&line, &cap, f);
                if (l < 0) {
                        r = errno > 0 ? -errno : 0;
                        break;
                }
                if (l > LINE_MAX_LEN || strlen(line) != (size_t) l) {
                        r = -EBADMSG;
                        break;
                }
                if (l > 0 && line[l - 1] == '\n')
                        line[--l] = 0;
                if (l == 0 || line[0] == '#')
                        continue;
                if (startswith_ptr(line, "pepper\t")) {
                        if (check[0] || !pepper_check_is_valid(line + 7)) {
                                r = -EBADMSG;
                                break;
                        }
                        strcpy(check, line + 7);
                        continue;
                }
                Entry *ne = realloc(entries, (n + 1) * sizeof(Entry));
                if (!ne) {
                        r = -ENOMEM;
                        break;
                }
                entries = ne;
                entries[n] = (Entry) {};
                r = parse_line(line, &entries[n]);
                if (r < 0)
                        break;
                n++;
        }
        if (r < 0) {
                entries_free(entries, n);
                return r;
        }
        *ret = entries;
        *ret_n = n;
        return 0;
}

static bool stat_same(const struct stat *a, const struct stat *b) {
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
                a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
                a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void store_clear(ApiKeyStore *s) {
        entries_free(s->entries, s->n_entries);
        s->entries = NULL;
        s->n_entries = 0;
        s->file_pepper_check[0] = 0;
}

/* -EKEYREJECTED when the file's keys were made with another pepper (or none, or one) than ours. */
static int store_check_pepper(ApiKeyStore *s) {
        return s->file_pepper_check[0] && !streq(s->file_pepper_check, s->pepper_check) ? -EKEYREJECTED : 0;
}

/* Reads the file again when it is not what the entries came from. A missing file is no keys; a corrupt
 * one is no keys too, and an error for every caller until it changes. */
static int store_refresh(ApiKeyStore *s) {
        struct stat st;
        if (stat(s->path, &st) < 0) {
                if (errno != ENOENT)
                        return -errno;
                store_clear(s);
                s->loaded = true;
                s->corrupt = false;
                s->st = (struct stat) {};
                return 0;
        }
        if (s->loaded && s->st.st_ino != 0 && stat_same(&st, &s->st))
                return s->corrupt ? -EBADMSG : 0;

        _cleanup_close_ int fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno != ENOENT)
                        return -errno;
                store_clear(s);
                s->loaded = true;
                s->corrupt = false;
                s->st = (struct stat) {};
                return 0;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        FILE *f = fdopen(fd, "re");
        if (!f)
                return -errno;
        TAKE_FD(fd);

        Entry *entries = NULL;
        size_t n = 0;
        char check[PEPPER_CHECK_SIZE] = "";
        int r = parse_file(f, &entries, &n, check);
        fclose(f);
        store_clear(s);
        strcpy(s->file_pepper_check, check);
        s->loaded = true;
        s->st = st;
        s->corrupt = r == -EBADMSG;
        if (r < 0) {
                if (!s->corrupt)
                        s->loaded = false;
                return r;
        }
        s->entries = entries;
        s->n_entries = n;
        return 0;
}

/* An HMAC-SHA-256 context keyed with salt || pepper. */
static int mac_new(ApiKeyStore *s, const uint8_t salt[SALT_SIZE], EVP_MAC_CTX **ret) {
        uint8_t k[SALT_SIZE + APIKEY_PEPPER_MAX];
        size_t n = SALT_SIZE + s->pepper_size;
        memcpy(k, salt, SALT_SIZE);
        if (s->pepper_size > 0)
                memcpy(k + SALT_SIZE, s->pepper, s->pepper_size);
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *) "SHA256", 0),
                OSSL_PARAM_construct_end(),
        };
        EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(s->hmac);
        int r = !ctx ? -ENOMEM : EVP_MAC_init(ctx, k, n, params) == 1 ? 0 : -EIO;
        OPENSSL_cleanse(k, n);
        if (r < 0) {
                EVP_MAC_CTX_free(ctx);
                return r;
        }
        *ret = ctx;
        return 0;
}

/* HMAC of the key text; the context is re-initialized with the key it holds, so it can be used again. */
static int mac_compute(EVP_MAC_CTX *ctx, const char *text, uint8_t out[HASH_SIZE]) {
        size_t len = 0;
        if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1 || EVP_MAC_update(ctx, (const uint8_t *) text, strlen(text)) != 1 ||
            EVP_MAC_final(ctx, out, &len, HASH_SIZE) != 1 || len != HASH_SIZE)
                return -EIO;
        return 0;
}

bool apikey_text_is_key(const char *text) {
        return startswith_ptr(text, KEY_PREFIX);
}

static bool key_text_is_valid(const char *text, char id[APIKEY_ID_LEN + 1]) {
        if (strlen(text) != KEY_LEN || !apikey_text_is_key(text))
                return false;
        const char *p = text + strlen(KEY_PREFIX);
        memcpy(id, p, APIKEY_ID_LEN);
        id[APIKEY_ID_LEN] = 0;
        if (!id_is_valid(id) || p[APIKEY_ID_LEN] != '_')
                return false;
        p += APIKEY_ID_LEN + 1;
        _cleanup_free_ uint8_t *secret = NULL;
        size_t n;
        if (base64url_decode(p, SECRET_LEN, &secret, &n) < 0 || n != SECRET_SIZE)
                return false;
        OPENSSL_cleanse(secret, n);
        return true;
}

static void set_error(const char **ret_error, const char *e) {
        if (ret_error)
                *ret_error = e;
}

int apikey_store_verify(
                ApiKeyStore *s,
                const char *text,
                uint64_t now_usec,
                char **ret_principal,
                char ***ret_scopes,
                const char **ret_error) {
        char id[APIKEY_ID_LEN + 1];
        if (!text || !key_text_is_valid(text, id)) {
                set_error(ret_error, "The API key is malformed.");
                return 0;
        }
        int r = store_refresh(s);
        if (r < 0)
                return r;
        r = store_check_pepper(s);
        if (r < 0)
                return r;

        Entry *e = NULL;
        for (size_t i = 0; i < s->n_entries && !e; i++)
                if (streq(s->entries[i].info.id, id))
                        e = &s->entries[i];
        uint8_t hash[HASH_SIZE];
        if (!e) {
                set_error(ret_error, "The API key is unknown or revoked.");
                return 0;
        }
        if (!e->mac) {
                r = mac_new(s, e->salt, &e->mac);
                if (r < 0)
                        return r;
        }
        r = mac_compute(e->mac, text, hash);
        if (r < 0)
                return r;
        if (CRYPTO_memcmp(hash, e->hash, HASH_SIZE) != 0) {
                set_error(ret_error, "The API key is unknown or revoked.");
                return 0;
        }
        if (e->info.expires != 0 && now_usec / USEC_PER_SEC >= e->info.expires) {
                set_error(ret_error, "The API key has expired.");
                return 0;
        }

        _cleanup_free_ char *principal = NULL;
        _cleanup_strv_free_ char **scopes = NULL;
        if (ret_principal && asprintf(&principal, "key:%s", e->info.name) < 0)
                return -ENOMEM;
        if (ret_scopes && !(scopes = strv_copy(e->info.scopes)))
                return -ENOMEM;
        if (ret_principal)
                *ret_principal = TAKE_PTR(principal);
        if (ret_scopes)
                *ret_scopes = TAKE_PTR(scopes);
        return 1;
}

static int info_copy(const ApiKeyInfo *from, ApiKeyInfo *to) {
        _cleanup_(apikey_info_done) ApiKeyInfo c = *from;
        c.name = strdup(from->name);
        c.scopes = strv_copy(from->scopes);
        if (!c.name || !c.scopes)
                return -ENOMEM;
        *to = c;
        c = (ApiKeyInfo) {};
        return 0;
}

int apikey_list(ApiKeyStore *s, ApiKeyInfo **ret, size_t *ret_n) {
        int r = store_refresh(s);
        if (r < 0)
                return r;
        ApiKeyInfo *a = new0(ApiKeyInfo, s->n_entries + 1);
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_entries; i++) {
                r = info_copy(&s->entries[i].info, &a[i]);
                if (r < 0) {
                        apikey_info_array_free(a, i);
                        return r;
                }
        }
        *ret = a;
        *ret_n = s->n_entries;
        return 0;
}

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
        hex_encode(e->salt, SALT_SIZE, salt);
        hex_encode(e->hash, HASH_SIZE, hash);
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

int apikey_create(
                ApiKeyStore *s,
                const char *name,
                char *const *scopes,
                uint64_t now_usec,
                uint64_t expires_usec,
                char **ret_key,
                ApiKeyInfo *ret_info) {
        if (!name || !name_is_valid(name) || strv_length(scopes) > APIKEY_SCOPES_MAX)
                return -EINVAL;
        for (size_t i = 0; scopes && scopes[i]; i++)
                if (!scope_is_valid(scopes[i]))
                        return -EINVAL;
        if (expires_usec != 0 && expires_usec <= now_usec)
                return -EINVAL;

        _cleanup_(unlock_close) int lock = -EBADF;
        int r = store_lock(s, &lock);
        if (r < 0)
                return r;
        s->loaded = false; /* read what other editors wrote, whatever the timestamps say */
        r = store_refresh(s);
        if (r < 0)
                return r;
        r = store_check_pepper(s);
        if (r < 0)
                return r;
        /* A new store records our pepper; one with keys of an unknown pepper is left as it is. */
        if (s->n_entries == 0)
                strcpy(s->file_pepper_check, s->pepper_check);

        _cleanup_(entry_done) Entry e = {};
        ApiKeyInfo *info = &e.info;
        uint8_t idb[APIKEY_ID_LEN / 2], secret[SECRET_SIZE];
        for (bool unique = false; !unique;) {
                if (RAND_bytes(idb, sizeof(idb)) != 1)
                        return -EIO;
                hex_encode(idb, sizeof(idb), info->id);
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
        r = mac_new(s, e.salt, &e.mac);
        if (r < 0)
                return r;
        r = mac_compute(e.mac, key, e.hash);
        if (r < 0)
                return r;

        r = store_write(s, s->entries, s->n_entries, SIZE_MAX, &e);
        if (r < 0)
                return r;
        if (ret_info) {
                r = info_copy(info, ret_info);
                if (r < 0)
                        return r;
        }
        *ret_key = TAKE_PTR(key);
        return 0;
}

int apikey_revoke(ApiKeyStore *s, const char *id) {
        if (!id || !id_is_valid(id))
                return -ENOENT;
        _cleanup_(unlock_close) int lock = -EBADF;
        int r = store_lock(s, &lock);
        if (r < 0)
                return r;
        s->loaded = false;
        r = store_refresh(s);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_entries; i++)
                if (streq(s->entries[i].info.id, id))
                        return store_write(s, s->entries, s->n_entries, i, NULL);
        return -ENOENT;
}
