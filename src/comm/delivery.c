/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Delivers the outbox's queued messages over SMTP with libcurl on the event loop, one at a time. What the
 * server says is followed through curl's debug callback: once it has answered DATA with 354 the message is
 * marked "sending" on disk before its data goes out, so that a connection (or a server) lost before the
 * final answer leaves it "unknown", never sent twice by itself. */
#include <stdio.h>
#include <time.h>

#include "address.h"
#include "curl-event.h"
#include "delivery.h"
#include "log.h"
#include "message.h"

#define CONNECT_TIMEOUT_MS 30000L
#define REPLY_MAX 512

struct Delivery {
        sd_event *event;
        const CommConfig *config;
        Outbox *outbox;
        CurlEvent *curl;
        sd_event_source *timer;

        /* The transfer in progress. */
        OutboxEntry *entry;
        CURL *easy;
        MessageParts parts;
        bool data_started;  /* the server answered DATA with 354 */
        bool data_answered; /* ... and then answered the data */
        char last_reply[REPLY_MAX];
        long error_code; /* the first 4xx or 5xx: what failed (curl says QUIT after it, and 221 comes back) */
        char error_reply[REPLY_MAX];
        char data_reply[REPLY_MAX]; /* the server's answer to the data */
        char error[CURL_ERROR_SIZE];
};

static uint64_t now_realtime(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

uint64_t delivery_backoff_usec(const CommConfig *config, unsigned attempts) {
        uint64_t usec = config->retry_min_usec;
        for (unsigned i = 1; i < attempts && usec < config->retry_max_usec; i++)
                usec *= 2;
        return MIN(usec, config->retry_max_usec);
}

static void transfer_done(Delivery *d) {
        if (d->easy) {
                curl_event_remove(d->curl, d->easy);
                sym_curl_easy_cleanup(d->easy);
                d->easy = NULL;
        }
        message_parts_done(&d->parts);
        d->entry = NULL;
}

/* One line the server sent: its code, and the text for the report (control characters dropped). */
static void server_line(Delivery *d, const char *p, size_t n) {
        while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n'))
                n--;
        if (n < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
                return;
        /* Multi-line replies ("250-...") end with the line "250 ...": the code is on every line. */
        long code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
        size_t l = MIN(n, (size_t) REPLY_MAX - 1);
        for (size_t i = 0; i < l; i++)
                d->last_reply[i] = (unsigned char) p[i] < 0x20 ? ' ' : p[i];
        d->last_reply[l] = 0;
        if (code >= 400 && d->error_code == 0) {
                d->error_code = code;
                memcpy(d->error_reply, d->last_reply, l + 1);
        }

        if (d->data_started && code != 354 && !d->data_answered) {
                /* The answer to the data is what the report keeps: QUIT's 221 comes after it. */
                d->data_answered = true;
                memcpy(d->data_reply, d->last_reply, l + 1);
        } else if (code == 354 && !d->data_started) {
                d->data_started = true;
                /* Before the data goes out: a server (or aios-commd) lost from here on leaves the outcome unknown. */
                (void) outbox_set_state(d->outbox, d->entry, OUTBOX_SENDING, NULL, d->last_reply);
        }
}

static int on_debug(CURL *easy, curl_infotype type, char *p, size_t n, void *userdata) {
        Delivery *d = userdata;
        if (type != CURLINFO_HEADER_IN || !d->entry)
                return 0;
        while (n > 0) {
                const char *nl = memchr(p, '\n', n);
                size_t l = nl ? (size_t) (nl - p) + 1 : n;
                server_line(d, p, l);
                p += l;
                n -= l;
        }
        return 0;
}

static void schedule(Delivery *d);

static void retry_later(Delivery *d, OutboxEntry *e, const char *error, const char *reply) {
        e->next_attempt_usec = now_realtime() + delivery_backoff_usec(d->config, e->attempts);
        (void) outbox_set_state(d->outbox, e, OUTBOX_QUEUED, error, reply);
        log_info("Message %s: %s; attempt %u failed, next in %llu s.", e->id, error, e->attempts,
                (unsigned long long) (delivery_backoff_usec(d->config, e->attempts) / USEC_PER_SEC));
}

static void on_finished(CURL *easy, CURLcode result, void *userdata) {
        Delivery *d = userdata;
        OutboxEntry *e = d->entry;
        assert(e && easy == d->easy);
        char reply[REPLY_MAX], error[CURL_ERROR_SIZE + 256];
        snprintf(reply, sizeof(reply), "%s",
                d->error_code > 0          ? d->error_reply
                        : d->data_answered ? d->data_reply
                                           : d->last_reply);
        long code = d->error_code;
        bool unknown = d->data_started && !d->data_answered;
        snprintf(error, sizeof(error), "%s", d->error[0] ? d->error : sym_curl_easy_strerror(result));
        transfer_done(d);

        if (result == CURLE_OK) {
                (void) outbox_set_state(d->outbox, e, OUTBOX_SENT, NULL, reply[0] ? reply : NULL);
                log_info("Message %s delivered to the SMTP server: %s", e->id, reply);
        } else if (unknown) {
                (void) outbox_set_state(d->outbox, e, OUTBOX_UNKNOWN,
                        "The connection ended after the message's data was sent, before the SMTP server answered "
                        "it: it may or may not have been delivered. It is not sent again unless comm_outbox_retry "
                        "asks for it.",
                        reply);
                log_warning("Message %s: outcome unknown (%s).", e->id, error);
        } else if (code >= 500) {
                char text[REPLY_MAX + 128];
                snprintf(text, sizeof(text), "The SMTP server refused the message for good: %s", reply);
                (void) outbox_set_state(d->outbox, e, OUTBOX_FAILED, text, reply);
                log_warning("Message %s: %s", e->id, text);
        } else if (code >= 400) {
                char text[REPLY_MAX + 128];
                snprintf(text, sizeof(text), "The SMTP server deferred the message: %s", reply);
                retry_later(d, e, text, reply);
        } else
                retry_later(d, e, error, reply[0] ? reply : NULL);
        schedule(d);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        schedule(userdata);
        return 0;
}

static int check_recipient(const char *address, void *userdata) {
        Delivery *d = userdata;
        return allowlist_match(d->config->recipients, address) ? 0 : 1;
}

static int transfer_setup(Delivery *d, json_object *message) {
        const CommConfig *c = d->config;
        CURL *e = d->easy = sym_curl_easy_init();
        if (!e)
                return -ENOMEM;
        int r = message_setup(e, message, &d->parts);
        if (r < 0)
                return r;
        CURLcode k = sym_curl_easy_setopt(e, CURLOPT_URL, c->smtp_url);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_USE_SSL, (long) (c->starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        /* A connection of its own for each message: one the server dropped after the data (which curl may
         * still think intact) is never taken up for the next. */
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long) (c->smtp_timeout_usec / USEC_PER_MSEC));
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_ERRORBUFFER, d->error);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_VERBOSE, 1L); /* for the debug callback, which follows the replies */
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
        k = k ?: sym_curl_easy_setopt(e, CURLOPT_DEBUGDATA, d);
        if (c->smtp_user) {
                k = k ?: sym_curl_easy_setopt(e, CURLOPT_USERNAME, c->smtp_user);
                k = k ?: sym_curl_easy_setopt(e, CURLOPT_PASSWORD, strempty(c->password));
        }
        if (c->ca_file)
                k = k ?: sym_curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
        return k == CURLE_OK ? 0 : -EINVAL;
}

