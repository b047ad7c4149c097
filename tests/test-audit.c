/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit record of a tool call: its journal fields, the digest of its arguments, and the record as the
 * journal's socket receives it. */
#include <check.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "audit.h"
#include "json-util.h"
#include "test-util.h"

START_TEST(test_digest_is_canonical) {
        _cleanup_json_ json_object *a = json_tokener_parse("{\"b\":1,\"a\":[true,null,\"x/y\"]}"),
                                   *b = json_tokener_parse("{ \"a\" : [true, null, \"x\\/y\"], \"b\" : 1 }"),
                                   *c = json_tokener_parse("{\"a\":[true,null,\"x/y\"],\"b\":2}");
        char da[65], db[65], dc[65], dn[65];
        ck_assert_int_eq(audit_arguments_digest(a, da), 0);
        ck_assert_int_eq(audit_arguments_digest(b, db), 0);
        ck_assert_int_eq(audit_arguments_digest(c, dc), 0);
        ck_assert_int_eq(audit_arguments_digest(NULL, dn), 0);
        /* sha256 of {"a":[true,null,"x/y"],"b":1}: the members sorted, compact. */
        ck_assert_str_eq(da, "278ce3971035487a35626502e8cc490b5eec89ba2ab39fe3a810fcd4dc70f70f");
        ck_assert_str_eq(da, db);
        ck_assert_str_ne(da, dc);
        /* Controls escaped as RFC 8785 does: sha256 of {"k":"a\nb\u0001\"/"} */
        _cleanup_json_ json_object *e = json_object_new_object();
        json_object_object_add(e, "k", json_object_new_string("a\nb\001\"/"));
        char de[65];
        ck_assert_int_eq(audit_arguments_digest(e, de), 0);
        ck_assert_str_eq(de, "35ab56117508f232d85e2de333bf92b04abfe53abc7689a860793a719c7e1011");
        /* sha256 of null */
        ck_assert_str_eq(dn, "74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b");
}
END_TEST

static const char *field(struct iovec *fields, size_t n, const char *key) {
        size_t k = strlen(key);
        for (size_t i = 0; i < n; i++)
                if (strncmp(fields[i].iov_base, key, k) == 0 && ((char *) fields[i].iov_base)[k] == '=')
                        return (char *) fields[i].iov_base + k + 1;
        return NULL;
}

START_TEST(test_fields_name_the_call_and_never_the_arguments) {
        _cleanup_json_ json_object *args = json_tokener_parse("{\"unit\":\"nginx.service\",\"password\":\"hunter2\"}");
        AuditRecord r = {
                .principal = "key:deploy",
                .tool = "system_unit_control",
                .backend = "sysops",
                .result = AUDIT_RESULT_REFUSED,
                .duration_usec = 1234567,
                .arguments = args,
                .reason = "rate limit destructive",
        };
        struct iovec fields[AUDIT_FIELDS_MAX];
        size_t n = 0;
        ck_assert_int_eq(audit_fields(&r, fields, &n), 0);
        ck_assert_uint_eq(n, 10);
        ck_assert_str_eq(field(fields, n, "MESSAGE_ID"), AUDIT_MESSAGE_ID);
        ck_assert_str_eq(field(fields, n, "MESSAGE"),
                "Tool call system_unit_control on sysops for key:deploy: refused, rate limit destructive (1234 ms).");
        ck_assert_str_eq(field(fields, n, "PRIORITY"), "5");
        ck_assert_str_eq(field(fields, n, "AIOS_PRINCIPAL"), "key:deploy");
        ck_assert_str_eq(field(fields, n, "AIOS_TOOL"), "system_unit_control");
        ck_assert_str_eq(field(fields, n, "AIOS_BACKEND"), "sysops");
        ck_assert_str_eq(field(fields, n, "AIOS_RESULT"), "refused");
        ck_assert_str_eq(field(fields, n, "AIOS_DURATION_USEC"), "1234567");
        ck_assert_str_eq(field(fields, n, "AIOS_REASON"), "rate limit destructive");
        char digest[65];
        ck_assert_int_eq(audit_arguments_digest(args, digest), 0);
        ck_assert_str_eq(field(fields, n, "AIOS_ARGUMENTS_SHA256"), digest);
        for (size_t i = 0; i < n; i++) {
                ck_assert_uint_eq(fields[i].iov_len, strlen(fields[i].iov_base));
                ck_assert_ptr_null(strstr(fields[i].iov_base, "hunter2"));
                ck_assert_ptr_null(strstr(fields[i].iov_base, "nginx"));
        }
        audit_fields_free(fields, n);

        /* No principal is anonymous; no reason, no AIOS_REASON=. */
        r = (AuditRecord){ .tool = "system_info", .backend = "sysops", .result = AUDIT_RESULT_OK };
        ck_assert_int_eq(audit_fields(&r, fields, &n), 0);
        ck_assert_uint_eq(n, 9);
        ck_assert_str_eq(field(fields, n, "AIOS_PRINCIPAL"), "anonymous");
        ck_assert_str_eq(field(fields, n, "PRIORITY"), "6");
        ck_assert_ptr_null(field(fields, n, "AIOS_REASON"));
        audit_fields_free(fields, n);

        /* A record larger than the first buffer (the fields share one allocation, which grows): every field
         * whole, the long reason in MESSAGE and in AIOS_REASON. */
        char reason[3000];
        memset(reason, 'r', sizeof(reason) - 1);
        reason[sizeof(reason) - 1] = 0;
        r = (AuditRecord){ .tool = "system_info", .backend = "sysops", .result = AUDIT_RESULT_ERROR, .reason = reason };
        ck_assert_int_eq(audit_fields(&r, fields, &n), 0);
        ck_assert_uint_eq(n, 10);
        ck_assert_str_eq(field(fields, n, "AIOS_REASON"), reason);
        ck_assert_ptr_nonnull(strstr(field(fields, n, "MESSAGE"), reason));
        ck_assert_str_eq(field(fields, n, "AIOS_TOOL"), "system_info");
        ck_assert_str_eq(field(fields, n, "AIOS_RESULT"), "error");
        for (size_t i = 0; i < n; i++)
                ck_assert_uint_eq(fields[i].iov_len, strlen(fields[i].iov_base));
        audit_fields_free(fields, n);

        ck_assert_str_eq(audit_result_to_string(AUDIT_RESULT_TIMEOUT), "timeout");
        ck_assert_int_eq(audit_result_from_string("error"), AUDIT_RESULT_ERROR);
}
END_TEST

