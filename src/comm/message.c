/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A stored message as libcurl sends it over SMTP: the envelope, the headers and a curl_mime body, which curl
 * encodes (quoted-printable text, base64 attachments) and frames itself. */
#include <openssl/evp.h>
#include <stdio.h>

#include "address.h"
#include "message.h"

void message_parts_done(MessageParts *p) {
        sym_curl_mime_free(p->mime);
        sym_curl_slist_free_all(p->headers);
        sym_curl_slist_free_all(p->recipients);
        *p = (MessageParts){};
}

size_t comm_base64_decoded_size(const char *in, size_t n) {
        size_t pad = 0;
        if (n >= 1 && in[n - 1] == '=')
                pad++;
        if (n >= 2 && in[n - 2] == '=')
                pad++;
        return n / 4 * 3 - pad;
}

int comm_base64_decode(const char *in, size_t n, uint8_t **ret, size_t *ret_size) {
        if (n % 4 != 0 || n > INT32_MAX)
                return -EBADMSG;
        for (size_t i = 0; i < n; i++) {
                char c = in[i];
                bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                        c == '/';
                /* '=' only as the padding at the end */
                if (!alpha && !(c == '=' && i >= n - 2 && (i == n - 1 || in[n - 1] == '=')))
                        return -EBADMSG;
        }
        _cleanup_free_ uint8_t *out = malloc(n / 4 * 3 + 1);
        if (!out)
                return -ENOMEM;
        if (n > 0 && EVP_DecodeBlock(out, (const unsigned char *) in, (int) n) < 0)
                return -EBADMSG;
        *ret_size = comm_base64_decoded_size(in, n);
        *ret = TAKE_PTR(out);
        return 0;
}

int message_foreach_recipient(json_object *message, int (*f)(const char *address, void *userdata), void *userdata) {
        static const char *const fields[] = { "to", "cc", "bcc" };
        FOREACH_ELEMENT(field, fields) {
                json_object *list = json_get_array(message, *field);
                for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                        const char *a = json_object_get_string(json_object_array_get_idx(list, i));
                        int r = f(a, userdata);
                        if (r != 0)
                                return r;
                }
        }
        return 0;
}

static int slist_add(struct curl_slist **l, const char *line) {
        struct curl_slist *n = sym_curl_slist_append(*l, line);
        if (!n)
                return -ENOMEM;
        *l = n;
        return 0;
}

static int add_recipient(const char *address, void *userdata) {
        _cleanup_free_ char *angle = NULL;
        if (asprintf(&angle, "<%s>", address) < 0)
                return -ENOMEM;
        return slist_add(userdata, angle);
}

/* "Name: a, b, c" for an array of addresses; nothing for an empty one. */
static int add_address_header(struct curl_slist **l, const char *name, json_object *list) {
        size_t n = list ? json_object_array_length(list) : 0;
        if (n == 0)
                return 0;
        _cleanup_free_ char *line = strdup(name);
        for (size_t i = 0; line && i < n; i++) {
                char *grown = NULL;
                if (asprintf(&grown, "%s%s%s", line, i == 0 ? ": " : ", ",
                            json_object_get_string(json_object_array_get_idx(list, i))) < 0)
                        return -ENOMEM;
                free(line);
                line = grown;
        }
        return line ? slist_add(l, line) : -ENOMEM;
}

static int add_header(struct curl_slist **l, const char *name, const char *value, bool encode) {
        if (!value)
                return 0;
        _cleanup_free_ char *encoded = encode ? header_encode(value) : strdup(value);
        _cleanup_free_ char *line = NULL;
        if (!encoded || asprintf(&line, "%s: %s", name, encoded) < 0)
                return -ENOMEM;
        return slist_add(l, line);
}

static int headers_setup(json_object *m, struct curl_slist **l) {
        int r = add_header(l, "Date", json_get_string(m, "date"), false);
        r = r ?: add_header(l, "From", json_get_string(m, "from"), false);
        r = r ?: add_address_header(l, "To", json_get_array(m, "to"));
        r = r ?: add_address_header(l, "Cc", json_get_array(m, "cc"));
        r = r ?: add_header(l, "Subject", json_get_string(m, "subject"), true);
        r = r ?: add_header(l, "Message-ID", json_get_string(m, "message_id"), false);
        r = r ?: add_header(l, "Reply-To", json_get_string(m, "reply_to"), false);
        r = r ?: add_header(l, "In-Reply-To", json_get_string(m, "in_reply_to"), false);
        r = r ?: add_header(l, "References", json_get_string(m, "in_reply_to"), false);
        return r;
}

