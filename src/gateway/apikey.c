/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The API key store, reading side: one line per key (id, name, scopes, created, expires, salt, HMAC-SHA-256
 * of the key), reloaded when the file changes so that a revocation reaches every replica sharing it on its
 * next request. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "apikey-internal.h"
#include "base64url.h"
#include "strv.h"

#define LINE_MAX_LEN 16384

void apikey_info_done(ApiKeyInfo *info) {
        info->name = mfree(info->name);
        info->scopes = strv_free(info->scopes);
}

void apikey_info_array_free(ApiKeyInfo *a, size_t n) {
        for (size_t i = 0; i < n; i++)
                apikey_info_done(&a[i]);
        free(a);
}

void apikey_entry_done(Entry *e) {
        apikey_info_done(&e->info);
        apikey_mac_free(e->mac);
        e->mac = NULL;
}

static void entries_free(Entry *e, size_t n) {
        for (size_t i = 0; i < n; i++)
                apikey_entry_done(&e[i]);
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

static int pepper_check(ApiKeyStore *s) {
        if (s->pepper_size == 0) {
                strcpy(s->pepper_check, "none");
                return 0;
        }
        uint8_t mac[HASH_SIZE];
        struct hmac_sha256_ctx ctx;
        hmac_sha256_set_key(&ctx, s->pepper_size, s->pepper);
        hmac_sha256_update(&ctx, strlen(PEPPER_CHECK_TEXT), (const uint8_t *) PEPPER_CHECK_TEXT);
        hmac_sha256_digest(&ctx, sizeof(mac), mac);
        explicit_bzero(&ctx, sizeof(ctx));
        apikey_hex_encode(mac, (PEPPER_CHECK_SIZE - 1) / 2, s->pepper_check);
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
        free(s->path);
        return mfree(s);
}

const char *apikey_store_path(ApiKeyStore *s) {
        return s->path;
}

static bool char_is_hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool apikey_id_is_valid(const char *id) {
        if (strlen(id) != APIKEY_ID_LEN)
                return false;
        for (size_t i = 0; i < APIKEY_ID_LEN; i++)
                if (!char_is_hex(id[i]))
                        return false;
        return true;
}

bool apikey_name_is_valid(const char *name) {
        size_t n = strlen(name);
        return n > 0 && n <= APIKEY_NAME_MAX &&
                strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-") == n;
}

bool apikey_scope_is_valid(const char *scope) {
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

void apikey_hex_encode(const uint8_t *in, size_t size, char *out) {
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
                if (!apikey_scope_is_valid(scope) || n >= APIKEY_SCOPES_MAX)
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
        if (n != ELEMENTSOF(f) || !apikey_id_is_valid(f[0]) || !apikey_name_is_valid(f[1]))
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
        info = (ApiKeyInfo){};
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
                entries[n] = (Entry){};
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
int apikey_store_check_pepper(ApiKeyStore *s) {
        return s->file_pepper_check[0] && !streq(s->file_pepper_check, s->pepper_check) ? -EKEYREJECTED : 0;
}

/* Reads the file again when it is not what the entries came from. A missing file is no keys; a corrupt
 * one is no keys too, and an error for every caller until it changes. */
int apikey_store_refresh(ApiKeyStore *s) {
        struct stat st;
        if (stat(s->path, &st) < 0) {
                if (errno != ENOENT)
                        return -errno;
                store_clear(s);
                s->loaded = true;
                s->corrupt = false;
                s->st = (struct stat){};
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
                s->st = (struct stat){};
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

/* An HMAC-SHA-256 context keyed with salt || pepper (nettle's: it needs no library started, where OpenSSL
 * sets up its providers, 2 MiB of resident memory, for the first one). */
int apikey_mac_new(ApiKeyStore *s, const uint8_t salt[SALT_SIZE], struct hmac_sha256_ctx **ret) {
        struct hmac_sha256_ctx *mac = malloc(sizeof(struct hmac_sha256_ctx));
        if (!mac)
                return -ENOMEM;
        uint8_t k[SALT_SIZE + APIKEY_PEPPER_MAX];
        size_t n = SALT_SIZE + s->pepper_size;
        memcpy(k, salt, SALT_SIZE);
        if (s->pepper_size > 0)
                memcpy(k + SALT_SIZE, s->pepper, s->pepper_size);
        hmac_sha256_set_key(mac, n, k);
        explicit_bzero(k, n);
        *ret = mac;
        return 0;
}

void apikey_mac_free(struct hmac_sha256_ctx *mac) {
        if (!mac)
                return;
        explicit_bzero(mac, sizeof(*mac));
        free(mac);
}

/* HMAC of the key text; digesting leaves the context keyed as before, ready for the next. */
void apikey_mac_compute(struct hmac_sha256_ctx *mac, const char *text, uint8_t out[HASH_SIZE]) {
        hmac_sha256_update(mac, strlen(text), (const uint8_t *) text);
        hmac_sha256_digest(mac, HASH_SIZE, out);
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
        if (!apikey_id_is_valid(id) || p[APIKEY_ID_LEN] != '_')
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

int apikey_store_verify(ApiKeyStore *s, const char *text, uint64_t now_usec, char **ret_principal, char ***ret_scopes,
        const char **ret_error) {
        char id[APIKEY_ID_LEN + 1];
        if (!text || !key_text_is_valid(text, id)) {
                set_error(ret_error, "The API key is malformed.");
                return 0;
        }
        int r = apikey_store_refresh(s);
        if (r < 0)
                return r;
        r = apikey_store_check_pepper(s);
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
                r = apikey_mac_new(s, e->salt, &e->mac);
                if (r < 0)
                        return r;
        }
        apikey_mac_compute(e->mac, text, hash);
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

int apikey_info_copy(const ApiKeyInfo *from, ApiKeyInfo *to) {
        _cleanup_(apikey_info_done) ApiKeyInfo c = *from;
        c.name = strdup(from->name);
        c.scopes = strv_copy(from->scopes);
        if (!c.name || !c.scopes)
                return -ENOMEM;
        *to = c;
        c = (ApiKeyInfo){};
        return 0;
}

int apikey_list(ApiKeyStore *s, ApiKeyInfo **ret, size_t *ret_n) {
        int r = apikey_store_refresh(s);
        if (r < 0)
                return r;
        ApiKeyInfo *a = new0(ApiKeyInfo, s->n_entries + 1);
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_entries; i++) {
                r = apikey_info_copy(&s->entries[i].info, &a[i]);
                if (r < 0) {
                        apikey_info_array_free(a, i);
                        return r;
                }
        }
        *ret = a;
        *ret_n = s->n_entries;
        return 0;
}
