/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reads mail messages: RFC 5322 headers, RFC 2047 encoded words, MIME multiparts (RFC 2046), base64 and
 * quoted-printable, and charsets to UTF-8 with glibc's iconv.
 *
 * Written here rather than taken from GMime (libgmime-3.0, the Debian library that does this): what the
 * tools need is the headers of a list and one body as text with its attachments named, which is this file;
 * GMime would bring GLib and its GObject type system into a daemon that is otherwise sd-event, libcurl and
 * json-c, into its seccomp list and into every system it is installed on. Every limit is explicit (nesting
 * MIME_DEPTH_MAX, MIME_PARTS_MAX parts), nothing is copied but what is returned, and every byte that comes
 * out is valid UTF-8 whatever came in. */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>

#include "address.h"
#include "buffer.h"
#include "mime.h"

static bool strcaseeq(const char *a, const char *b) {
        return strcasecmp(a, b) == 0;
}

#define OUT_MAX (64U * 1024U * 1024U)

void mime_message_done(MimeMessage *m) {
        free(m->from);
        free(m->to);
        free(m->cc);
        free(m->reply_to);
        free(m->subject);
        free(m->date);
        free(m->message_id);
        free(m->in_reply_to);
        free(m->text);
        for (size_t i = 0; i < m->n_attachments; i++) {
                free(m->attachments[i].filename);
                free(m->attachments[i].content_type);
                free(m->attachments[i].encoding);
        }
        free(m->attachments);
        *m = (MimeMessage){};
}

/* --- UTF-8 out ------------------------------------------------------------------------------------------ */

static int append(Buffer *b, const char *p, size_t n) {
        return buffer_append(b, p, n, OUT_MAX) == -ENOMEM ? -ENOMEM : 0;
}

#define REPLACEMENT "\xef\xbf\xbd"

/* The length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t utf8_sequence(const unsigned char *p, size_t n) {
        size_t l = p[0] < 0x80          ? 1
                : (p[0] & 0xe0) == 0xc0 ? 2
                : (p[0] & 0xf0) == 0xe0 ? 3
                : (p[0] & 0xf8) == 0xf0 ? 4
                                        : 0;
        if (l == 0 || l > n)
                return 0;
        return utf8_is_valid((const char *) p, l) || (l == 1 && p[0] == 0) ? l : 0;
}

/* Appends bytes that should be UTF-8: invalid sequences and control characters become U+FFFD, CR before LF
 * is dropped, a lone CR is a line break; header: tab and line breaks become spaces. */
static int append_sanitized(Buffer *b, const char *s, size_t n, bool header) {
        const unsigned char *p = (const unsigned char *) s;
        size_t i = 0, run = 0; /* run: where the bytes to copy as they are start */
        while (i < n) {
                size_t l = utf8_sequence(p + i, n - i);
                if (l > 1 || (l == 1 && p[i] >= 0x20 && p[i] != 0x7f)) {
                        i += l;
                        continue;
                }
                if (i > run && append(b, s + run, i - run) < 0)
                        return -ENOMEM;
                int r;
                if (l == 0) {
                        r = append(b, REPLACEMENT, 3);
                        l = 1;
                } else if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
                        r = 0;
                else if (p[i] == '\n' || p[i] == '\r' || p[i] == '\t')
                        r = append(b, header ? " " : p[i] == '\t' ? "\t" : "\n", 1);
                else
                        r = append(b, REPLACEMENT, 3);
                if (r < 0)
                        return r;
                i += l;
                run = i;
        }
        return i > run ? append(b, s + run, i - run) : 0;
}

static bool charset_is_utf8(const char *charset) {
        return !charset || strcaseeq(charset, "utf-8") || strcaseeq(charset, "utf8") ||
                strcaseeq(charset, "us-ascii") || strcaseeq(charset, "ascii") || strcaseeq(charset, "unknown-8bit") ||
                strcaseeq(charset, "x-unknown");
}

