/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Audit records in the journal: the fields of one tool call, and the digest of its canonical arguments. */
#include <inttypes.h>
#include <nettle/sha2.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "audit.h"
#include "buffer.h"
#include "json-util.h"

static const char *const audit_result_table[_AUDIT_RESULT_MAX] = {
        [AUDIT_RESULT_OK] = "ok",
        [AUDIT_RESULT_ERROR] = "error",
        [AUDIT_RESULT_REFUSED] = "refused",
        [AUDIT_RESULT_TIMEOUT] = "timeout",
};

const char *audit_result_to_string(AuditResult r) {
        return r >= 0 && r < _AUDIT_RESULT_MAX ? audit_result_table[r] : NULL;
}

AuditResult audit_result_from_string(const char *s) {
        for (AuditResult r = 0; s && r < _AUDIT_RESULT_MAX; r++)
                if (streq(s, audit_result_table[r]))
                        return r;
        return _AUDIT_RESULT_INVALID;
}

/* Arguments are bounded by the request body (MaxBodySize=); this only keeps a runaway from growing without end. */
#define CANONICAL_MAX (UINT64_C(64) * 1024 * 1024)

static int put(Buffer *b, const char *s, size_t n) {
        return buffer_append(b, s, n, CANONICAL_MAX);
}

static int put_str(Buffer *b, const char *s) {
        return put(b, s, strlen(s));
}

/* A JSON string: quotes, backslashes and control characters escaped, everything else as it is. */
static int put_string(Buffer *b, const char *s, size_t len) {
        int r = put(b, "\"", 1);
        size_t start = 0;
        for (size_t i = 0; r >= 0 && i < len; i++) {
                unsigned char c = s[i];
                if (c >= 0x20 && c != '"' && c != '\\')
                        continue;
                /* As RFC 8785 has it: the short forms where JSON has one, \u00XX for the other controls. */
                static const char
                        short_form[0x20] = { ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't' };
                char esc[8];
                int n = c == '"' || c == '\\' ? snprintf(esc, sizeof(esc), "\\%c", c)
                        : short_form[c]       ? snprintf(esc, sizeof(esc), "\\%c", short_form[c])
                                              : snprintf(esc, sizeof(esc), "\\u%04x", c);
                if ((r = put(b, s + start, i - start)) >= 0)
                        r = put(b, esc, n);
                start = i + 1;
        }
        if (r >= 0)
                r = put(b, s + start, len - start);
        return r < 0 ? r : put(b, "\"", 1);
}

