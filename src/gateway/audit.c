/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Audit records in the journal: the fields of one tool call, and the digest of its canonical arguments. */
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "audit.h"
#include "json-util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free);

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

static int digest_text(EVP_MD_CTX *ctx, const char *s) {
        return EVP_DigestUpdate(ctx, s, strlen(s)) == 1 ? 0 : -ENOMEM;
}

/* A string as json-c escapes it, quotes included. */
static int digest_string(EVP_MD_CTX *ctx, const char *s, size_t len) {
        _cleanup_json_ json_object *o = json_object_new_string_len(s, (int) len);
        return o ? digest_text(ctx, json_to_string(o)) : -ENOMEM;
}

static int compare_keys(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static int digest_value(EVP_MD_CTX *ctx, json_object *v) {
        char buf[64];
        int r;

        switch (json_object_get_type(v)) {
        case json_type_null:
                return digest_text(ctx, "null");
        case json_type_boolean:
                return digest_text(ctx, json_object_get_boolean(v) ? "true" : "false");
        case json_type_int:
                if (json_object_get_int64(v) == INT64_MAX)
                        snprintf(buf, sizeof(buf), "%" PRIu64, json_object_get_uint64(v));
                else
                        snprintf(buf, sizeof(buf), "%" PRIi64, json_object_get_int64(v));
                return digest_text(ctx, buf);
        case json_type_double:
                snprintf(buf, sizeof(buf), "%.17g", json_object_get_double(v));
                return digest_text(ctx, buf);
        case json_type_string:
                return digest_string(ctx, json_object_get_string(v), json_object_get_string_len(v));
        case json_type_array:
                if ((r = digest_text(ctx, "[")) < 0)
                        return r;
                for (size_t i = 0; i < json_object_array_length(v); i++)
                        if ((i > 0 && (r = digest_text(ctx, ",")) < 0) ||
                            (r = digest_value(ctx, json_object_array_get_idx(v, i))) < 0)
                                return r;
                return digest_text(ctx, "]");
        case json_type_object: {
                size_t n = json_object_object_length(v), i = 0;
                _cleanup_free_ const char **keys = new0(const char *, MAX(n, 1u));
                if (!keys)
                        return -ENOMEM;
                json_object_object_foreach(v, key, value) {
                        (void) value;
                        keys[i++] = key;
                }
                qsort(keys, n, sizeof(char *), compare_keys);
                if ((r = digest_text(ctx, "{")) < 0)
                        return r;
                for (i = 0; i < n; i++)
                        if ((i > 0 && (r = digest_text(ctx, ",")) < 0) ||
                            (r = digest_string(ctx, keys[i], strlen(keys[i]))) < 0 || (r = digest_text(ctx, ":")) < 0 ||
                            (r = digest_value(ctx, json_object_object_get(v, keys[i]))) < 0)
                                return r;
                return digest_text(ctx, "}");
        }
        }
        return -EINVAL;
}

int audit_arguments_digest(json_object *v, char ret[static 65]) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
                return -ENOMEM;
        int r = digest_value(ctx, v);
        if (r < 0)
                return r;

        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        if (EVP_DigestFinal_ex(ctx, md, &n) != 1 || n != 32)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++)
                sprintf(ret + 2 * i, "%02x", md[i]);
        return 0;
}

void audit_fields_free(struct iovec *fields, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(fields[i].iov_base);
                fields[i] = (struct iovec) {};
        }
}

static int field_add(struct iovec *fields, size_t *n, const char *format, ...) _printf_(3, 4);
static int field_add(struct iovec *fields, size_t *n, const char *format, ...) {
        assert(*n < AUDIT_FIELDS_MAX);
        char *s;
        va_list ap;
        va_start(ap, format);
        int k = vasprintf(&s, format, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        fields[(*n)++] = (struct iovec) { .iov_base = s, .iov_len = k };
        return 0;
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

        struct iovec fields[AUDIT_FIELDS_MAX] = {};
        size_t n = 0;
        if (field_add(fields, &n, "MESSAGE=Tool call %s on %s for %s: %s%s%s (%" PRIu64 " ms).", tool, backend,
                    principal, result, r->reason ? ", " : "", strempty(r->reason), (uint64_t) (r->duration_usec / USEC_PER_MSEC)) < 0 ||
            field_add(fields, &n, "MESSAGE_ID=%s", AUDIT_MESSAGE_ID) < 0 ||
            field_add(fields, &n, "PRIORITY=%d", r->result == AUDIT_RESULT_OK ? LOG_INFO : LOG_NOTICE) < 0 ||
            field_add(fields, &n, "AIOS_PRINCIPAL=%s", principal) < 0 ||
            field_add(fields, &n, "AIOS_TOOL=%s", tool) < 0 ||
            field_add(fields, &n, "AIOS_BACKEND=%s", backend) < 0 ||
            field_add(fields, &n, "AIOS_RESULT=%s", result) < 0 ||
            field_add(fields, &n, "AIOS_DURATION_USEC=%" PRIu64, r->duration_usec) < 0 ||
            field_add(fields, &n, "AIOS_ARGUMENTS_SHA256=%s", digest) < 0 ||
            (r->reason && field_add(fields, &n, "AIOS_REASON=%s", r->reason) < 0)) {
                audit_fields_free(fields, n);
                return -ENOMEM;
        }
        memcpy(ret, fields, sizeof(fields));
        *ret_n = n;
        return 0;
}

int audit_send(const AuditRecord *r) {
        struct iovec fields[AUDIT_FIELDS_MAX];
        size_t n;
        int k = audit_fields(r, fields, &n);
        if (k < 0)
                return k;
        k = sd_journal_sendv(fields, (int) n);
        audit_fields_free(fields, n);
        return k;
}