static int append_converted(Buffer *b, const char *charset, const char *p, size_t n, bool header) {
        iconv_t cd = charset_is_utf8(charset) ? (iconv_t) -1 : iconv_open("UTF-8", charset);
        if (cd == (iconv_t) -1)
                return append_sanitized(b, p, n, header);

        /* In pieces: iconv writes whole characters only, so each piece is UTF-8 on its own. The converted
         * text still goes through the sanitizer, for its control characters. */
        char out[16384], *in = (char *) p;
        size_t left = n;
        int r = 0;
        while (left > 0 && r >= 0) {
                char *o = out;
                size_t room = sizeof(out);
                size_t k = iconv(cd, &in, &left, &o, &room);
                int e = errno;
                r = append_sanitized(b, out, o - out, header);
                if (r < 0 || k != (size_t) -1 || e == E2BIG)
                        continue; /* done, or on with the next piece */
                /* EILSEQ (a byte the charset does not have) or EINVAL (a sequence cut short): one replacement
                 * for the byte, and on. */
                r = append(b, REPLACEMENT, 3);
                in++;
                left--;
        }
        if (r >= 0) {
                /* The end of a stateful charset's shift state (ISO-2022-JP). */
                char *o = out;
                size_t room = sizeof(out);
                (void) iconv(cd, NULL, NULL, &o, &room);
                r = append_sanitized(b, out, o - out, header);
        }
        iconv_close(cd);
        return r;
}

char *mime_to_utf8(const char *charset, const char *p, size_t n) {
        Buffer b = {};
        if (append_converted(&b, charset, p, n, false) < 0 || append(&b, "", 0) < 0) {
                buffer_done(&b);
                return NULL;
        }
        return b.data;
}

/* --- transfer encodings --------------------------------------------------------------------------------- */

static int hex_value(char c) {
        return c >= '0' && c <= '9'    ? c - '0'
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : -1;
}

