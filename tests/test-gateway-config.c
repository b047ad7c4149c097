/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gateway's configuration reads as documented: defaults, drop-ins, backends, warnings and refusals. */
#include <check.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "gateway-config.h"
#include "test-util.h"

static char dir[64];

static void setup(void) {
        strcpy(dir, "/tmp/test-gateway-config-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void teardown(void) {
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes text to dir/path, creating the directory path is in. */
static void write_file(const char *path, const char *text) {
        char p[PATH_MAX];
        const char *slash = strrchr(path, '/');
        if (slash) {
                snprintf(p, sizeof(p), "%s/%.*s", dir, (int) (slash - path), path);
                ck_assert(mkdir(p, 0755) == 0 || errno == EEXIST);
        }
        snprintf(p, sizeof(p), "%s/%s", dir, path);
        FILE *f = fopen(p, "we");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        ck_assert_int_eq(fclose(f), 0);
}

/* Loads dir with stderr going to a file; returns what was logged (and shows it on stderr as well). */
static int load_logged(GatewayConfig **ret, char **ret_log) {
        FILE *log = tmpfile();
        ck_assert_ptr_nonnull(log);
        fflush(stderr);
        int saved = dup(STDERR_FILENO);
        ck_assert_int_ge(saved, 0);
        ck_assert_int_ge(dup2(fileno(log), STDERR_FILENO), 0);

        int r = gateway_config_load(dir, ret);

        fflush(stderr);
        ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
        close(saved);

        long size = ftell(log);
        ck_assert_int_ge(size, 0);
        char *text = calloc(size + 1, 1);
        ck_assert_ptr_nonnull(text);
        rewind(log);
        ck_assert_uint_eq(fread(text, 1, size, log), (size_t) size);
        fclose(log);
        fputs(text, stderr);
        *ret_log = text;
        return r;
}

static size_t count_occurrences(const char *haystack, const char *needle) {
        size_t n = 0;
        for (const char *p = haystack; (p = strstr(p, needle)); p++)
                n++;
        return n;
}

START_TEST(test_no_files_give_defaults) {
        _cleanup_(gateway_config_freep) GatewayConfig *c = NULL;
        ck_assert_int_eq(gateway_config_load(dir, &c), 0);
        ck_assert_str_eq(c->listen, "127.0.0.1:9000");
        ck_assert_uint_eq(c->max_body, 4 * 1024 * 1024);
        ck_assert_uint_eq(c->call_timeout_usec, 300 * USEC_PER_SEC);
        ck_assert_uint_eq(c->max_in_flight, 256);
        ck_assert_uint_eq(c->max_connections, 0); /* 0: the HTTP transport's defaults */
        ck_assert_uint_eq(c->max_sessions, 0);
        ck_assert(c->direct_connections); /* calls to D-Bus servers over direct connections */
        ck_assert_uint_eq(c->n_backends, 0);
        ck_assert_ptr_null(c->backends);

        /* A directory that does not exist at all is the same. */
        _cleanup_(gateway_config_freep) GatewayConfig *d = NULL;
        char missing[PATH_MAX];
        snprintf(missing, sizeof(missing), "%s/missing", dir);
        ck_assert_int_eq(gateway_config_load(missing, &d), 0);
        ck_assert_str_eq(d->listen, "127.0.0.1:9000");
        ck_assert_uint_eq(d->n_backends, 0);
}
END_TEST

START_TEST(test_full_settings) {
        write_file("gateway.conf",
                "[Gateway]\n"
                "Listen=[::1]:8443\n"
                "MaxBodySize=16M\n"
                "CallTimeoutSec=45\n"
                "MaxInFlightPerBackend=32\n"
                "MaxConnections=100\n"
                "MaxConnectionsPerSource=10\n"
                "ConnectionTimeoutSec=2min\n"
                "RequestHeadTimeoutSec=5\n"
                "MaxSessions=64\n"
                "SessionIdleSec=90s\n");
        write_file("backends.d/conformance.conf",
                "[Backend]\n"
                "Type=dbus\n"
                "BusName=org.aios.Conformance1\n"
                "ObjectPath=/org/aios/Conformance/MCP1\n"
                "Prefix=conf.\n"
                "TimeoutSec=500ms\n"
                "Enabled=no\n");
        write_file("backends.d/web.conf",
                "[Backend]\n"
                "Type=http\n"
                "URL=https://mcp.example.com:8443/mcp?x=1\n");
        write_file("backends.d/plain.conf",
                "[Backend]\n"
                "Type=dbus\n"
                "BusName=org.aios.Files1\n");

        _cleanup_(gateway_config_freep) GatewayConfig *c = NULL;
        ck_assert_int_eq(gateway_config_load(dir, &c), 0);
        ck_assert_str_eq(c->listen, "[::1]:8443");
        ck_assert_uint_eq(c->max_body, 16 * 1024 * 1024);
        ck_assert_uint_eq(c->call_timeout_usec, 45 * USEC_PER_SEC);
        ck_assert_uint_eq(c->max_in_flight, 32);
        ck_assert_uint_eq(c->max_connections, 100);
        ck_assert_uint_eq(c->max_connections_per_source, 10);
        ck_assert_uint_eq(c->connection_timeout_usec, 120 * USEC_PER_SEC);
        ck_assert_uint_eq(c->request_head_timeout_usec, 5 * USEC_PER_SEC);
        ck_assert_uint_eq(c->max_sessions, 64);
        ck_assert_uint_eq(c->session_idle_usec, 90 * USEC_PER_SEC);
        ck_assert_uint_eq(c->n_backends, 3);

        const BackendConfig *b = &c->backends[0];
        ck_assert_str_eq(b->name, "conformance");
        ck_assert_int_eq(b->type, BACKEND_DBUS);
        ck_assert_str_eq(b->bus_name, "org.aios.Conformance1");
        ck_assert_str_eq(b->object_path, "/org/aios/Conformance/MCP1");
        ck_assert_ptr_null(b->urls);
        ck_assert_str_eq(b->prefix, "conf.");
        ck_assert_uint_eq(b->timeout_usec, 500 * USEC_PER_MSEC);
        ck_assert(!b->enabled);

        b = &c->backends[1];
        ck_assert_str_eq(b->name, "plain");
        ck_assert_int_eq(b->type, BACKEND_DBUS);
        ck_assert_str_eq(b->bus_name, "org.aios.Files1");
        ck_assert_str_eq(b->object_path, "/org/aios/MCP1");
        ck_assert_str_eq(b->prefix, "");
        ck_assert_uint_eq(b->timeout_usec, 45 * USEC_PER_SEC);
        ck_assert(b->enabled);

        b = &c->backends[2];
        ck_assert_str_eq(b->name, "web");
        ck_assert_int_eq(b->type, BACKEND_HTTP);
        ck_assert_str_eq(b->urls[0], "https://mcp.example.com:8443/mcp?x=1");
        ck_assert_ptr_null(b->urls[1]);
        ck_assert(!b->resolve_addresses);
        ck_assert_uint_eq(b->resolve_interval_usec, BACKEND_RESOLVE_INTERVAL_USEC_DEFAULT);
        ck_assert_ptr_null(b->bus_name);
        ck_assert_ptr_null(b->object_path);
        ck_assert_str_eq(b->prefix, "");
        ck_assert_uint_eq(b->timeout_usec, 45 * USEC_PER_SEC);
        ck_assert(b->enabled);
}
END_TEST

START_TEST(test_dropins_override_in_alphabetical_order) {
        write_file("gateway.conf",
                "[Gateway]\n"
                "Listen=127.0.0.1:1000\n"
                "MaxBodySize=1K\n"
                "CallTimeoutSec=10\n"
                "MaxInFlightPerBackend=5\n");
        write_file("gateway.conf.d/20-late.conf", "[Gateway]\nListen=127.0.0.1:3000\n");
        write_file("gateway.conf.d/10-early.conf", "[Gateway]\nListen=127.0.0.1:2000\nMaxBodySize=2K\n");
        write_file("gateway.conf.d/30-reset.conf", "[Gateway]\nCallTimeoutSec=\n");
        write_file("gateway.conf.d/90-off.conf.disabled", "[Gateway]\nListen=127.0.0.1:9999\n");
        write_file("backends.d/b.conf", "[Backend]\nType=dbus\nBusName=org.aios.B1\n");

        _cleanup_(gateway_config_freep) GatewayConfig *c = NULL;
        ck_assert_int_eq(gateway_config_load(dir, &c), 0);
        ck_assert_str_eq(c->listen, "127.0.0.1:3000");
        ck_assert_uint_eq(c->max_body, 2048);
        ck_assert_uint_eq(c->call_timeout_usec, 300 * USEC_PER_SEC); /* reset to the default by Key= */
        ck_assert_uint_eq(c->max_in_flight, 5);
        /* A backend without TimeoutSec= takes the final CallTimeoutSec=. */
        ck_assert_uint_eq(c->n_backends, 1);
        ck_assert_uint_eq(c->backends[0].timeout_usec, 300 * USEC_PER_SEC);
}
END_TEST

START_TEST(test_dropins_apply_without_main_file) {
        write_file("gateway.conf.d/50-timeout.conf", "[Gateway]\nCallTimeoutSec=7\n");
        write_file("backends.d/b.conf", "[Backend]\nType=http\nURL=http://127.0.0.1:9100/mcp\n");

        _cleanup_(gateway_config_freep) GatewayConfig *c = NULL;
        ck_assert_int_eq(gateway_config_load(dir, &c), 0);
        ck_assert_str_eq(c->listen, "127.0.0.1:9000");
        ck_assert_uint_eq(c->call_timeout_usec, 7 * USEC_PER_SEC);
        ck_assert_uint_eq(c->backends[0].timeout_usec, 7 * USEC_PER_SEC);
}
END_TEST

START_TEST(test_backends_load_in_alphabetical_order) {
        static const char *const files[] = { "zeta.conf", "beta_1.conf", "alpha.conf", "Alpha.conf", "beta-2.conf" };
        FOREACH_ELEMENT(f, files) {
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "backends.d/%s", *f);
                write_file(path, "[Backend]\nType=dbus\nBusName=org.aios.Any1\n");
        }
        /* Not ending in .conf, or not a regular file: not a backend. */
        write_file("backends.d/README", "[Backend]\nType=smtp\n");
        write_file("backends.d/old.conf.bak", "[Backend]\nType=smtp\n");
        write_file("backends.d/sub.conf/inner.conf", "[Backend]\nType=smtp\n");

        _cleanup_(gateway_config_freep) GatewayConfig *c = NULL;
        ck_assert_int_eq(gateway_config_load(dir, &c), 0);
        ck_assert_uint_eq(c->n_backends, 5);
        ck_assert_str_eq(c->backends[0].name, "Alpha");
        ck_assert_str_eq(c->backends[1].name, "alpha");
        ck_assert_str_eq(c->backends[2].name, "beta-2");
        ck_assert_str_eq(c->backends[3].name, "beta_1");
        ck_assert_str_eq(c->backends[4].name, "zeta");
}
END_TEST

START_TEST(test_bad_backend_name_is_skipped_with_a_warning) {
        char longest[BACKEND_NAME_MAX + 2], path[PATH_MAX];
        memset(longest, 'n', sizeof(longest) - 1);
        longest[sizeof(longest) - 1] = 0;

        snprintf(path, sizeof(path), "backends.d/%s.conf", longest); /* one character too long */
        write_file(path, "[Backend]\nType=smtp\n");
        static const char *const bad[] = { "has space.conf", "dotted.name.conf", ".conf", "caf\xc3\xa9.conf" };
        FOREACH_ELEMENT(f, bad) {
                snprintf(path, sizeof(path), "backends.d/%s", *f);
                write_file(path, "[Backend]\nType=smtp\n");
        }
        longest[BACKEND_NAME_MAX] = 0;
        snprintf(path, sizeof(path), "backends.d/%s.conf", longest); /* just fits */
        write_file(path, "[Backend]\nType=dbus\nBusName=org.aios.Long1\n");
        write_file("backends.d/good.conf", "[Backend]\nType=dbus\nBusName=org.aios.Good1\n");

        _cleanup_(gateway_config_freep) GatewayConfig *c = NULL;
        _cleanup_free_ char *log = NULL;
        ck_assert_int_eq(load_logged(&c, &log), 0);
        ck_assert_uint_eq(c->n_backends, 2);
        ck_assert_str_eq(c->backends[0].name, "good");
        ck_assert_str_eq(c->backends[1].name, longest);
        ck_assert_uint_eq(count_occurrences(log, "is not a valid backend name"), ELEMENTSOF(bad) + 1);
        ck_assert_ptr_nonnull(
                strstr(log, "has space.conf: \"has space\" is not a valid backend name, expected 1 to 64"));
}
END_TEST

static const struct {
        const char *path, *text, *logged;
} invalid_cases[] = {
        { "gateway.conf", "[Gateway]\nListen=localhost:9000\n",
                "gateway.conf:2: Invalid value \"localhost:9000\" for Listen=, expected ADDRESS:PORT" },
        { "gateway.conf", "[Gateway]\nListen=127.0.0.1\n", "gateway.conf:2: Invalid value \"127.0.0.1\" for Listen=" },
        { "gateway.conf", "[Gateway]\nListen=127.0.0.1:70000\n",
                "gateway.conf:2: Invalid value \"127.0.0.1:70000\" for Listen=" },
        { "gateway.conf", "[Gateway]\nListen=::1:9000\n", "gateway.conf:2: Invalid value \"::1:9000\" for Listen=" },
        { "gateway.conf", "[Gateway]\nAllowHost=aios.example.com evil/path\n",
                "gateway.conf:2: Invalid value \"aios.example.com evil/path\" for AllowHost=, expected host names" },
        { "gateway.conf", "[Gateway]\nAllowHost=-leading.example\n",
                "Invalid value \"-leading.example\" for AllowHost=" },
        { "gateway.conf", "[Gateway]\nMaxBodySize=4X\n",
                "gateway.conf:2: Invalid value \"4X\" for MaxBodySize=, expected a positive number of bytes" },
        { "gateway.conf", "[Gateway]\nMaxBodySize=-1\n", "gateway.conf:2: Invalid value \"-1\" for MaxBodySize=" },
        { "gateway.conf", "[Gateway]\nMaxBodySize=0\n", "gateway.conf:2: Invalid value \"0\" for MaxBodySize=" },
        { "gateway.conf", "[Gateway]\nMaxBodySize=99999999999999999999\n",
                "gateway.conf:2: Invalid value \"99999999999999999999\" for MaxBodySize=" },
        { "gateway.conf", "[Gateway]\nMaxBodySize=17179869184G\n",
                "gateway.conf:2: Invalid value \"17179869184G\" for MaxBodySize=" },
        { "gateway.conf", "[Gateway]\nCallTimeoutSec=soon\n",
                "gateway.conf:2: Invalid value \"soon\" for CallTimeoutSec=, expected a positive time span" },
        { "gateway.conf", "[Gateway]\nCallTimeoutSec=0\n", "gateway.conf:2: Invalid value \"0\" for CallTimeoutSec=" },
        { "gateway.conf", "[Gateway]\nCallTimeoutSec=5days\n",
                "gateway.conf:2: Invalid value \"5days\" for CallTimeoutSec=" },
        { "gateway.conf", "[Gateway]\nCallTimeoutSec=1.\n",
                "gateway.conf:2: Invalid value \"1.\" for CallTimeoutSec=" },
        { "gateway.conf", "[Gateway]\nMaxInFlightPerBackend=many\n",
                "gateway.conf:2: Invalid value \"many\" for MaxInFlightPerBackend=, expected a positive integer" },
        { "gateway.conf", "[Gateway]\nMaxInFlightPerBackend=0\n",
                "gateway.conf:2: Invalid value \"0\" for MaxInFlightPerBackend=" },
        { "gateway.conf", "[Gateway]\nMaxConnectionsPerSource=0\n",
                "gateway.conf:2: Invalid value \"0\" for MaxConnectionsPerSource=" },
        { "gateway.conf", "[Gateway]\nRequestHeadTimeoutSec=soon\n",
                "gateway.conf:2: Invalid value \"soon\" for RequestHeadTimeoutSec=" },
        { "gateway.conf", "[Gateway]\nMaxInFlightPerBackend=4294967296\n",
                "gateway.conf:2: Invalid value \"4294967296\" for MaxInFlightPerBackend=" },
        { "gateway.conf.d/50-x.conf", "[Gateway]\n\nMaxInFlightPerBackend=-3\n",
                "gateway.conf.d/50-x.conf:3: Invalid value \"-3\" for MaxInFlightPerBackend=" },
        { "backends.d/b.conf", "[Backend]\nType=dbus\nBusName=org.aios.X1\nEnabled=maybe\n",
                "backends.d/b.conf:4: Invalid value \"maybe\" for Enabled=, expected a boolean" },
        { "backends.d/b.conf", "[Backend]\nType=dbus\nBusName=org.aios.X1\nEnabled=\n",
                "backends.d/b.conf:4: Invalid value \"\" for Enabled=" },
        { "backends.d/b.conf", "[Backend]\nType=http\nURL=ftp://example.com/\n",
                "backends.d/b.conf:3: Invalid value \"ftp://example.com/\" for URL=, expected an http:// or https:// URL" },
        { "backends.d/b.conf", "[Backend]\nType=http\nURL=http://\n",
                "backends.d/b.conf:3: Invalid value \"http://\" for URL=" },
        { "backends.d/b.conf", "[Backend]\nType=http\nURL=example.com\n",
                "backends.d/b.conf:3: Invalid value \"example.com\" for URL=" },
        { "backends.d/b.conf", "[Backend]\nType=dbus\n",
                "backends.d/b.conf:2: Type=dbus without BusName=, expected BusName= with a D-Bus well-known name" },
        { "backends.d/b.conf", "[Backend]\nType=http\n\n", "backends.d/b.conf:2: Type=http without URL=" },
        { "backends.d/b.conf", "[Backend]\nType=http\nURL=http://a:1/mcp\nURL=\n",
                "backends.d/b.conf:2: Type=http without URL=" },
        { "backends.d/b.conf", "[Backend]\nType=http\nURL=http://a:1/mcp\nURL=http://b:1/mcp\nURL=http://a:1/mcp\n",
                "backends.d/b.conf:5: URL=http://a:1/mcp is given twice, expected each endpoint once." },
        { "backends.d/b.conf", "[Backend]\nType=http\nURL=http://a:1/mcp\nURL=http://b:1/mcp x\n",
                "backends.d/b.conf:4: Invalid value \"http://b:1/mcp x\" for URL=" },
        { "backends.d/b.conf", "[Backend]\nType=http\nURL=http://a:1/mcp\nResolveAddresses=sometimes\n",
                "backends.d/b.conf:4: Invalid value \"sometimes\" for ResolveAddresses=, expected a boolean" },
        { "backends.d/b.conf", "[Backend]\nType=http\nURL=http://a:1/mcp\nResolveIntervalSec=often\n",
                "backends.d/b.conf:4: Invalid value \"often\" for ResolveIntervalSec=" },
        { "backends.d/b.conf", "[Backend]\nType=smtp\n",
                "backends.d/b.conf:2: Invalid value \"smtp\" for Type=, expected dbus or http" },
        { "backends.d/b.conf", "[Backend]\nBusName=org.aios.X1\n",
                "backends.d/b.conf: Type= missing in section [Backend]" },
        { "backends.d/b.conf", "", "backends.d/b.conf: Type= missing in section [Backend]" },
        { "backends.d/b.conf", "[Backend]\nType=dbus\nBusName=:1.42\n",
                "backends.d/b.conf:3: Invalid value \":1.42\" for BusName=, expected a D-Bus well-known name" },
        { "backends.d/b.conf", "[Backend]\nType=dbus\nBusName=Conformance\n",
                "backends.d/b.conf:3: Invalid value \"Conformance\" for BusName=" },
        { "backends.d/b.conf", "[Backend]\nType=dbus\nBusName=org.aios.X1\nObjectPath=org/aios\n",
                "backends.d/b.conf:4: Invalid value \"org/aios\" for ObjectPath=, expected a D-Bus object path" },
        { "backends.d/b.conf", "[Backend]\nType=http\nURL=http://h/mcp\nBearerTokenCredential=../etc/shadow\n",
                "backends.d/b.conf:4: Invalid value \"../etc/shadow\" for BearerTokenCredential=, expected the name of a "
                "systemd credential" },
        { "backends.d/b.conf", "[Backend]\nType=dbus\nBusName=org.aios.X1\nPrefix=a/b\n",
                "backends.d/b.conf:4: Invalid value \"a/b\" for Prefix=, expected at most 32" },
        { "backends.d/b.conf", "[Backend]\nType=dbus\nBusName=org.aios.X1\nPrefix=123456789012345678901234567890123\n",
                "backends.d/b.conf:4: Invalid value \"123456789012345678901234567890123\" for Prefix=" },
        { "backends.d/b.conf", "[Backend]\nType=dbus\nBusName=org.aios.X1\nTimeoutSec=-5\n",
                "backends.d/b.conf:4: Invalid value \"-5\" for TimeoutSec=" },
        { "gateway.conf", "[Gateway]\nListen\n",
                "gateway.conf:2: Syntax error, expected a [Section] header, a Key=Value assignment or a comment." },
        { "gateway.conf", "[Gateway\nListen=127.0.0.1:1\n", "gateway.conf:1: Syntax error" },
};

/* AllowHost=: names of several lines add up; an empty line forgets the earlier ones. */
START_TEST(test_allow_host_adds_up) {
        write_file("gateway.conf",
                "[Gateway]\n"
                "AllowHost=old.example\n"
                "AllowHost=\n"
                "AllowHost=aios.example.com  aios-gateway\n"
                "AllowHost=[fd00::1]\n");
        _cleanup_(gateway_config_freep) GatewayConfig *c = NULL;
        ck_assert_int_eq(gateway_config_load(dir, &c), 0);
        ck_assert_ptr_nonnull(c->allowed_hosts);
        ck_assert_str_eq(c->allowed_hosts[0], "aios.example.com");
        ck_assert_str_eq(c->allowed_hosts[1], "aios-gateway");
        ck_assert_str_eq(c->allowed_hosts[2], "[fd00::1]");
        ck_assert_ptr_null(c->allowed_hosts[3]);
}
END_TEST

START_TEST(test_several_endpoints) {
        write_file("backends.d/web.conf",
                "[Backend]\n"
                "Type=http\n"
                "URL=http://old.example:1/mcp\n"
                "URL=\n"
                "URL=http://10.0.0.1:8006/mcp\n"
                "URL=http://10.0.0.2:8006/mcp\n");
        write_file("backends.d/pods.conf",
                "[Backend]\n"
                "Type=http\n"
                "URL=http://conformance.aios.svc.cluster.local:8006/mcp\n"
                "ResolveAddresses=yes\n"
                "ResolveIntervalSec=2s\n");
        _cleanup_(gateway_config_freep) GatewayConfig *c = NULL;
        ck_assert_int_eq(gateway_config_load(dir, &c), 0);
        ck_assert_uint_eq(c->n_backends, 2);
        const BackendConfig *b = &c->backends[0];
        ck_assert_str_eq(b->name, "pods");
        ck_assert_str_eq(b->urls[0], "http://conformance.aios.svc.cluster.local:8006/mcp");
        ck_assert_ptr_null(b->urls[1]);
        ck_assert(b->resolve_addresses);
        ck_assert_uint_eq(b->resolve_interval_usec, 2 * USEC_PER_SEC);
        b = &c->backends[1];
        ck_assert_str_eq(b->urls[0], "http://10.0.0.1:8006/mcp");
        ck_assert_str_eq(b->urls[1], "http://10.0.0.2:8006/mcp");
        ck_assert_ptr_null(b->urls[2]);
        ck_assert(!b->resolve_addresses);
}
END_TEST

START_TEST(test_invalid_value_is_refused) {
        write_file(invalid_cases[_i].path, invalid_cases[_i].text);

        GatewayConfig *c = NULL;
        _cleanup_free_ char *log = NULL;
        ck_assert_int_eq(load_logged(&c, &log), -EINVAL);
        ck_assert_ptr_null(c);
        ck_assert_msg(strstr(log, invalid_cases[_i].logged), "expected \"%s\" in the log, got \"%s\"",
                invalid_cases[_i].logged, log);
}
END_TEST

START_TEST(test_every_invalid_file_is_logged_before_failing) {
        write_file("gateway.conf", "[Gateway]\nMaxBodySize=big\nCallTimeoutSec=never\n");
        write_file("backends.d/a.conf", "[Backend]\nType=dbus\n");
        write_file("backends.d/b.conf", "[Backend]\nType=http\nURL=gopher://x\n");

        GatewayConfig *c = NULL;
        _cleanup_free_ char *log = NULL;
        ck_assert_int_eq(load_logged(&c, &log), -EINVAL);
        ck_assert_ptr_null(c);
        ck_assert_ptr_nonnull(strstr(log, "gateway.conf:2: Invalid value \"big\" for MaxBodySize="));
        ck_assert_ptr_nonnull(strstr(log, "gateway.conf:3: Invalid value \"never\" for CallTimeoutSec="));
        ck_assert_ptr_nonnull(strstr(log, "a.conf:2: Type=dbus without BusName="));
        ck_assert_ptr_nonnull(strstr(log, "b.conf:3: Invalid value \"gopher://x\" for URL="));
}
END_TEST

START_TEST(test_too_long_line_is_refused) {
        char text[512];
        snprintf(text, sizeof(text), "[Backend]\nType=http\nURL=http://example.com/%0300d\n", 0);
        write_file("backends.d/long.conf", text);

        GatewayConfig *c = NULL;
        _cleanup_free_ char *log = NULL;
        ck_assert_int_eq(load_logged(&c, &log), -EINVAL);
        ck_assert_ptr_nonnull(strstr(log, "long.conf:3: Line too long"));
}
END_TEST

START_TEST(test_unknown_keys_and_sections_are_warned_and_ignored) {
        write_file("gateway.conf",
                "Early=1\n"
                "[Gateway]\n"
                "Listen=127.0.0.1:9100\n"
                "Colour=blue\n"
                "[Extra]\n"
                "Foo=bar\n"
                "Baz=qux\n"
                "[Gateway]\n"
                "MaxInFlightPerBackend=8\n");
        write_file("backends.d/b.conf", "[Backend]\nType=dbus\nBusName=org.aios.B1\nWeight=3\n");

        _cleanup_(gateway_config_freep) GatewayConfig *c = NULL;
        _cleanup_free_ char *log = NULL;
        ck_assert_int_eq(load_logged(&c, &log), 0);
        ck_assert_str_eq(c->listen, "127.0.0.1:9100");
        ck_assert_uint_eq(c->max_in_flight, 8);
        ck_assert_uint_eq(c->n_backends, 1);
        ck_assert_ptr_nonnull(strstr(log, "gateway.conf:1: Assignment Early= outside of any section, ignoring."));
        ck_assert_ptr_nonnull(strstr(log, "gateway.conf:4: Unknown key Colour= in section [Gateway], ignoring."));
        ck_assert_ptr_nonnull(strstr(log, "gateway.conf:6: Unknown section [Extra], ignoring its assignments."));
        ck_assert_uint_eq(count_occurrences(log, "Unknown section"), 1);
        ck_assert_ptr_nonnull(strstr(log, "b.conf:4: Unknown key Weight= in section [Backend], ignoring."));
}
END_TEST

START_TEST(test_settings_of_the_other_type_are_dropped) {
        write_file("backends.d/web.conf",
                "[Backend]\nType=http\nURL=http://127.0.0.1:1/\nBusName=org.aios.X1\nObjectPath=/x\n");
        write_file("backends.d/bus.conf", "[Backend]\nType=dbus\nBusName=org.aios.X1\nURL=http://127.0.0.1:1/\n");

        _cleanup_(gateway_config_freep) GatewayConfig *c = NULL;
        _cleanup_free_ char *log = NULL;
        ck_assert_int_eq(load_logged(&c, &log), 0);
        ck_assert_uint_eq(c->n_backends, 2);
        ck_assert_ptr_null(c->backends[0].urls);
        ck_assert_ptr_null(c->backends[1].bus_name);
        ck_assert_ptr_null(c->backends[1].object_path);
        ck_assert_ptr_nonnull(strstr(log, "bus.conf:4: URL= is not used with Type=dbus, ignoring."));
        ck_assert_ptr_nonnull(strstr(log, "web.conf:4: BusName= is not used with Type=http, ignoring."));
        ck_assert_ptr_nonnull(strstr(log, "web.conf:5: ObjectPath= is not used with Type=http, ignoring."));
}
END_TEST

START_TEST(test_comments_blank_lines_and_indentation) {
        write_file("gateway.conf",
                "# A comment\n"
                "; another one\n"
                "\n"
                "  [Gateway]\n"
                "\tListen = 127.0.0.1:9200   \n"
                "\tMaxInFlightPerBackend=3\n"
                "  # Listen=127.0.0.1:1\n"
                "; MaxBodySize=1K\n"
                "MaxBodySize=512\n");
        write_file("backends.d/crlf.conf", "[Backend]\r\nType=dbus\r\nBusName=org.aios.Crlf1\r\n# Enabled=no\r\n");

        _cleanup_(gateway_config_freep) GatewayConfig *c = NULL;
        _cleanup_free_ char *log = NULL;
        ck_assert_int_eq(load_logged(&c, &log), 0);
        ck_assert_str_eq(log, "");
        ck_assert_str_eq(c->listen, "127.0.0.1:9200");
        ck_assert_uint_eq(c->max_in_flight, 3);
        ck_assert_uint_eq(c->max_body, 512);
        ck_assert_uint_eq(c->n_backends, 1);
        ck_assert_str_eq(c->backends[0].bus_name, "org.aios.Crlf1");
        ck_assert(c->backends[0].enabled);
}
END_TEST

static GatewayConfig *load_gateway_conf(const char *text) {
        GatewayConfig *c = NULL;
        write_file("gateway.conf", text);
        ck_assert_int_eq(gateway_config_load(dir, &c), 0);
        return c;
}

START_TEST(test_sizes_and_time_spans) {
        static const struct {
                const char *text;
                uint64_t max_body, timeout_usec;
        } cases[] = {
                { "[Gateway]\nMaxBodySize=1\nCallTimeoutSec=1\n", 1, USEC_PER_SEC },
                { "[Gateway]\nMaxBodySize=3K\nCallTimeoutSec=1.5\n", 3 * 1024, 1500 * USEC_PER_MSEC },
                { "[Gateway]\nMaxBodySize=2M\nCallTimeoutSec=250ms\n", 2 * 1024 * 1024, 250 * USEC_PER_MSEC },
                { "[Gateway]\nMaxBodySize=1G\nCallTimeoutSec=1.5min\n", 1024 * 1024 * 1024, 90 * USEC_PER_SEC },
                { "[Gateway]\nMaxBodySize=\nCallTimeoutSec=2 h\n", 4 * 1024 * 1024, 7200 * USEC_PER_SEC },
                { "[Gateway]\nCallTimeoutSec=30s\n", 4 * 1024 * 1024, 30 * USEC_PER_SEC },
                { "[Gateway]\nCallTimeoutSec=30sec\n", 4 * 1024 * 1024, 30 * USEC_PER_SEC },
                { "[Gateway]\nCallTimeoutSec=1500us\n", 4 * 1024 * 1024, 1500 },
        };
        FOREACH_ELEMENT(i, cases) {
                _cleanup_(gateway_config_freep) GatewayConfig *c = load_gateway_conf(i->text);
                ck_assert_uint_eq(c->max_body, i->max_body);
                ck_assert_uint_eq(c->call_timeout_usec, i->timeout_usec);
        }
}
END_TEST

START_TEST(test_rate_limits_and_filters) {
        _cleanup_(gateway_config_freep) GatewayConfig *d = load_gateway_conf("");
        ck_assert(!ratelimit_config_enabled(&d->rate_limit));
        ck_assert(d->filter.redact_secrets);
        ck_assert_ptr_null(d->filter.redact_patterns);
        ck_assert_uint_eq(d->filter.max_result_size, GATEWAY_MAX_RESULT_SIZE_DEFAULT);

        _cleanup_(gateway_config_freep) GatewayConfig *c = load_gateway_conf(
                "[RateLimit]\nRead=100/s\nReadBurst=200\nDestructive=5/min\nWrite=infinity\nMaxPrincipals=10\n"
                "[Filter]\nRedactSecrets=no\nRedactPattern=dropped\nRedactPattern=\nRedactPattern=\\bACME-[0-9]+\n"
                "RedactPattern=x{2}\nMaxResultSize=64K\nToolMaxResultSize=system_journal 4M\n"
                "ToolMaxResultSize=ide_read_file 1M\nToolMaxResultSize=system_journal 2M\n");
        const RateLimitRule *read = &c->rate_limit.rules[TOOL_CLASS_READ],
                            *destructive = &c->rate_limit.rules[TOOL_CLASS_DESTRUCTIVE];
        ck_assert_uint_eq(read->count, 100);
        ck_assert_uint_eq(read->period_usec, USEC_PER_SEC);
        ck_assert_uint_eq(read->burst, 200);
        ck_assert_uint_eq(destructive->count, 5);
        ck_assert_uint_eq(destructive->period_usec, 60 * USEC_PER_SEC);
        ck_assert_uint_eq(c->rate_limit.rules[TOOL_CLASS_WRITE].count, 0);
        ck_assert_uint_eq(c->rate_limit.max_principals, 10);
        ck_assert(!c->filter.redact_secrets);
        ck_assert_str_eq(c->filter.redact_patterns[0], "\\bACME-[0-9]+");
        ck_assert_str_eq(c->filter.redact_patterns[1], "x{2}");
        ck_assert_ptr_null(c->filter.redact_patterns[2]);
        ck_assert_uint_eq(c->filter.max_result_size, 64 * 1024);
        ck_assert_uint_eq(c->filter.n_tool_limits, 2);
        ck_assert_str_eq(c->filter.tool_limits[0].tool, "system_journal");
        ck_assert_uint_eq(c->filter.tool_limits[0].max, 2 * 1024 * 1024);
        ck_assert_str_eq(c->filter.tool_limits[1].tool, "ide_read_file");

        static const struct {
                const char *text, *logged;
        } bad[] = {
                { "[RateLimit]\nRead=100\n", "Invalid value \"100\" for Read=, expected a rate such as 100/s" },
                { "[RateLimit]\nDestructive=1/day\n", "Invalid value \"1/day\" for Destructive=" },
                { "[RateLimit]\nWriteBurst=0\n", "Invalid value \"0\" for WriteBurst=, expected a positive number" },
                { "[Filter]\nRedactPattern=([a-z\n",
                        "Invalid value \"([a-z\" for RedactPattern=, expected a PCRE2 regular expression" },
                { "[Filter]\nToolMaxResultSize=system_journal\n",
                        "Invalid value \"system_journal\" for ToolMaxResultSize=" },
                { "[Filter]\nToolMaxResultSize=system_journal lots\n",
                        "for ToolMaxResultSize=, expected a tool's name, a space and a size" },
        };
        FOREACH_ELEMENT(b, bad) {
                write_file("gateway.conf", b->text);
                GatewayConfig *x = NULL;
                _cleanup_free_ char *log = NULL;
                ck_assert_int_eq(load_logged(&x, &log), -EINVAL);
                ck_assert_msg(strstr(log, b->logged), "expected \"%s\" in the log, got \"%s\"", b->logged, log);
        }
}
END_TEST

START_TEST(test_booleans) {
        static const struct {
                const char *value;
                bool enabled;
        } cases[] = {
                { "yes", true },
                { "true", true },
                { "1", true },
                { "on", true },
                { "Yes", true },
                { "no", false },
                { "false", false },
                { "0", false },
                { "off", false },
                { "OFF", false },
        };
        FOREACH_ELEMENT(i, cases) {
                char text[128];
                snprintf(text, sizeof(text), "[Backend]\nType=dbus\nBusName=org.aios.B1\nEnabled=%s\n", i->value);
                write_file("backends.d/b.conf", text);
                _cleanup_(gateway_config_freep) GatewayConfig *c = NULL;
                ck_assert_int_eq(gateway_config_load(dir, &c), 0);
                ck_assert_msg(c->backends[0].enabled == i->enabled, "Enabled=%s", i->value);

                snprintf(text, sizeof(text), "[Gateway]\nDirectConnections=%s\n", i->value);
                write_file("gateway.conf", text);
                _cleanup_(gateway_config_freep) GatewayConfig *d = NULL;
                ck_assert_int_eq(gateway_config_load(dir, &d), 0);
                ck_assert_msg(d->direct_connections == i->enabled, "DirectConnections=%s", i->value);
        }
}
END_TEST

START_TEST(test_configuration_directory) {
        ck_assert_int_eq(unsetenv("CONFIGURATION_DIRECTORY"), 0);
        ck_assert_str_eq(gateway_config_dir(), "/etc/aios");
        ck_assert_int_eq(setenv("CONFIGURATION_DIRECTORY", "", 1), 0);
        ck_assert_str_eq(gateway_config_dir(), "/etc/aios");
        ck_assert_int_eq(setenv("CONFIGURATION_DIRECTORY", "/srv/aios", 1), 0);
        ck_assert_str_eq(gateway_config_dir(), "/srv/aios");
        ck_assert_int_eq(setenv("CONFIGURATION_DIRECTORY", "/etc/first:/etc/second", 1), 0);
        ck_assert_str_eq(gateway_config_dir(), "/etc/first");
        ck_assert_int_eq(setenv("CONFIGURATION_DIRECTORY", "relative:/etc/second", 1), 0);
        ck_assert_str_eq(gateway_config_dir(), "/etc/aios");

        /* A NULL directory means this one. */
        write_file("gateway.conf", "[Gateway]\nListen=127.0.0.1:9300\n");
        char value[PATH_MAX];
        snprintf(value, sizeof(value), "%s:/nonexistent", dir);
        ck_assert_int_eq(setenv("CONFIGURATION_DIRECTORY", value, 1), 0);
        _cleanup_(gateway_config_freep) GatewayConfig *c = NULL;
        ck_assert_int_eq(gateway_config_load(NULL, &c), 0);
        ck_assert_str_eq(c->listen, "127.0.0.1:9300");
}
END_TEST

START_TEST(test_backend_type_names) {
        ck_assert_str_eq(backend_type_to_string(BACKEND_DBUS), "dbus");
        ck_assert_str_eq(backend_type_to_string(BACKEND_HTTP), "http");
        ck_assert_ptr_null(backend_type_to_string(_BACKEND_TYPE_INVALID));
        ck_assert_int_eq(backend_type_from_string("http"), BACKEND_HTTP);
        ck_assert_int_eq(backend_type_from_string("HTTP"), _BACKEND_TYPE_INVALID);
        ck_assert_int_eq(backend_type_from_string(NULL), _BACKEND_TYPE_INVALID);
}
END_TEST

static Suite *gateway_config_suite(void) {
        Suite *s = suite_create("gateway-config");
        TCase *tc = tcase_create("gateway-config");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_no_files_give_defaults);
        tcase_add_test(tc, test_full_settings);
        tcase_add_test(tc, test_dropins_override_in_alphabetical_order);
        tcase_add_test(tc, test_dropins_apply_without_main_file);
        tcase_add_test(tc, test_backends_load_in_alphabetical_order);
        tcase_add_test(tc, test_bad_backend_name_is_skipped_with_a_warning);
        tcase_add_loop_test(tc, test_invalid_value_is_refused, 0, ELEMENTSOF(invalid_cases));
        tcase_add_test(tc, test_every_invalid_file_is_logged_before_failing);
        tcase_add_test(tc, test_too_long_line_is_refused);
        tcase_add_test(tc, test_unknown_keys_and_sections_are_warned_and_ignored);
        tcase_add_test(tc, test_settings_of_the_other_type_are_dropped);
        tcase_add_test(tc, test_comments_blank_lines_and_indentation);
        tcase_add_test(tc, test_sizes_and_time_spans);
        tcase_add_test(tc, test_rate_limits_and_filters);
        tcase_add_test(tc, test_booleans);
        tcase_add_test(tc, test_configuration_directory);
        tcase_add_test(tc, test_backend_type_names);
        tcase_add_test(tc, test_allow_host_adds_up);
        tcase_add_test(tc, test_several_endpoints);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(gateway_config_suite());
}