/* sd_journal_sendv() writes to /run/systemd/journal/socket: in a mount namespace of its own (Check runs
 * each test in a child) the test listens there itself and reads the datagram journald would get. */
START_TEST(test_record_reaches_the_journal_socket) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0) {
                fprintf(stderr, "Not checking the journal socket: no mount namespace (%m); needs root.\n");
                return;
        }
        ck_assert_int_eq(mkdir("/run/systemd", 0755), 0);
        ck_assert_int_eq(mkdir("/run/systemd/journal", 0755), 0);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "/run/systemd/journal/socket" };
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        struct timeval tv = { .tv_sec = 5 };
        ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);

        _cleanup_json_ json_object *args = json_tokener_parse("{\"name\":\"x\"}");
        AuditRecord r = {
                .principal = "unix-user:alice",
                .tool = "conformance_echo",
                .backend = "conformance",
                .result = AUDIT_RESULT_TIMEOUT,
                .duration_usec = 42,
                .arguments = args,
        };
        ck_assert_int_eq(audit_send(&r), 0);

        char buf[4096];
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
        ck_assert_int_gt(n, 0);
        buf[n] = 0;
        ck_assert_ptr_nonnull(strstr(buf, "MESSAGE_ID=" AUDIT_MESSAGE_ID "\n"));
        ck_assert_ptr_nonnull(strstr(buf, "AIOS_PRINCIPAL=unix-user:alice\n"));
        ck_assert_ptr_nonnull(strstr(buf, "AIOS_TOOL=conformance_echo\n"));
        ck_assert_ptr_nonnull(strstr(buf, "AIOS_BACKEND=conformance\n"));
        ck_assert_ptr_nonnull(strstr(buf, "AIOS_RESULT=timeout\n"));
        ck_assert_ptr_nonnull(strstr(buf, "AIOS_DURATION_USEC=42\n"));
        ck_assert_ptr_nonnull(strstr(buf, "AIOS_ARGUMENTS_SHA256="));
        ck_assert_ptr_null(strstr(buf, "\"name\""));
}
END_TEST

static Suite *audit_suite(void) {
        Suite *s = suite_create("audit");
        TCase *tc = tcase_create("audit");
        tcase_add_test(tc, test_digest_is_canonical);
        tcase_add_test(tc, test_fields_name_the_call_and_never_the_arguments);
        tcase_add_test(tc, test_record_reaches_the_journal_socket);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(audit_suite());
}
