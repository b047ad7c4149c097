/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parses what an IMAP server answered to UID SEARCH and UID FETCH (RFC 3501 §7): the untagged SEARCH (and RFC
 * 4731's ESEARCH) and FETCH responses, each FETCH's UID, RFC822.SIZE, FLAGS, INTERNALDATE and one BODY[...] item with
 * its literal.
 *
 * Written here: libcurl sends the command and hands over the raw answer, but parses none of it for a
 * command of the caller's (it passes the first line of each untagged response to the write callback,
 * without the literals that hold the messages); Debian has no small C IMAP response parser (libetpan is a
 * whole mail client library with its own networking). What is needed is a tokenizer for atoms, numbers,
 * quoted strings, literals and parenthesised lists, bounded by the buffer it reads. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "imap.h"
#include "strv.h"

typedef struct Cursor {
        const char *p, *end;
} Cursor;

static bool at_end(const Cursor *c) {
        return c->p >= c->end;
}

static bool peek(const Cursor *c, char ch) {
        return c->p < c->end && *c->p == ch;
}

static bool take(Cursor *c, char ch) {
        if (!peek(c, ch))
                return false;
        c->p++;
        return true;
}

static void skip_spaces(Cursor *c) {
        while (c->p < c->end && *c->p == ' ')
                c->p++;
}

static bool take_crlf(Cursor *c) {
        if (c->p + 1 < c->end && c->p[0] == '\r' && c->p[1] == '\n') {
                c->p += 2;
                return true;
        }
        return take(c, '\n');
}

static int take_number(Cursor *c, uint64_t *ret) {
        uint64_t v = 0;
        const char *start = c->p;
        while (c->p < c->end && isdigit((unsigned char) *c->p)) {
                if (v > (UINT64_MAX - 9) / 10)
                        return -EBADMSG;
                v = v * 10 + (uint64_t) (*c->p++ - '0');
        }
        if (c->p == start)
                return -EBADMSG;
        *ret = v;
        return 0;
}

/* An atom's characters (RFC 3501's ATOM-CHAR without [ and ], which enclose a section: BODY[TEXT]). A flag's
 * leading backslash is taken by take_atom(). */
static bool atom_char(char ch) {
        return (unsigned char) ch > ' ' && (unsigned char) ch < 0x7f && !strchr("(){%*\"\\[]", ch);
}

static size_t take_atom(Cursor *c) {
        const char *start = c->p;
        while (c->p < c->end && (atom_char(*c->p) || *c->p == '\\'))
                c->p++;
        return (size_t) (c->p - start);
}

/* A literal, {n}CRLF and n bytes (also {n+}, LITERAL+; ~{n}, literal8). */
static int take_literal(Cursor *c, const char **ret, size_t *ret_n) {
        (void) take(c, '~');
        if (!take(c, '{'))
                return -EBADMSG;
        uint64_t n;
        if (take_number(c, &n) < 0)
                return -EBADMSG;
        (void) take(c, '+');
        if (!take(c, '}') || !take_crlf(c))
                return -EBADMSG;
        if (n > (uint64_t) (c->end - c->p))
                return -EBADMSG; /* cut off, or a length that lies */
        *ret = c->p;
        *ret_n = (size_t) n;
        c->p += n;
        return 0;
}

static int take_quoted(Cursor *c, char **ret) {
        if (!take(c, '"'))
                return -EBADMSG;
        Buffer b = {};
        while (!at_end(c) && *c->p != '"') {
                if (*c->p == '\r' || *c->p == '\n') {
                        buffer_done(&b);
                        return -EBADMSG;
                }
                if (*c->p == '\\' && c->p + 1 < c->end)
                        c->p++;
                if (buffer_append(&b, c->p++, 1, 64 * 1024) < 0) {
                        buffer_done(&b);
                        return -EBADMSG;
                }
        }
        if (!take(c, '"') || buffer_append(&b, "", 0, 64 * 1024) < 0) {
                buffer_done(&b);
                return -EBADMSG;
        }
        *ret = b.data;
        return 0;
}

/* An nstring: NIL, a quoted string or a literal. Points into the buffer for a literal; a quoted string is
 * copied into *ret_copy. */
