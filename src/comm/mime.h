/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a mail message (RFC 5322, MIME): its headers as UTF-8 text, its body as text and its attachments. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* How deep multiparts may nest, and how many parts one message may have, before the rest is ignored. */
#define MIME_DEPTH_MAX 8U
#define MIME_PARTS_MAX 200U

typedef struct MimeAttachment {
        char *filename;     /* UTF-8; "" when the part has none */
        char *content_type; /* lower case, such as application/pdf */
        const char *raw;    /* the part's body as it is in the message (still transfer-encoded) */
        size_t raw_size;
        char *encoding; /* Content-Transfer-Encoding, lower case; NULL: 7bit */
        bool complete;  /* false when the message was cut off before the part's end */
} MimeAttachment;

typedef struct MimeMessage {
        /* The headers, decoded (RFC 2047) and unfolded, as valid UTF-8; NULL when the message has none. */
        char *from, *to, *cc, *reply_to, *subject, *date, *message_id, *in_reply_to;
        char *text;          /* the body as text: text/plain, else text/html with its tags removed */
        bool text_from_html; /* the text was made from HTML */
        MimeAttachment *attachments;
        size_t n_attachments;
} MimeMessage;

void mime_message_done(MimeMessage *m);
/* Parses the message in data (which must outlive m: attachments point into it). truncated says that data is
 * only the start of the message, so that a part cut off is marked incomplete. Only -ENOMEM is an error: a
 * malformed message gives what could be read of it. */
int mime_message_parse(const char *data, size_t size, bool truncated, MimeMessage *m);
/* Only the headers, for a block that holds them alone (IMAP's BODY.PEEK[HEADER.FIELDS (...)]). */
int mime_headers_parse(const char *data, size_t size, MimeMessage *m);

/* The raw value of the first header name in the header block (unfolded, not decoded), or NULL. */
char *mime_header_raw(const char *headers, size_t size, const char *name);
/* A header value made readable: RFC 2047 encoded words decoded, every charset converted to UTF-8, bytes that
 * are not valid UTF-8 and control characters replaced. NULL when out of memory. */
char *mime_header_decode(const char *value);
/* Bytes of charset (NULL or unknown: UTF-8) as valid UTF-8: what cannot be converted becomes U+FFFD, CR LF
 * becomes LF, NUL and other control characters but tab and LF become U+FFFD. NULL when out of memory. */
char *mime_to_utf8(const char *charset, const char *p, size_t n);
/* The body of a part decoded from its Content-Transfer-Encoding (base64, quoted-printable; anything else as
 * it is). Lenient, as mail readers are: characters base64 does not use are skipped, a broken = escape is
 * kept. *ret is NUL-terminated (not counted). */
int mime_transfer_decode(const char *encoding, const char *p, size_t n, char **ret, size_t *ret_size);
/* HTML as plain text: tags removed (script and style with their contents), block ends as line breaks, the
 * common entities decoded. NULL when out of memory. */
char *mime_html_to_text(const char *html);
