/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IMAP with libcurl on the event loop: one command on a mailbox's folder, and the server's answer parsed. */
#pragma once

#include <stdint.h>

#include "buffer.h"
#include "comm-config.h"
#include "curl-event.h"

#define IMAP_FOLDER_MAX 255U

typedef struct ImapCommand ImapCommand;

/* r: 0, or a negative errno with error a sentence for the caller (-EOPNOTSUPP: the server answered the command
 * itself with BAD); response: everything the server answered to the command, its tagged status line included.
 * The command is freed after it returns. */
typedef void (*ImapDone)(ImapCommand *c, int r, const char *error, const Buffer *response, void *userdata);

/* The CurlEvent that IMAP commands run on. */
int imap_event_new(sd_event *event, CurlEvent **ret);

/* Logs in to the mailbox (TLS as configured), SELECTs folder and sends command (a UID SEARCH or UID FETCH),
 * keeping at most max_response bytes of the answer: a server that sends more is cut off. */
int imap_command_start(CurlEvent *curl, const MailboxConfig *m, const char *folder, const char *command,
        size_t max_response, ImapDone done, void *userdata, ImapCommand **ret);
/* Stops a command before it is done; done is not called. */
ImapCommand *imap_command_free(ImapCommand *c);

/* Whether folder may be named: 1 to IMAP_FOLDER_MAX bytes of UTF-8 without control characters or the
 * wildcards * and %. */
bool imap_folder_is_valid(const char *folder);
/* s as an IMAP quoted string ("..." with " and \ escaped), for ASCII without control characters; NULL when
 * out of memory. */
char *imap_quote(const char *s);

/* --- the answer ------------------------------------------------------------------------------------------ */

typedef struct ImapFetch {
        uint32_t uid;
        uint64_t size; /* RFC822.SIZE */
        char **flags;
        char *internal_date;
        const char *body; /* the BODY[...] item's contents, pointing into the response */
        size_t body_size;
        bool has_body;
        char *body_copy; /* where body points when it came as a quoted string */
} ImapFetch;

void imap_fetch_free_many(ImapFetch *f, size_t n);

/* The UIDs of "* SEARCH" responses, or of an "* ESEARCH" one's ALL, in the order given. -EBADMSG when the
 * answer is malformed. */
int imap_parse_search(const char *data, size_t size, uint32_t **ret, size_t *ret_n);
/* The "* N FETCH (...)" responses, with the items asked for (UID, RFC822.SIZE, FLAGS, INTERNALDATE, one
 * BODY[...]). -EBADMSG when the answer is malformed. */
int imap_parse_fetch(const char *data, size_t size, ImapFetch **ret, size_t *ret_n);