static int take_nstring(Cursor *c, const char **ret, size_t *ret_n, char **ret_copy) {
        *ret_copy = NULL;
        if (peek(c, '"')) {
                int r = take_quoted(c, ret_copy);
                if (r < 0)
                        return r;
                *ret = *ret_copy;
                *ret_n = strlen(*ret_copy);
                return 1;
        }
        if (peek(c, '{') || peek(c, '~')) {
                int r = take_literal(c, ret, ret_n);
                return r < 0 ? r : 1;
        }
        if (c->end - c->p >= 3 && strncasecmp(c->p, "NIL", 3) == 0) {
                c->p += 3;
                return 0;
        }
        return -EBADMSG;
}

/* Any value: an atom, a number, a string, a literal or a parenthesised list of values, skipped. */
static int skip_value(Cursor *c, unsigned depth) {
        if (depth > 32)
                return -EBADMSG;
        if (peek(c, '"')) {
                _cleanup_free_ char *s = NULL;
                return take_quoted(c, &s);
        }
        if (peek(c, '{') || peek(c, '~')) {
                const char *p;
                size_t n;
                return take_literal(c, &p, &n);
        }
        if (take(c, '(')) {
                for (;;) {
                        skip_spaces(c);
                        if (take(c, ')'))
                                return 0;
                        if (at_end(c) || peek(c, '\r') || peek(c, '\n'))
                                return -EBADMSG;
                        int r = skip_value(c, depth + 1);
                        if (r < 0)
                                return r;
                }
        }
        /* An atom, which may carry a section: BODY[HEADER.FIELDS (A B)]<0>. */
        size_t n = take_atom(c);
        if (take(c, '[')) {
                while (!at_end(c) && *c->p != ']' && *c->p != '\r' && *c->p != '\n')
                        c->p++;
                if (!take(c, ']'))
                        return -EBADMSG;
                n++;
        }
        return n > 0 ? 0 : -EBADMSG;
}

/* The rest of a response (after what was parsed): to its CRLF, across the literals it holds. */
static int skip_response(Cursor *c) {
        while (!at_end(c)) {
                if (take_crlf(c))
                        return 0;
                if (peek(c, '{') || (peek(c, '~') && c->p + 1 < c->end && c->p[1] == '{')) {
                        Cursor save = *c;
                        const char *p;
                        size_t n;
                        if (take_literal(c, &p, &n) >= 0)
                                continue;
                        *c = save;
                }
                c->p++;
        }
        return 0;
}

static int parse_flags(Cursor *c, char ***ret) {
        if (!take(c, '('))
                return -EBADMSG;
        _cleanup_strv_free_ char **flags = NULL;
        size_t n = 0;
        for (;;) {
                skip_spaces(c);
                if (take(c, ')'))
                        break;
                const char *start = c->p;
                size_t l = take_atom(c);
                if (l == 0 || l > 256 || n >= 64)
                        return -EBADMSG;
                char **grown = reallocarray(flags, n + 2, sizeof(char *));
                if (!grown)
                        return -ENOMEM;
                flags = grown;
                if (!(flags[n] = strndup(start, l)))
                        return -ENOMEM;
                flags[++n] = NULL;
        }
        *ret = TAKE_PTR(flags);
        if (!*ret && !(*ret = new0(char *, 1)))
                return -ENOMEM;
        return 0;
}

static void fetch_done(ImapFetch *f) {
        strv_free(f->flags);
        free(f->internal_date);
        free(f->body_copy);
}

void imap_fetch_free_many(ImapFetch *f, size_t n) {
        for (size_t i = 0; f && i < n; i++)
                fetch_done(&f[i]);
        free(f);
}

