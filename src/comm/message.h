/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A stored message as libcurl sends it over SMTP: its envelope, its headers and its MIME body (curl_mime). */
#pragma once

#include "curl-dlopen.h"
#include "json-util.h"

typedef struct MessageParts {
        curl_mime *mime;
        struct curl_slist *headers;
        struct curl_slist *recipients;
} MessageParts;

void message_parts_done(MessageParts *p);

/* Sets the envelope (MAIL FROM, RCPT TO: to, cc and bcc), the headers (Bcc is never one of them) and the
 * body of message on easy. p holds what easy points to until the transfer is over. */
int message_setup(CURL *easy, json_object *message, MessageParts *p);

/* Every address of the message's to, cc and bcc, in that order, calling f until it returns non-zero. */
int message_foreach_recipient(json_object *message, int (*f)(const char *address, void *userdata), void *userdata);

/* Strict standard base64 (RFC 4648 §4, padded): *ret gets the bytes. -EBADMSG for anything else. */
int comm_base64_decode(const char *in, size_t n, uint8_t **ret, size_t *ret_size);
/* How many bytes base64 text of n characters decodes to (assuming it is valid). */
size_t comm_base64_decoded_size(const char *in, size_t n);