static CURLcode text_part(curl_mime *mime, const char *type, const char *text) {
        curl_mimepart *part = sym_curl_mime_addpart(mime);
        if (!part)
                return CURLE_OUT_OF_MEMORY;
        CURLcode c = sym_curl_mime_data(part, text, CURL_ZERO_TERMINATED);
        c = c ?: sym_curl_mime_type(part, type);
        /* Long lines and 8-bit text travel safely through any relay. */
        c = c ?: sym_curl_mime_encoder(part, "quoted-printable");
        return c;
}

static int body_setup(CURL *easy, json_object *m, curl_mime **ret) {
        curl_mime *mime = sym_curl_mime_init(easy);
        if (!mime)
                return -ENOMEM;
        *ret = mime;

        const char *text = json_get_string(m, "text"), *html = json_get_string(m, "html");
        CURLcode c = CURLE_OK;
        if (html) {
                /* multipart/alternative: the text for readers that show no HTML. */
                curl_mime *alt = sym_curl_mime_init(easy);
                if (!alt)
                        return -ENOMEM;
                c = text_part(alt, "text/plain; charset=utf-8", strempty(text));
                c = c ?: text_part(alt, "text/html; charset=utf-8", html);
                curl_mimepart *part = c ? NULL : sym_curl_mime_addpart(mime);
                if (!part) {
                        sym_curl_mime_free(alt);
                        return -ENOMEM;
                }
                c = sym_curl_mime_subparts(part, alt); /* takes alt, even when it fails */
                c = c ?: sym_curl_mime_type(part, "multipart/alternative");
        } else
                c = text_part(mime, "text/plain; charset=utf-8", strempty(text));
        if (c != CURLE_OK)
                return c == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;

        json_object *attachments = json_get_array(m, "attachments");
        for (size_t i = 0; attachments && i < json_object_array_length(attachments); i++) {
                json_object *a = json_object_array_get_idx(attachments, i);
                const char *data = json_get_string(a, "data");
                _cleanup_free_ uint8_t *bytes = NULL;
                size_t size = 0;
                int r = comm_base64_decode(strempty(data), strlen(strempty(data)), &bytes, &size);
                if (r < 0)
                        return r;
                curl_mimepart *part = sym_curl_mime_addpart(mime);
                if (!part)
                        return -ENOMEM;
                c = sym_curl_mime_data(part, (const char *) bytes, size);
                c = c ?: sym_curl_mime_type(part, json_get_string(a, "content_type") ?: "application/octet-stream");
                c = c ?: sym_curl_mime_filename(part, json_get_string(a, "filename"));
                c = c ?: sym_curl_mime_encoder(part, "base64");
                if (c != CURLE_OK)
                        return c == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
        }
        return 0;
}

int message_setup(CURL *easy, json_object *message, MessageParts *p) {
        _cleanup_free_ char *from = NULL;
        if (asprintf(&from, "<%s>", strempty(json_get_string(message, "from"))) < 0)
                return -ENOMEM;

        int r = message_foreach_recipient(message, add_recipient, &p->recipients);
        if (r < 0)
                return r;
        r = headers_setup(message, &p->headers);
        if (r < 0)
                return r;
        r = body_setup(easy, message, &p->mime);
        if (r < 0)
                return r;

        CURLcode c = sym_curl_easy_setopt(easy, CURLOPT_MAIL_FROM, from);
        c = c ?: sym_curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, p->recipients);
        c = c ?: sym_curl_easy_setopt(easy, CURLOPT_HTTPHEADER, p->headers);
        /* As curl's smtp-mime example: a MIME post is the message's data, without CURLOPT_UPLOAD. */
        c = c ?: sym_curl_easy_setopt(easy, CURLOPT_MIMEPOST, p->mime);
        return c == CURLE_OK ? 0 : -EINVAL;
}