static void start(Delivery *d, OutboxEntry *e) {
        _cleanup_json_ json_object *message = NULL;
        if (outbox_load_message(d->outbox, e, &message) < 0) {
                (void) outbox_set_state(d->outbox, e, OUTBOX_FAILED, "The message's file could not be read.", NULL);
                return;
        }
        /* The administrator may have narrowed the list since the message was accepted. */
        if (message_foreach_recipient(message, check_recipient, d) != 0) {
                (void) outbox_set_state(d->outbox, e, OUTBOX_FAILED,
                        "A recipient is no longer on the allow-list ([Recipients] in comm.conf).", NULL);
                return;
        }
        if (!d->config->smtp_url) {
                e->attempts++;
                retry_later(d, e, "No SMTP server is configured ([SMTP] URL= in comm.conf).", NULL);
                return;
        }

        d->entry = e;
        d->data_started = d->data_answered = false;
        d->error_code = 0;
        d->last_reply[0] = d->error_reply[0] = d->data_reply[0] = d->error[0] = 0;
        int r = transfer_setup(d, message);
        if (r >= 0) {
                e->attempts++;
                r = outbox_save(d->outbox, e);
        }
        if (r >= 0)
                r = curl_event_add(d->curl, d->easy);
        if (r < 0) {
                transfer_done(d);
                retry_later(d, e, "The transfer could not be set up.", NULL);
                log_error_errno(r, "Failed to start delivering message %s: %m", e->id);
        }
}

static void schedule(Delivery *d) {
        if (d->entry)
                return;
        for (;;) {
                uint64_t now = now_realtime();
                OutboxEntry *next = NULL;
                LIST_FOREACH(e, outbox_entries(d->outbox)) {
                        if (e->state != OUTBOX_QUEUED)
                                continue;
                        if (now - MIN(now, e->queued_usec) > d->config->give_up_usec) {
                                char text[256];
                                snprintf(text, sizeof(text),
                                        "Not delivered within GiveUpSec= of its acceptance or last retry (after %u attempts).",
                                        e->attempts);
                                (void) outbox_set_state(d->outbox, e, OUTBOX_FAILED, text, e->smtp_reply);
                                continue;
                        }
                        if (!next || e->next_attempt_usec < next->next_attempt_usec)
                                next = e;
                }
                if (!next) {
                        (void) sd_event_source_set_enabled(d->timer, SD_EVENT_OFF);
                        return;
                }
                if (next->next_attempt_usec > now) {
                        (void) sd_event_source_set_time(d->timer, next->next_attempt_usec);
                        (void) sd_event_source_set_enabled(d->timer, SD_EVENT_ONESHOT);
                        return;
                }
                start(d, next);
                if (d->entry)
                        return;
        }
}

void delivery_kick(Delivery *d) {
        schedule(d);
}

OutboxEntry *delivery_current(Delivery *d) {
        return d->entry;
}

static const CurlEventOps curl_ops = {
        .finished = on_finished,
};

int delivery_new(sd_event *event, const CommConfig *config, Outbox *outbox, Delivery **ret) {
        _cleanup_(delivery_freep) Delivery *d = new0(Delivery, 1);
        if (!d)
                return -ENOMEM;
        d->event = sd_event_ref(event);
        d->config = config;
        d->outbox = outbox;
        int r = curl_event_new(event, &curl_ops, d, &d->curl);
        if (r < 0)
                return r;
        r = sd_event_add_time(event, &d->timer, CLOCK_REALTIME, UINT64_MAX, 100 * USEC_PER_MSEC, on_timer, d);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(d->timer, "outbox-retry");
        *ret = TAKE_PTR(d);
        return 0;
}

Delivery *delivery_free(Delivery *d) {
        if (!d)
                return NULL;
        transfer_done(d);
        sd_event_source_disable_unref(d->timer);
        curl_event_free(d->curl);
        sd_event_unref(d->event);
        free(d);
        return NULL;
}
