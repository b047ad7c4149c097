/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a mail address, a header value and a text may be, the recipients' allow-list, and header encoding. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>

#include "address.h"
#include "macro.h"

bool utf8_is_valid(const char *s, size_t n) {
        const unsigned char *p = (const unsigned char *) s, *end = p + n;
        while (p < end) {
                unsigned c = *p;
                if (c == 0)
                        return false;
                if (c < 0x80) {
                        p++;
                        continue;
                }
                size_t len;
                uint32_t cp, min;
                if ((c & 0xe0) == 0xc0) {
                        len = 2, cp = c & 0x1f, min = 0x80;
                } else if ((c & 0xf0) == 0xe0) {
                        len = 3, cp = c & 0x0f, min = 0x800;
                } else if ((c & 0xf8) == 0xf0) {
                        len = 4, cp = c & 0x07, min = 0x10000;
                } else
                        return false;
                if ((size_t) (end - p) < len)
                        return false;
                for (size_t i = 1; i < len; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (p[i] & 0x3f);
                }
                if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                p += len;
        }
        return true;
}

bool header_value_is_safe(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
                        return false;
        return true;
}

static bool is_atext(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                strchr("!#$%&'*+-/=?^_`{|}~", c);
}

bool domain_is_valid(const char *s) {
        size_t n = strlen(s), label = 0;
        if (n == 0 || n > 253)
                return false;
        for (size_t i = 0; i <= n; i++) {
                char c = s[i];
                if (c == '.' || c == 0) {
                        /* Labels of 1 to 63 characters that neither start nor end with a hyphen. */
                        if (label == 0 || label > 63 || s[i - 1] == '-' || s[i - label] == '-')
                                return false;
                        label = 0;
                        continue;
                }
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
                        return false;
                label++;
        }
        return true;
}

bool address_is_valid(const char *s) {
        const char *at = strrchr(s, '@');
        if (!at || at == s || strlen(s) > ADDRESS_MAX || (size_t) (at - s) > 64)
                return false;
        /* dot-atom: atoms separated by single dots, none at either end. */
        for (const char *p = s; p < at; p++)
                if (*p == '.' ? p == s || p + 1 == at || p[1] == '.' : !is_atext(*p))
                        return false;
        return domain_is_valid(at + 1);
}

bool allow_entry_is_valid(const char *s) {
        return s[0] == '@' ? domain_is_valid(s + 1) : address_is_valid(s);
}

bool allowlist_match(char *const *list, const char *address) {
        const char *at = strrchr(address, '@');
        if (!at)
                return false;
        for (size_t i = 0; list && list[i]; i++) {
                const char *e = list[i];
                if (e[0] == '@' ? strcasecmp(e + 1, at + 1) == 0 : strcasecmp(e, address) == 0)
                        return true;
        }
        return false;
}

static bool is_plain_ascii(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p > 0x7e)
                        return false;
        return true;
}

/* The length of the longest prefix of s, at most max bytes, that ends on a character boundary. */
static size_t utf8_prefix(const char *s, size_t n, size_t max) {
        if (n <= max)
                return n;
        size_t l = max;
        while (l > 0 && ((unsigned char) s[l] & 0xc0) == 0x80)
                l--;
        return l;
}

char *header_encode(const char *value) {
        if (is_plain_ascii(value))
                return strdup(value);

        /* "=?UTF-8?B?" + base64 + "?=" within 75 characters: 45 bytes make 60 base64 characters. */
        enum { CHUNK = 45 };
        /* A chunk ends on a character boundary: at least CHUNK - 3 bytes each. */
        size_t n = strlen(value), words = n / (CHUNK - 3) + 1;
        size_t size = words * (12 + 4 * ((CHUNK + 2) / 3) + 3) + 1;
        _cleanup_free_ char *out = malloc(size);
        if (!out)
                return NULL;
        char *o = out;
        for (size_t off = 0; off < n;) {
                size_t l = utf8_prefix(value + off, n - off, CHUNK);
                if (l == 0) /* a character longer than a chunk cannot be: guards the loop anyway */
                        l = MIN((size_t) CHUNK, n - off);
                if (o != out)
                        o = stpcpy(o, "\r\n ");
                o = stpcpy(o, "=?UTF-8?B?");
                o += EVP_EncodeBlock((unsigned char *) o, (const unsigned char *) value + off, (int) l);
                o = stpcpy(o, "?=");
                off += l;
        }
        *o = 0;
        return TAKE_PTR(out);
}

bool filename_is_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 255 || !utf8_is_valid(s, n) || streq(s, ".") || streq(s, ".."))
                return false;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\' || *p == '/')
                        return false;
        return true;
}