static int compare_keys(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static int put_value(Buffer *b, json_object *v) {
        char num[64];
        int r;

        switch (json_object_get_type(v)) {
        case json_type_null:
                return put_str(b, "null");
        case json_type_boolean:
                return put_str(b, json_object_get_boolean(v) ? "true" : "false");
        case json_type_int:
                if (json_object_get_int64(v) == INT64_MAX)
                        snprintf(num, sizeof(num), "%" PRIu64, json_object_get_uint64(v));
                else
                        snprintf(num, sizeof(num), "%" PRIi64, json_object_get_int64(v));
                return put_str(b, num);
        case json_type_double:
                snprintf(num, sizeof(num), "%.17g", json_object_get_double(v));
                return put_str(b, num);
        case json_type_string:
                return put_string(b, json_object_get_string(v), json_object_get_string_len(v));
        case json_type_array:
                if ((r = put(b, "[", 1)) < 0)
                        return r;
                for (size_t i = 0; i < json_object_array_length(v); i++)
                        if ((i > 0 && (r = put(b, ",", 1)) < 0) ||
                                (r = put_value(b, json_object_array_get_idx(v, i))) < 0)
                                return r;
                return put(b, "]", 1);
        case json_type_object: {
                size_t n = json_object_object_length(v), i = 0;
                const char *stack[16];
                _cleanup_free_ const char **heap = n > ELEMENTSOF(stack) ? new0(const char *, n) : NULL;
                const char **keys = heap ?: stack;
                if (n > ELEMENTSOF(stack) && !heap)
                        return -ENOMEM;
                json_object_object_foreach (v, key, value) {
                        (void) value;
                        keys[i++] = key;
                }
                qsort(keys, n, sizeof(char *), compare_keys);
                if ((r = put(b, "{", 1)) < 0)
                        return r;
                for (i = 0; i < n; i++)
                        if ((i > 0 && (r = put(b, ",", 1)) < 0) || (r = put_string(b, keys[i], strlen(keys[i]))) < 0 ||
                                (r = put(b, ":", 1)) < 0 || (r = put_value(b, json_object_object_get(v, keys[i]))) < 0)
                                return r;
                return put(b, "}", 1);
        }
        }
        return -EINVAL;
}

int audit_arguments_digest(json_object *v, char ret[static 65]) {
        _cleanup_(buffer_done) Buffer b = {};
        int r = put_value(&b, v);
        if (r < 0)
                return r == -E2BIG ? r : -ENOMEM;

        /* nettle's SHA-256: no library to start for it (OpenSSL sets up its providers for the first digest,
         * 2 MiB of resident memory), and no algorithm to look up on every call. */
        uint8_t md[SHA256_DIGEST_SIZE];
        unsigned n = sizeof(md);
        struct sha256_ctx ctx;
        sha256_init(&ctx);
        sha256_update(&ctx, b.size, (const uint8_t *) b.data);
        sha256_digest(&ctx, n, md);
        static const char hex[] = "0123456789abcdef";
        for (unsigned i = 0; i < n; i++) {
                ret[2 * i] = hex[md[i] >> 4];
                ret[2 * i + 1] = hex[md[i] & 15];
        }
        ret[2 * n] = 0;
        return 0;
}

void audit_fields_free(struct iovec *fields, size_t n) {
        if (n > 0)
                free(fields[0].iov_base); /* the record's one buffer */
        for (size_t i = 0; i < n; i++)
                fields[i] = (struct iovec){};
}

/* A record's fields are written one after another into one buffer: one allocation a record instead of one a
 * field, on every tool call. Fields are kept as offsets until the buffer stops moving. */
typedef struct FieldBuffer {
        char *data;
        size_t size, used;
        size_t offset[AUDIT_FIELDS_MAX], length[AUDIT_FIELDS_MAX];
        size_t n;
} FieldBuffer;

#define FIELD_BUFFER_INITIAL 1024 /* a record without a long reason fits */

static int field_add(FieldBuffer *b, const char *format, ...) _printf_(2, 3);
static int field_add(FieldBuffer *b, const char *format, ...) {
        assert(b->n < AUDIT_FIELDS_MAX);
        for (;;) {
                va_list ap;
                va_start(ap, format);
                int k = vsnprintf(b->data + b->used, b->size - b->used, format, ap);
                va_end(ap);
                if (k < 0)
                        return -ENOMEM;
                if ((size_t) k < b->size - b->used) {
                        b->offset[b->n] = b->used;
                        b->length[b->n++] = (size_t) k;
                        b->used += (size_t) k + 1;
                        return 0;
                }
                size_t size = MAX(b->size * 2, b->used + (size_t) k + 1);
                char *data = realloc(b->data, size);
                if (!data)
                        return -ENOMEM;
                b->data = data;
                b->size = size;
        }
}

int audit_fields(const AuditRecord *r, struct iovec ret[static AUDIT_FIELDS_MAX], size_t *ret_n) {
        assert(r);
        assert(ret_n);

        const char *result = audit_result_to_string(r->result);
        assert(result);
        const char *principal = r->principal ?: "anonymous", *tool = strempty(r->tool), *backend = strempty(r->backend);
        char digest[65];
        int k = audit_arguments_digest(r->arguments, digest);
        if (k < 0)
                return k;

        FieldBuffer b = { .data = malloc(FIELD_BUFFER_INITIAL), .size = FIELD_BUFFER_INITIAL };
        if (!b.data)
                return -ENOMEM;
        if (field_add(&b, "MESSAGE=Tool call %s on %s for %s: %s%s%s (%" PRIu64 " ms).", tool, backend, principal,
                    result, r->reason ? ", " : "", strempty(r->reason),
                    (uint64_t) (r->duration_usec / USEC_PER_MSEC)) < 0 ||
                field_add(&b, "MESSAGE_ID=%s", AUDIT_MESSAGE_ID) < 0 ||
                field_add(&b, "PRIORITY=%d", r->result == AUDIT_RESULT_OK ? LOG_INFO : LOG_NOTICE) < 0 ||
                field_add(&b, "AIOS_PRINCIPAL=%s", principal) < 0 || field_add(&b, "AIOS_TOOL=%s", tool) < 0 ||
                field_add(&b, "AIOS_BACKEND=%s", backend) < 0 || field_add(&b, "AIOS_RESULT=%s", result) < 0 ||
                field_add(&b, "AIOS_DURATION_USEC=%" PRIu64, r->duration_usec) < 0 ||
                field_add(&b, "AIOS_ARGUMENTS_SHA256=%s", digest) < 0 ||
                (r->reason && field_add(&b, "AIOS_REASON=%s", r->reason) < 0)) {
                free(b.data);
                return -ENOMEM;
        }
        for (size_t i = 0; i < b.n; i++)
                ret[i] = (struct iovec){ .iov_base = b.data + b.offset[i], .iov_len = b.length[i] };
        *ret_n = b.n;
        return 0;
}

int audit_send(const AuditRecord *r) {
        struct iovec fields[AUDIT_FIELDS_MAX];
        size_t n;
        int k = audit_fields(r, fields, &n);
        if (k < 0)
                return k;
        return audit_send_fields(fields, n);
}

int audit_send_fields(struct iovec *fields, size_t n) {
        int k = sd_journal_sendv(fields, (int) n);
        audit_fields_free(fields, n);
        return k;
}