/* The attributes of one FETCH response, from after its "(". */
static int parse_fetch_attributes(Cursor *c, ImapFetch *f) {
        for (;;) {
                skip_spaces(c);
                if (take(c, ')'))
                        return 0;
                const char *name = c->p;
                size_t n = take_atom(c);
                if (n == 0)
                        return -EBADMSG;
                bool section = false;
                if (take(c, '[')) {
                        section = true;
                        /* The section, with its field list: to the closing ], then an optional <origin>. */
                        while (!at_end(c) && *c->p != ']' && *c->p != '\r' && *c->p != '\n')
                                c->p++;
                        if (!take(c, ']'))
                                return -EBADMSG;
                        if (take(c, '<')) {
                                uint64_t origin;
                                if (take_number(c, &origin) < 0 || !take(c, '>'))
                                        return -EBADMSG;
                        }
                }
                if (!take(c, ' '))
                        return -EBADMSG;
                int r;
                if (!section && n == 3 && strncasecmp(name, "UID", 3) == 0) {
                        uint64_t uid;
                        if (take_number(c, &uid) < 0 || uid == 0 || uid > UINT32_MAX)
                                return -EBADMSG;
                        f->uid = (uint32_t) uid;
                } else if (!section && n == 11 && strncasecmp(name, "RFC822.SIZE", 11) == 0) {
                        if (take_number(c, &f->size) < 0)
                                return -EBADMSG;
                } else if (!section && n == 5 && strncasecmp(name, "FLAGS", 5) == 0) {
                        strv_free(f->flags);
                        f->flags = NULL;
                        r = parse_flags(c, &f->flags);
                        if (r < 0)
                                return r;
                } else if (!section && n == 12 && strncasecmp(name, "INTERNALDATE", 12) == 0) {
                        free(f->internal_date);
                        f->internal_date = NULL;
                        r = take_quoted(c, &f->internal_date);
                        if (r < 0)
                                return r;
                } else if (section &&
                        ((n == 4 && strncasecmp(name, "BODY", 4) == 0) ||
                                (n == 6 && strncasecmp(name, "BINARY", 6) == 0))) {
                        _cleanup_free_ char *copy = NULL;
                        const char *p = NULL;
                        size_t l = 0;
                        r = take_nstring(c, &p, &l, &copy);
                        if (r < 0)
                                return r;
                        /* A quoted string was unescaped into a copy of its own. */
                        free(f->body_copy);
                        f->body_copy = TAKE_PTR(copy);
                        f->body = p;
                        f->body_size = l;
                        f->has_body = r > 0;
                } else {
                        r = skip_value(c, 0);
                        if (r < 0)
                                return r;
                }
        }
}

static bool take_word(Cursor *c, const char *word) {
        size_t n = strlen(word);
        if ((size_t) (c->end - c->p) < n || strncasecmp(c->p, word, n) != 0)
                return false;
        if (c->p + n < c->end && atom_char(c->p[n]))
                return false;
        c->p += n;
        return true;
}

typedef int (*UntaggedHandler)(Cursor *c, void *userdata);

/* Walks the responses; each untagged one whose first word (after a number, for FETCH) is word goes to
 * handler, which parses it to its end. The answer must end in a tagged status line. */
static int walk_responses(const char *data, size_t size, const char *word, bool numbered, UntaggedHandler handler,
        void *userdata) {
        Cursor c = { data, data + size };
        bool tagged = false;
        while (!at_end(&c)) {
                if (take(&c, '*')) {
                        if (!take(&c, ' '))
                                return -EBADMSG;
                        Cursor save = c;
                        uint64_t number;
                        bool has_number = take_number(&c, &number) >= 0 && take(&c, ' ');
                        if (!has_number)
                                c = save;
                        if (has_number == numbered && take_word(&c, word)) {
                                int r = handler(&c, userdata);
                                if (r < 0)
                                        return r;
                                skip_spaces(&c);
                                if (!take_crlf(&c))
                                        return -EBADMSG;
                                continue;
                        }
                } else if (!take(&c, '+')) {
                        /* A tagged status line ends the answer. */
                        const char *tag = c.p;
                        if (take_atom(&c) == 0 || c.p == tag || !take(&c, ' '))
                                return -EBADMSG;
                        if (!take_word(&c, "OK") && !take_word(&c, "NO") && !take_word(&c, "BAD"))
                                return -EBADMSG;
                        tagged = true;
                }
                int r = skip_response(&c);
                if (r < 0)
                        return r;
        }
        return tagged ? 0 : -EBADMSG;
}

#define SEARCH_UIDS_MAX (10U * 1000U * 1000U)

typedef struct SearchResult {
        uint32_t *uids;
        size_t n;
} SearchResult;

