/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit record of a tool call: structured journal fields, with a digest of the arguments only. */
#pragma once

#include <json-c/json.h>
#include <stdint.h>
#include <sys/uio.h>

#include "macro.h"

/* MESSAGE_ID= of every audit record: journalctl MESSAGE_ID=AUDIT_MESSAGE_ID shows them all. */
#define AUDIT_MESSAGE_ID "e75ce78dabd24f088b8a72cca4803dc4"

typedef enum AuditResult {
        AUDIT_RESULT_OK,      /* a result (also a tool's own isError result) */
        AUDIT_RESULT_ERROR,   /* a JSON-RPC error, or the backend could not be reached */
        AUDIT_RESULT_REFUSED, /* refused by the gateway (rate limit, scopes) or the server (polkit) */
        AUDIT_RESULT_TIMEOUT, /* no answer within the backend's timeout */
        _AUDIT_RESULT_MAX,
        _AUDIT_RESULT_INVALID = -EINVAL,
} AuditResult;

const char *audit_result_to_string(AuditResult r);
AuditResult audit_result_from_string(const char *s);

typedef struct AuditRecord {
        const char *principal; /* NULL: anonymous */
        const char *tool;
        const char *backend;
        AuditResult result;
        uint64_t duration_usec;
        json_object *arguments; /* digested, never written */
        const char *reason;     /* optional: why it was refused or failed, in a few words */
} AuditRecord;

/* SHA-256 of the canonical JSON text of v, as 64 lowercase hex digits in ret: object members sorted by key
 * (bytewise), no whitespace, strings escaped as RFC 8785 does (\", \\, \b \f \n \r \t, \u00XX for the
 * other controls, everything else as it is), integers as integers, other numbers as %.17g. NULL digests as
 * "null". Returns 0, -E2BIG for more than 64 MiB of text, or -ENOMEM. */
int audit_arguments_digest(json_object *v, char ret[static 65]);

#define AUDIT_FIELDS_MAX 10

/* The record's journal fields ("KEY=value", all in one allocation) in ret, *ret_n of them: MESSAGE=, MESSAGE_ID=,
 * PRIORITY=, AIOS_PRINCIPAL=, AIOS_TOOL=, AIOS_BACKEND=, AIOS_RESULT=, AIOS_DURATION_USEC=,
 * AIOS_ARGUMENTS_SHA256=, and AIOS_REASON= when there is a reason. Free with audit_fields_free(). Returns 0
 * or -ENOMEM. */
int audit_fields(const AuditRecord *r, struct iovec ret[static AUDIT_FIELDS_MAX], size_t *ret_n);
void audit_fields_free(struct iovec *fields, size_t n);

/* Writes the record to the journal. Returns 0 or the negative errno of sd_journal_sendv(). */
int audit_send(const AuditRecord *r);
/* Writes fields made by audit_fields() to the journal, and frees them. */
int audit_send_fields(struct iovec *fields, size_t n);