/* Quoted-printable; header: RFC 2047's Q, where _ is a space. */
static int qp_decode(const char *p, size_t n, bool header, Buffer *out) {
        for (size_t i = 0; i < n; i++) {
                char c = p[i];
                int r;
                if (c == '=' && i + 2 < n && hex_value(p[i + 1]) >= 0 && hex_value(p[i + 2]) >= 0) {
                        char v = (char) (hex_value(p[i + 1]) * 16 + hex_value(p[i + 2]));
                        r = append(out, &v, 1);
                        i += 2;
                } else if (c == '=' && !header) {
                        /* A soft line break: = and optional white space at the end of a line. */
                        size_t j = i + 1;
                        while (j < n && (p[j] == ' ' || p[j] == '\t'))
                                j++;
                        if (j < n && p[j] == '\r' && j + 1 < n && p[j + 1] == '\n') {
                                i = j + 1;
                                continue;
                        }
                        if (j < n && p[j] == '\n') {
                                i = j;
                                continue;
                        }
                        if (j == n) {
                                i = j;
                                continue;
                        }
                        r = append(out, "=", 1); /* not an escape: kept as it is */
                } else if (c == '_' && header)
                        r = append(out, " ", 1);
                else
                        r = append(out, &c, 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int base64_value(char c) {
        return c >= 'A' && c <= 'Z'    ? c - 'A'
                : c >= 'a' && c <= 'z' ? c - 'a' + 26
                : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '+'             ? 62
                : c == '/'             ? 63
                                       : -1;
}

/* Base64 as mail readers take it: characters outside the alphabet are skipped, decoding stops at '='. */
static int base64_lenient_decode(const char *p, size_t n, Buffer *out) {
        uint32_t acc = 0;
        unsigned bits = 0;
        for (size_t i = 0; i < n && p[i] != '='; i++) {
                int v = base64_value(p[i]);
                if (v < 0)
                        continue;
                acc = (acc << 6) | (uint32_t) v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        char c = (char) ((acc >> bits) & 0xff);
                        if (append(out, &c, 1) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

int mime_transfer_decode(const char *encoding, const char *p, size_t n, char **ret, size_t *ret_size) {
        Buffer b = {};
        int r;
        if (encoding && strcaseeq(encoding, "base64"))
                r = base64_lenient_decode(p, n, &b);
        else if (encoding && strcaseeq(encoding, "quoted-printable"))
                r = qp_decode(p, n, false, &b);
        else
                r = append(&b, p, n);
        if (r >= 0)
                r = append(&b, "", 0);
        if (r < 0) {
                buffer_done(&b);
                return r;
        }
        *ret_size = b.size;
        *ret = b.data;
        return 0;
}

/* --- headers -------------------------------------------------------------------------------------------- */

/* Where the header block ends (the empty line), and where the body starts. */
static void split_headers(const char *data, size_t size, size_t *ret_headers, size_t *ret_body) {
        for (size_t i = 0; i < size; i++) {
                if (data[i] != '\n')
                        continue;
                if (i + 1 < size && data[i + 1] == '\n') {
                        *ret_headers = i + 1;
                        *ret_body = i + 2;
                        return;
                }
                if (i + 2 < size && data[i + 1] == '\r' && data[i + 2] == '\n') {
                        *ret_headers = i + 1;
                        *ret_body = i + 3;
                        return;
                }
        }
        /* A body that starts at once (data begins with the empty line), or headers without a body. */
        if (size > 0 && (data[0] == '\n' || (size > 1 && data[0] == '\r' && data[1] == '\n'))) {
                *ret_headers = 0;
                *ret_body = data[0] == '\n' ? 1 : 2;
                return;
        }
        *ret_headers = *ret_body = size;
}

char *mime_header_raw(const char *headers, size_t size, const char *name) {
        size_t l = strlen(name);
        for (size_t i = 0; i < size;) {
                size_t eol = i;
                while (eol < size && headers[eol] != '\n')
                        eol++;
                size_t k = i + l;
                if (eol - i > l && strncasecmp(headers + i, name, l) == 0) {
                        while (k < eol && (headers[k] == ' ' || headers[k] == '\t'))
                                k++;
                }
                if (eol - i > l && strncasecmp(headers + i, name, l) == 0 && k < eol && headers[k] == ':') {
                        /* The value, with its continuation lines (those starting with white space) unfolded. */
                        Buffer b = {};
                        size_t start = k + 1;
                        for (;;) {
                                size_t end = eol;
                                while (end > start && (headers[end - 1] == '\r'))
                                        end--;
                                if (append(&b, headers + start, end - start) < 0)
                                        goto oom;
                                if (eol + 1 >= size || (headers[eol + 1] != ' ' && headers[eol + 1] != '\t'))
                                        break;
                                start = eol + 1;
                                eol = start;
                                while (eol < size && headers[eol] != '\n')
                                        eol++;
                        }
                        if (append(&b, "", 0) < 0)
                                goto oom;
                        /* Leading white space is not part of the value. */
                        size_t skip = strspn(b.data, " \t");
                        memmove(b.data, b.data + skip, b.size - skip + 1);
                        return b.data;
                oom:
                        buffer_done(&b);
                        return NULL;
                }
                i = eol + 1;
        }
        return NULL;
}

/* One encoded word at p (=?charset?enc?text?=): its length, or 0 when p does not start one. */
static size_t encoded_word(const char *p, Buffer *out, int *ret_r) {
        *ret_r = 0;
        if (p[0] != '=' || p[1] != '?')
                return 0;
        const char *charset = p + 2, *q1 = strchr(charset, '?');
        if (!q1 || q1 == charset || q1 - charset > 64 || !q1[1] || q1[2] != '?')
                return 0;
        char enc = (char) toupper((unsigned char) q1[1]);
        if (enc != 'Q' && enc != 'B')
                return 0;
        const char *text = q1 + 3, *end = strstr(text, "?=");
        if (!end || memchr(text, ' ', end - text))
                return 0;
        char cs[65];
        snprintf(cs, sizeof(cs), "%.*s", (int) (q1 - charset), charset);
        cs[strcspn(cs, "*")] = 0; /* RFC 2231's language: =?utf-8*en?Q?...?= */

        Buffer raw = {};
        int r = enc == 'B' ? base64_lenient_decode(text, end - text, &raw) : qp_decode(text, end - text, true, &raw);
        if (r >= 0)
                r = append_converted(out, cs, strempty(raw.data), raw.size, true);
        buffer_done(&raw);
        *ret_r = r;
        return (size_t) (end + 2 - p);
}

char *mime_header_decode(const char *value) {
        Buffer b = {};
        size_t n = strlen(value);
        bool after_word = false;
        for (size_t i = 0; i < n;) {
                int r;
                size_t l = encoded_word(value + i, &b, &r);
                if (r < 0)
                        goto oom;
                if (l > 0) {
                        i += l;
                        after_word = true;
                        continue;
                }
                size_t ws = strspn(value + i, " \t\r\n");
                if (after_word && ws > 0) {
                        /* White space between two encoded words is not part of the text (RFC 2047 §6.2). */
                        size_t l2 = encoded_word(value + i + ws, &b, &r);
                        if (r < 0)
                                goto oom;
                        if (l2 > 0) {
                                i += ws + l2;
                                continue;
                        }
                }
                after_word = false;
                /* Plain text up to the next encoded word's start: UTF-8 (RFC 6532) or whatever was sent. */
                size_t j = i + 1;
                while (j < n && !(value[j] == '=' && value[j + 1] == '?'))
                        j++;
                if (append_sanitized(&b, value + i, j - i, true) < 0)
                        goto oom;
                i = j;
        }
        if (append(&b, "", 0) < 0)
                goto oom;
        return b.data;
oom:
        buffer_done(&b);
        return NULL;
}

/* --- Content-Type and Content-Disposition ------------------------------------------------------------------ */

/* The value of parameter name (RFC 2045 §5.1), or NULL: name="quoted", name=token, or RFC 2231's
 * name*=charset'lang'%XX... (one piece) and name*0=... continuations. */
static char *header_param(const char *value, const char *name) {
        size_t l = strlen(name);
        Buffer joined = {};
        char *charset = NULL;
        bool extended = false;
        for (const char *p = strchr(value, ';'); p; p = strchr(p, ';')) {
                p++;
                p += strspn(p, " \t");
                if (strncasecmp(p, name, l) != 0)
                        continue;
                const char *q = p + l;
                bool star = false;
                if (*q == '*') {
                        q++;
                        if (isdigit((unsigned char) *q)) {
                                while (isdigit((unsigned char) *q))
                                        q++;
                                if (*q == '*') {
                                        star = true;
                                        q++;
                                }
                        } else
                                star = true;
                }
                q += strspn(q, " \t");
                if (*q != '=')
                        continue;
                q++;
                q += strspn(q, " \t");
                Buffer v = {};
                if (*q == '"') {
                        for (q++; *q && *q != '"'; q++) {
                                if (*q == '\\' && q[1])
                                        q++;
                                if (append(&v, q, 1) < 0)
                                        goto oom_v;
                        }
                } else if (append(&v, q, strcspn(q, "; \t")) < 0)
                        goto oom_v;
                if (append(&v, "", 0) < 0)
                        goto oom_v;
                if (star) {
                        extended = true;
                        const char *s = v.data;
                        if (!charset) {
                                /* The first piece starts with charset'language'. */
                                const char *a = strchr(s, '\''), *b = a ? strchr(a + 1, '\'') : NULL;
                                if (a && b) {
                                        charset = strndup(s, a - s);
                                        s = b + 1;
                                }
                        }
                        for (; *s; s++) {
                                char c = *s;
                                if (c == '%' && hex_value(s[1]) >= 0 && hex_value(s[2]) >= 0) {
                                        c = (char) (hex_value(s[1]) * 16 + hex_value(s[2]));
                                        s += 2;
                                }
                                if (append(&joined, &c, 1) < 0)
                                        goto oom_v;
                        }
                } else if (append(&joined, v.data, v.size) < 0)
                        goto oom_v;
                buffer_done(&v);
                continue;
        oom_v:
                buffer_done(&v);
                buffer_done(&joined);
                free(charset);
                return NULL;
        }
        if (!joined.data) {
                free(charset);
                return NULL;
        }
        char *r;
        if (extended)
                r = mime_to_utf8(isempty(charset) ? NULL : charset, joined.data, joined.size);
        else
                /* Plain parameters are often RFC 2047 encoded words, which the RFC forbids and every
                 * mailer sends. */
                r = mime_header_decode(joined.data);
        free(charset);
        buffer_done(&joined);
        return r;
}

/* "Type/Subtype" in lower case, from a Content-Type value; NULL when out of memory. */
static char *media_type(const char *value, const char *def) {
        const char *v = value ? value + strspn(value, " \t") : "";
        size_t n = strcspn(v, "; \t");
        if (n == 0 || !memchr(v, '/', n))
                return strdup(def);
        char *t = strndup(v, n);
        for (char *c = t; c && *c; c++)
                *c = (char) tolower((unsigned char) *c);
        return t;
}

/* --- the body ------------------------------------------------------------------------------------------- */

typedef struct MimeWalk {
        MimeMessage *m;
        bool truncated;
        unsigned parts;
        const char *text_plain, *text_html; /* the first text parts that are not attachments */
        size_t text_plain_size, text_html_size;
        char *text_plain_charset, *text_plain_encoding, *text_html_charset, *text_html_encoding;
} MimeWalk;

static void walk_done(MimeWalk *w) {
        free(w->text_plain_charset);
        free(w->text_plain_encoding);
        free(w->text_html_charset);
        free(w->text_html_encoding);
}

/* Where the line starting "--boundary" is, from p on; *ret_close: it is the closing one. */
static const char *find_boundary(const char *p, const char *end, const char *boundary, size_t bl, bool *ret_close) {
        for (const char *s = p; s + 2 + bl <= end; s++) {
                if ((s == p || s[-1] == '\n') && s[0] == '-' && s[1] == '-' && memcmp(s + 2, boundary, bl) == 0) {
                        const char *after = s + 2 + bl;
                        *ret_close = after + 2 <= end && after[0] == '-' && after[1] == '-';
                        /* The whole boundary: "--o" is not the line "--outer". */
                        if (*ret_close || after == end || strchr(" \t\r\n", *after))
                                return s;
                }
                const char *nl = memchr(s, '\n', end - s);
                if (!nl)
                        break;
                s = nl; /* the loop's s++ goes to the next line's start */
        }
        return NULL;
}

static int walk_part(MimeWalk *w, const char *data, size_t size, unsigned depth, bool complete, bool in_digest);

static int walk_multipart(MimeWalk *w, const char *boundary, const char *body, size_t size, unsigned depth,
        bool digest) {
        size_t bl = strlen(boundary);
        const char *end = body + size, *p = body;
        bool close;
        const char *b = find_boundary(p, end, boundary, bl, &close);
        while (b && !close) {
                /* The part starts after the boundary's line. */
                const char *start = memchr(b, '\n', end - b);
                if (!start)
                        break;
                start++;
                bool next_close = false;
                const char *next = find_boundary(start, end, boundary, bl, &next_close);
                /* The CRLF before the next boundary belongs to the boundary. */
                const char *stop = next ?: end;
                if (next && stop > start && stop[-1] == '\n')
                        stop--;
                if (next && stop > start && stop[-1] == '\r')
                        stop--;
                if (w->parts >= MIME_PARTS_MAX)
                        return 0;
                int r = walk_part(w, start, stop - start, depth + 1, next || !w->truncated, digest);
                if (r < 0)
                        return r;
                b = next;
                close = next_close;
        }
        return 0;
}

static int add_attachment(MimeWalk *w, const char *filename, const char *type, const char *encoding, const char *body,
        size_t size, bool complete) {
        MimeMessage *m = w->m;
        MimeAttachment *grown = reallocarray(m->attachments, m->n_attachments + 1, sizeof(MimeAttachment));
        if (!grown)
                return -ENOMEM;
        m->attachments = grown;
        MimeAttachment *a = &grown[m->n_attachments];
        *a = (MimeAttachment){ .raw = body, .raw_size = size, .complete = complete };
        a->filename = strdup(strempty(filename));
        a->content_type = strdup(type);
        a->encoding = encoding ? strdup(encoding) : NULL;
        m->n_attachments++;
        if (!a->filename || !a->content_type || (encoding && !a->encoding))
                return -ENOMEM;
        return 0;
}

static int walk_part(MimeWalk *w, const char *data, size_t size, unsigned depth, bool complete, bool in_digest) {
        w->parts++;
        size_t hsize, body_at;
        split_headers(data, size, &hsize, &body_at);
        const char *body = data + body_at;
        size_t body_size = size - body_at;

        _cleanup_free_ char *ct = mime_header_raw(data, hsize, "Content-Type");
        _cleanup_free_ char *cd = mime_header_raw(data, hsize, "Content-Disposition");
        _cleanup_free_ char *cte = mime_header_raw(data, hsize, "Content-Transfer-Encoding");
        _cleanup_free_ char *type = media_type(ct, in_digest ? "message/rfc822" : "text/plain");
        if (!type)
                return -ENOMEM;
        if (cte) {
                cte[strcspn(cte, " \t;")] = 0;
                for (char *c = cte; *c; c++)
                        *c = (char) tolower((unsigned char) *c);
        }

        if (startswith_ptr(type, "multipart/") && depth < MIME_DEPTH_MAX) {
                _cleanup_free_ char *boundary = ct ? header_param(ct, "boundary") : NULL;
                if (!isempty(boundary) && strlen(boundary) <= 200)
                        return walk_multipart(w, boundary, body, body_size, depth, streq(type, "multipart/digest"));
                /* A multipart without a boundary is read as text. */
        }

        _cleanup_free_ char *filename = cd ? header_param(cd, "filename") : NULL;
        if (!filename && ct)
                filename = header_param(ct, "name");
        bool attachment = (cd && strncasecmp(cd + strspn(cd, " \t"), "attachment", 10) == 0) || filename ||
                !(startswith_ptr(type, "text/") || startswith_ptr(type, "multipart/"));
        if (!attachment && streq(type, "text/html") && !w->text_html) {
                w->text_html = body;
                w->text_html_size = body_size;
                w->text_html_charset = ct ? header_param(ct, "charset") : NULL;
                w->text_html_encoding = cte ? strdup(cte) : NULL;
                return 0;
        }
        if (!attachment && !w->text_plain && !streq(type, "text/html")) {
                w->text_plain = body;
                w->text_plain_size = body_size;
                w->text_plain_charset = ct ? header_param(ct, "charset") : NULL;
                w->text_plain_encoding = cte ? strdup(cte) : NULL;
                return 0;
        }
        if (!attachment)
                return 0; /* a second text alternative */
        if (!filename && streq(type, "message/rfc822"))
                filename = strdup("message.eml");
        return add_attachment(w, filename, type, cte, body, body_size, complete);
}

static int parse_headers(MimeMessage *m, const char *data, size_t hsize) {
        static const struct {
                const char *name;
                size_t offset;
        } fields[] = {
                { "From", offsetof(MimeMessage, from) },
                { "To", offsetof(MimeMessage, to) },
                { "Cc", offsetof(MimeMessage, cc) },
                { "Reply-To", offsetof(MimeMessage, reply_to) },
                { "Subject", offsetof(MimeMessage, subject) },
                { "Date", offsetof(MimeMessage, date) },
                { "Message-ID", offsetof(MimeMessage, message_id) },
                { "In-Reply-To", offsetof(MimeMessage, in_reply_to) },
        };
        FOREACH_ELEMENT(f, fields) {
                _cleanup_free_ char *raw = mime_header_raw(data, hsize, f->name);
                if (!raw)
                        continue;
                char *decoded = mime_header_decode(raw);
                if (!decoded)
                        return -ENOMEM;
                /* Trailing white space left by unfolding. */
                size_t n = strlen(decoded);
                while (n > 0 && decoded[n - 1] == ' ')
                        decoded[--n] = 0;
                *(char **) ((uint8_t *) m + f->offset) = decoded;
        }
        return 0;
}

int mime_headers_parse(const char *data, size_t size, MimeMessage *m) {
        *m = (MimeMessage){};
        int r = parse_headers(m, data, size);
        if (r < 0)
                mime_message_done(m);
        return r;
}

static int body_text(const char *encoding, const char *charset, const char *p, size_t n, bool html, char **ret) {
        _cleanup_free_ char *decoded = NULL;
        size_t size;
        int r = mime_transfer_decode(encoding, p, n, &decoded, &size);
        if (r < 0)
                return r;
        _cleanup_free_ char *text = mime_to_utf8(charset, decoded, size);
        if (!text)
                return -ENOMEM;
        *ret = html ? mime_html_to_text(text) : TAKE_PTR(text);
        return *ret ? 0 : -ENOMEM;
}

int mime_message_parse(const char *data, size_t size, bool truncated, MimeMessage *m) {
        *m = (MimeMessage){};
        size_t hsize, body_at;
        split_headers(data, size, &hsize, &body_at);
        int r = parse_headers(m, data, hsize);
        MimeWalk w = { .m = m, .truncated = truncated };
        if (r >= 0)
                r = walk_part(&w, data, size, 0, !truncated, false);
        if (r >= 0 && w.text_plain)
                r = body_text(w.text_plain_encoding, w.text_plain_charset, w.text_plain, w.text_plain_size, false,
                        &m->text);
        else if (r >= 0 && w.text_html) {
                r = body_text(w.text_html_encoding, w.text_html_charset, w.text_html, w.text_html_size, true, &m->text);
                m->text_from_html = true;
        } else if (r >= 0 && !(m->text = strdup("")))
                r = -ENOMEM;
        walk_done(&w);
        if (r < 0)
                mime_message_done(m);
        return r;
}

/* --- HTML ----------------------------------------------------------------------------------------------- */

static const struct {
        const char *name;
        const char *text;
} entities[] = {
        { "amp", "&" },
        { "lt", "<" },
        { "gt", ">" },
        { "quot", "\"" },
        { "apos", "'" },
        { "nbsp", " " },
        { "eacute", "é" },
        { "egrave", "è" },
        { "ecirc", "ê" },
        { "agrave", "à" },
        { "acirc", "â" },
        { "ccedil", "ç" },
        { "ocirc", "ô" },
        { "ugrave", "ù" },
        { "auml", "ä" },
        { "ouml", "ö" },
        { "uuml", "ü" },
        { "Auml", "Ä" },
        { "Ouml", "Ö" },
        { "Uuml", "Ü" },
        { "szlig", "ß" },
        { "ntilde", "ñ" },
        { "aacute", "á" },
        { "iacute", "í" },
        { "oacute", "ó" },
        { "uacute", "ú" },
        { "Eacute", "É" },
        { "hellip", "…" },
        { "mdash", "—" },
        { "ndash", "–" },
        { "lsquo", "‘" },
        { "rsquo", "’" },
        { "ldquo", "“" },
        { "rdquo", "”" },
        { "laquo", "«" },
        { "raquo", "»" },
        { "copy", "©" },
        { "reg", "®" },
        { "euro", "€" },
        { "bull", "•" },
};

static int append_codepoint(Buffer *b, unsigned long c) {
        char u[4];
        size_t n;
        if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || c < 0x20)
                return append(b, c == '\n' || c == '\t' ? "\n" : REPLACEMENT, c == '\n' || c == '\t' ? 1 : 3);
        if (c < 0x80)
                u[0] = (char) c, n = 1;
        else if (c < 0x800)
                u[0] = (char) (0xc0 | (c >> 6)), u[1] = (char) (0x80 | (c & 0x3f)), n = 2;
        else if (c < 0x10000)
                u[0] = (char) (0xe0 | (c >> 12)), u[1] = (char) (0x80 | ((c >> 6) & 0x3f)),
                u[2] = (char) (0x80 | (c & 0x3f)), n = 3;
        else
                u[0] = (char) (0xf0 | (c >> 18)), u[1] = (char) (0x80 | ((c >> 12) & 0x3f)),
                u[2] = (char) (0x80 | ((c >> 6) & 0x3f)), u[3] = (char) (0x80 | (c & 0x3f)), n = 4;
        return append(b, u, n);
}

char *mime_html_to_text(const char *html) {
        Buffer b = {};
        const char *p = html;
        while (*p) {
                int r = 0;
                if (*p == '<') {
                        const char *close = strchr(p, '>');
                        if (!close)
                                break;
                        const char *name = p + 1 + (p[1] == '/');
                        size_t nl = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
                        if (p[1] != '/' &&
                                ((nl == 6 && strncasecmp(name, "script", 6) == 0) ||
                                        (nl == 5 && strncasecmp(name, "style", 5) == 0))) {
                                /* Skipped with its contents, to its end tag. */
                                char end[10];
                                snprintf(end, sizeof(end), "</%.*s", (int) nl, name);
                                const char *e = strcasestr(close, end);
                                p = e ? strchr(e, '>') : NULL;
                                if (!p)
                                        break;
                                p++;
                                continue;
                        }
                        static const char *const blocks[] = { "br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4",
                                "h5", "h6", "blockquote", "table", "ul", "ol", "pre", "hr" };
                        FOREACH_ELEMENT(t, blocks)
                        if (strlen(*t) == nl && strncasecmp(name, *t, nl) == 0) {
                                r = append(&b, "\n", 1);
                                break;
                        }
                        p = close + 1;
                } else if (*p == '&') {
                        const char *semi = strchr(p, ';');
                        bool done = false;
                        if (semi && semi - p <= 10) {
                                if (p[1] == '#') {
                                        char *e;
                                        errno = 0;
                                        unsigned long c = (p[2] == 'x' || p[2] == 'X') ? strtoul(p + 3, &e, 16)
                                                                                       : strtoul(p + 2, &e, 10);
                                        if (e == semi && errno == 0) {
                                                r = append_codepoint(&b, c);
                                                done = true;
                                        }
                                } else
                                        FOREACH_ELEMENT(en, entities)
                                if ((size_t) (semi - p - 1) == strlen(en->name) &&
                                        strncmp(p + 1, en->name, semi - p - 1) == 0) {
                                        r = append(&b, en->text, strlen(en->text));
                                        done = true;
                                        break;
                                }
                        }
                        if (done)
                                p = semi + 1;
                        else
                                r = append(&b, p++, 1);
                } else {
                        size_t n = strcspn(p, "<&");
                        r = append(&b, p, n);
                        p += n;
                }
                if (r < 0) {
                        buffer_done(&b);
                        return NULL;
                }
        }
        /* Runs of blank lines, from markup that is mostly line breaks, down to one. */
        if (append(&b, "", 0) < 0) {
                buffer_done(&b);
                return NULL;
        }
        char *o = b.data;
        unsigned newlines = 0;
        for (const char *s = b.data; *s; s++) {
                if (*s == '\n' && ++newlines > 2)
                        continue;
                if (*s != '\n' && *s != ' ' && *s != '\t')
                        newlines = 0;
                *o++ = *s;
        }
        *o = 0;
        return b.data;
}