static int search_add(SearchResult *s, uint64_t uid) {
        if (uid == 0 || uid > UINT32_MAX || s->n >= SEARCH_UIDS_MAX)
                return -EBADMSG;
        if (s->n % 1024 == 0) {
                uint32_t *grown = reallocarray(s->uids, s->n + 1024, sizeof(uint32_t));
                if (!grown)
                        return -ENOMEM;
                s->uids = grown;
        }
        s->uids[s->n++] = (uint32_t) uid;
        return 0;
}

/* RFC 4731's answer: * ESEARCH (TAG "A5") UID ALL 1:3,7 (or without ALL when nothing matched). */
static int on_esearch(Cursor *c, void *userdata) {
        SearchResult *s = userdata;
        skip_spaces(c);
        if (peek(c, '(')) {
                int r = skip_value(c, 0);
                if (r < 0)
                        return r;
        }
        skip_spaces(c);
        (void) take_word(c, "UID");
        while (take(c, ' ')) {
                if (peek(c, '\r') || peek(c, '\n'))
                        break;
                if (!take_word(c, "ALL")) {
                        /* COUNT, MIN, MAX and others: a name and a value. */
                        if (take_atom(c) == 0 || !take(c, ' '))
                                return -EBADMSG;
                        int r = skip_value(c, 0);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (!take(c, ' '))
                        return -EBADMSG;
                /* A sequence set: n or n:m, separated by commas. */
                do {
                        uint64_t from, to;
                        if (take_number(c, &from) < 0)
                                return -EBADMSG;
                        to = from;
                        if (take(c, ':') && take_number(c, &to) < 0)
                                return -EBADMSG;
                        if (to < from) {
                                uint64_t t = from;
                                from = to;
                                to = t;
                        }
                        if (to - from >= SEARCH_UIDS_MAX)
                                return -EBADMSG;
                        for (uint64_t u = from; u <= to; u++) {
                                int r = search_add(s, u);
                                if (r < 0)
                                        return r;
                        }
                } while (take(c, ','));
        }
        return 0;
}

static int on_search(Cursor *c, void *userdata) {
        SearchResult *s = userdata;
        while (take(c, ' ')) {
                if (peek(c, '\r') || peek(c, '\n'))
                        break;
                if (peek(c, '(')) /* (MODSEQ n) of CONDSTORE */
                        return skip_value(c, 0);
                uint64_t uid;
                if (take_number(c, &uid) < 0)
                        return -EBADMSG;
                int r = search_add(s, uid);
                if (r < 0)
                        return r;
        }
        return 0;
}

int imap_parse_search(const char *data, size_t size, uint32_t **ret, size_t *ret_n) {
        SearchResult s = {};
        int r = walk_responses(data, size, "SEARCH", false, on_search, &s);
        if (r >= 0 && s.n == 0)
                r = walk_responses(data, size, "ESEARCH", false, on_esearch, &s);
        if (r < 0) {
                free(s.uids);
                return r;
        }
        *ret = s.uids;
        *ret_n = s.n;
        return 0;
}

typedef struct FetchResult {
        ImapFetch *fetches;
        size_t n;
} FetchResult;

static int on_fetch(Cursor *c, void *userdata) {
        FetchResult *f = userdata;
        if (!take(c, ' ') || !take(c, '('))
                return -EBADMSG;
        ImapFetch *grown = reallocarray(f->fetches, f->n + 1, sizeof(ImapFetch));
        if (!grown)
                return -ENOMEM;
        f->fetches = grown;
        ImapFetch *x = &grown[f->n++];
        *x = (ImapFetch){};
        int r = parse_fetch_attributes(c, x);
        if (r < 0)
                return r;
        /* A FETCH without UID is one the server sent of its own accord (a flag change): not ours. */
        if (x->uid == 0) {
                fetch_done(x);
                f->n--;
        }
        return 0;
}

int imap_parse_fetch(const char *data, size_t size, ImapFetch **ret, size_t *ret_n) {
        FetchResult f = {};
        int r = walk_responses(data, size, "FETCH", true, on_fetch, &f);
        if (r < 0) {
                imap_fetch_free_many(f.fetches, f.n);
                return r;
        }
        *ret = f.fetches;
        *ret_n = f.n;
        return 0;
}
