/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One IMAP command with libcurl on the event loop. curl connects (TLS from the start for imaps://, STARTTLS
 * required for imap:// unless StartTLS=no), logs in, SELECTs the folder and sends the command given as
 * CURLOPT_CUSTOMREQUEST. Of a custom command's answer curl passes only the first line of each untagged
 * response to the write callback, not the literals that carry the messages; every line it reads goes to the
 * debug callback (CURLINFO_HEADER_IN), which is where the answer is collected, from the line that sent the
 * command on, for imap-response.c to parse. */
#include <stdio.h>

#include "address.h"
#include "imap.h"
#include "log.h"

#define CONNECT_TIMEOUT_MS 20000L
#define STATUS_MAX 300

struct ImapCommand {
        CurlEvent *curl;
        CURL *easy;
        char *url;
        char *command;
        char *mailbox_name;
        char *folder;
        char tag[32];    /* the tag curl gave the command, once sent */
        char sent[16];   /* the last command curl sent: AUTHENTICATE, LOGIN, SELECT, ... */
        char failed[16]; /* the one the last NO or BAD answered */
        bool overflow;
        Buffer response;
        size_t max_response;
        char status[STATUS_MAX]; /* the last tagged NO or BAD, for the error */
        char error[CURL_ERROR_SIZE];
        ImapDone done;
        void *userdata;
};

ImapCommand *imap_command_free(ImapCommand *c) {
        if (!c)
                return NULL;
        if (c->easy) {
                curl_event_remove(c->curl, c->easy);
                sym_curl_easy_cleanup(c->easy);
        }
        free(c->url);
        free(c->command);
        free(c->mailbox_name);
        free(c->folder);
        buffer_done(&c->response);
        free(c);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(ImapCommand *, imap_command_free);

bool imap_folder_is_valid(const char *folder) {
        size_t n = strlen(folder);
        if (n == 0 || n > IMAP_FOLDER_MAX || !utf8_is_valid(folder, n))
                return false;
        for (const unsigned char *p = (const unsigned char *) folder; *p; p++)
                if (*p < 0x20 || *p == 0x7f || *p == '*' || *p == '%')
                        return false;
        return true;
}

char *imap_quote(const char *s) {
        Buffer b = {};
        int r = buffer_append(&b, "\"", 1, SIZE_MAX);
        for (const char *p = s; r >= 0 && *p; p++) {
                if (*p == '"' || *p == '\\')
                        r = buffer_append(&b, "\\", 1, SIZE_MAX);
                if (r >= 0)
                        r = buffer_append(&b, p, 1, SIZE_MAX);
        }
        if (r >= 0)
                r = buffer_append(&b, "\"", 1, SIZE_MAX);
        if (r < 0) {
                buffer_done(&b);
                return NULL;
        }
        return b.data;
}

/* The folder in IMAP's modified UTF-7 (RFC 3501 §5.1.3), which non-ASCII folder names travel in. */
static int folder_to_mutf7(const char *folder, Buffer *out) {
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
        const unsigned char *p = (const unsigned char *) folder;
        while (*p) {
                if (*p >= 0x20 && *p < 0x7f) {
                        int r = buffer_append(out, *p == '&' ? "&-" : (const char *) p, *p == '&' ? 2 : 1, 4096);
                        if (r < 0)
                                return r;
                        p++;
                        continue;
                }
                /* A run of non-ASCII characters: their UTF-16 in base64 with , for /, between & and -. */
                uint32_t bits = 0;
                unsigned nbits = 0;
                int r = buffer_append(out, "&", 1, 4096);
                while (r >= 0 && *p >= 0x80) {
                        uint32_t cp;
                        size_t l = (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : 4;
                        cp = *p & (l == 2 ? 0x1f : l == 3 ? 0x0f : 0x07);
                        for (size_t i = 1; i < l; i++)
                                cp = (cp << 6) | (p[i] & 0x3f);
                        p += l;
                        uint16_t units[2];
                        size_t nu = 0;
                        if (cp >= 0x10000) {
                                units[nu++] = (uint16_t) (0xd800 + ((cp - 0x10000) >> 10));
                                units[nu++] = (uint16_t) (0xdc00 + ((cp - 0x10000) & 0x3ff));
                        } else
                                units[nu++] = (uint16_t) cp;
                        for (size_t u = 0; u < nu; u++) {
                                bits = (bits << 16) | units[u];
                                nbits += 16;
                                while (r >= 0 && nbits >= 6) {
                                        nbits -= 6;
                                        r = buffer_append(out, &alphabet[(bits >> nbits) & 0x3f], 1, 4096);
                                }
                        }
                }
                if (r >= 0 && nbits > 0)
                        r = buffer_append(out, &alphabet[(bits << (6 - nbits)) & 0x3f], 1, 4096);
                if (r >= 0)
                        r = buffer_append(out, "-", 1, 4096);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The URL of the folder: the mailbox's server and the folder's name percent-encoded. */
static int folder_url(const MailboxConfig *m, const char *folder, char **ret) {
        Buffer name = {}, url = {};
        int r = folder_to_mutf7(folder, &name);
        if (r >= 0)
                r = buffer_append(&url, m->url, strlen(m->url) - (m->url[strlen(m->url) - 1] == '/'), 8192);
        if (r >= 0)
                r = buffer_append(&url, "/", 1, 8192);
        for (size_t i = 0; r >= 0 && i < name.size; i++) {
                char c = name.data[i], hex[4];
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c))
                        r = buffer_append(&url, &c, 1, 8192);
                else {
                        snprintf(hex, sizeof(hex), "%%%02X", (unsigned char) c);
                        r = buffer_append(&url, hex, 3, 8192);
                }
        }
        if (r >= 0)
                r = buffer_append(&url, "", 0, 8192);
        buffer_done(&name);
        if (r < 0) {
                buffer_done(&url);
                return -ENOMEM;
        }
        *ret = url.data;
        return 0;
}

static void note_status(ImapCommand *c, const char *p, size_t n) {
        /* "TAG NO text" or "TAG BAD text": the last one says why the command (or the login) failed. */
        const char *space = memchr(p, ' ', n);
        if (!space || p[0] == '*' || p[0] == '+')
                return;
        size_t rest = n - (size_t) (space + 1 - p);
        if (!(rest >= 3 && (strncmp(space + 1, "NO ", 3) == 0 || strncmp(space + 1, "BAD ", 4) == 0)))
                return;
        size_t l = MIN(rest, (size_t) STATUS_MAX - 1), o = 0;
        for (size_t i = 0; i < l; i++)
                if ((unsigned char) space[1 + i] >= 0x20 && space[1 + i] != 0x7f)
                        c->status[o++] = space[1 + i];
        c->status[o] = 0;
        memcpy(c->failed, c->sent, sizeof(c->failed));
}

static int on_debug(CURL *easy, curl_infotype type, char *p, size_t n, void *userdata) {
        ImapCommand *c = userdata;
        if (type == CURLINFO_HEADER_OUT) {
                /* "A005 UID FETCH ...": the command going out, with the tag its answer ends with. */
                const char *space = memchr(p, ' ', n);
                if (space) {
                        size_t l = strcspn(space + 1, " \r\n");
                        l = MIN(l, (size_t) (p + n - (space + 1)));
                        snprintf(c->sent, sizeof(c->sent), "%.*s", (int) l, space + 1);
                }
                if (c->tag[0])
                        return 0;
                size_t cl = strlen(c->command);
                if (space && (size_t) (space - p) < sizeof(c->tag) && (size_t) (p + n - (space + 1)) >= cl &&
                        memcmp(space + 1, c->command, cl) == 0)
                        memcpy(c->tag, p, space - p);
                return 0;
        }
        if (type != CURLINFO_HEADER_IN)
                return 0;
        note_status(c, p, n);
        if (!c->tag[0] || c->overflow)
                return 0;
        if (buffer_append(&c->response, p, n, c->max_response) < 0)
                c->overflow = true; /* the progress callback stops the transfer */
        return 0;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
        ImapCommand *c = userdata;
        return c->overflow ? 1 : 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata) {
        return size * nmemb; /* the first lines again: the debug callback has them whole */
}

static void on_finished(CURL *easy, CURLcode result, void *userdata) {
        ImapCommand *p = NULL;
        (void) sym_curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &p);
        _cleanup_(imap_command_freep) ImapCommand *c = p;
        char text[CURL_ERROR_SIZE + STATUS_MAX + 256];
        const char *what = c->error[0] ? c->error : sym_curl_easy_strerror(result);
        int r = 0;

        if (c->overflow) {
                snprintf(text, sizeof(text),
                        "The IMAP server of the mailbox %s answered with more than %zu bytes: the answer was cut off.",
                        c->mailbox_name, c->max_response);
                r = -E2BIG;
        } else if (result != CURLE_OK && (streq(c->failed, "SELECT") || streq(c->failed, "EXAMINE"))) {
                snprintf(text, sizeof(text), "The folder %s of the mailbox %s cannot be opened%s%s.", c->folder,
                        c->mailbox_name, c->status[0] ? ": " : "", c->status);
                r = -ENOENT;
        } else if (result == CURLE_LOGIN_DENIED) {
                snprintf(text, sizeof(text), "The IMAP server of the mailbox %s refused the login%s%s.",
                        c->mailbox_name, c->status[0] ? ": " : "", c->status);
                r = -EACCES;
        } else if (result == CURLE_USE_SSL_FAILED) {
                snprintf(text, sizeof(text),
                        "The IMAP server of the mailbox %s does not offer STARTTLS, which the mailbox requires "
                        "(StartTLS= in comm.conf): nothing was sent to it.",
                        c->mailbox_name);
                r = -EPROTO;
        } else if (result != CURLE_OK && streq(c->failed, "UID") && startswith_ptr(c->status, "BAD ")) {
                snprintf(text, sizeof(text), "The IMAP server of the mailbox %s does not understand the command: %s",
                        c->mailbox_name, c->status);
                r = -EOPNOTSUPP;
        } else if (result != CURLE_OK && c->status[0]) {
                snprintf(text, sizeof(text), "The IMAP server of the mailbox %s answered: %s", c->mailbox_name,
                        c->status);
                r = -EIO;
        } else if (result != CURLE_OK) {
                snprintf(text, sizeof(text), "The IMAP server of the mailbox %s could not be read: %s", c->mailbox_name,
                        what);
                r = -EIO;
        } else if (!c->tag[0] || c->response.size == 0) {
                snprintf(text, sizeof(text), "The IMAP server of the mailbox %s did not answer the command.",
                        c->mailbox_name);
                r = -EBADMSG;
        } else
                text[0] = 0;
        if (r < 0)
                log_info("IMAP %s on %s: %s", c->command, c->url, text);
        c->done(c, r, r < 0 ? text : NULL, &c->response, c->userdata);
}

static const CurlEventOps imap_curl_ops = {
        .finished = on_finished,
};

int imap_event_new(sd_event *event, CurlEvent **ret) {
        return curl_event_new(event, &imap_curl_ops, NULL, ret);
}

/* curl decodes %XX in CURLOPT_CUSTOMREQUEST: a % of the command's own goes as %25. */
static char *custom_request(const char *command) {
        Buffer b = {};
        int r = 0;
        for (const char *p = command; r >= 0 && *p; p++)
                r = *p == '%' ? buffer_append(&b, "%25", 3, SIZE_MAX) : buffer_append(&b, p, 1, SIZE_MAX);
        if (r >= 0)
                r = buffer_append(&b, "", 0, SIZE_MAX);
        if (r < 0) {
                buffer_done(&b);
                return NULL;
        }
        return b.data;
}

int imap_command_start(CurlEvent *curl, const MailboxConfig *m, const char *folder, const char *command,
        size_t max_response, ImapDone done, void *userdata, ImapCommand **ret) {
        assert(imap_folder_is_valid(folder));
        assert(header_value_is_safe(command));

        _cleanup_(imap_command_freep) ImapCommand *c = new0(ImapCommand, 1);
        if (!c)
                return -ENOMEM;
        c->curl = curl;
        c->max_response = max_response;
        c->done = done;
        c->userdata = userdata;
        c->command = strdup(command);
        c->mailbox_name = strdup(m->name);
        c->folder = strdup(folder);
        _cleanup_free_ char *custom = custom_request(command);
        if (!c->command || !c->mailbox_name || !c->folder || !custom || folder_url(m, folder, &c->url) < 0)
                return -ENOMEM;

        CURL *e = c->easy = sym_curl_easy_init();
        if (!e)
                return -ENOMEM;
        CURLcode k = sym_curl_easy_setopt(e, CURLOPT_URL, c->url);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "imap,imaps");
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_USE_SSL, (long) (m->starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, custom);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long) (m->timeout_usec / USEC_PER_MSEC));
        /* The largest read buffer curl takes: a line longer than it would be clipped by curl's IMAP reader. */
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 512L * 1024L);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->error);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_VERBOSE, 1L); /* for the debug callback, which reads the answer */
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_DEBUGDATA, c);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_XFERINFODATA, c);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_PRIVATE, c);
        if (m->user) {
                k = k ?: sym_curl_easy_setopt(e, CURLOPT_USERNAME, m->user);
                k = k ?: sym_curl_easy_setopt(e, CURLOPT_PASSWORD, strempty(m->password));
        }
        if (m->ca_file)
                k = k ?: sym_curl_easy_setopt(e, CURLOPT_CAINFO, m->ca_file);
        if (k != CURLE_OK)
                return -EINVAL;
        int r = curl_event_add(curl, e);
        if (r < 0)
                return r;
        if (ret)
                *ret = c;
        TAKE_PTR(c);
        return 0;
}
