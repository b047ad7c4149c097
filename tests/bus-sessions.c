/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A D-Bus client of org.aios.MCP1 that holds many sessions on one connection, for the tests of a server's
 * per-caller bounds: how many sessions a caller may hold, which one ends when it asks for more, how long a
 * context field may be, and that a caller leaving with many sessions leaves the server whole.
 *
 * usage: bus-sessions BUS_NAME COMMAND
 *   fill N        opens sessions s1..sN, then says which of s1 and sN still answer ("s1 gone", "sN ok")
 *   oversized     sends a context with 1 MiB of client_capabilities and prints the error's name
 *   leave N       opens N sessions and exits without ending them
 *   hold N        opens N sessions, prints "holding", and keeps them until it is killed
 * Prints what it saw on stdout; exits 0 unless the bus could not be used. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

static const char *const initialize =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
        "\"capabilities\":{},\"clientInfo\":{\"name\":\"bus-sessions\",\"version\":\"1\"}}}";
static const char *const ping = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}";

/* Calls Call(request, {session, client_capabilities?}); returns the response text (static) or the error. */
static int call(sd_bus *bus, const char *name, const char *request, const char *session, const char *caps, char *out,
        size_t size) {
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_message_new_method_call(bus, &m, name, "/org/aios/MCP1", "org.aios.MCP1", "Call");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", request);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "session", "s", session);
        if (r >= 0 && caps)
                r = sd_bus_message_append(m, "{sv}", "client_capabilities", "s", caps);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0) {
                sd_bus_message_unref(m);
                return r;
        }
        r = sd_bus_call(bus, m, 10 * 1000 * 1000, &error, &reply);
        if (r < 0)
                snprintf(out, size, "error %s", error.name ? error.name : strerror(-r));
        else {
                const char *text = NULL;
                (void) sd_bus_message_read(reply, "s", &text);
                snprintf(out, size, "%s", text ? text : "");
        }
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
        return 0;
}

static int open_sessions(sd_bus *bus, const char *name, unsigned n) {
        char session[32], out[4096];
        for (unsigned i = 1; i <= n; i++) {
                snprintf(session, sizeof(session), "s%u", i);
                int r = call(bus, name, initialize, session, NULL, out, sizeof(out));
                if (r < 0)
                        return r;
                if (!strstr(out, "\"result\"")) {
                        printf("%s refused: %s\n", session, out);
                        return 0;
                }
        }
        return 0;
}

static void probe(sd_bus *bus, const char *name, const char *session) {
        char out[4096];
        if (call(bus, name, ping, session, NULL, out, sizeof(out)) < 0)
                printf("%s failed\n", session);
        else
                printf("%s %s\n", session, strstr(out, "\"result\"") ? "ok" : "gone");
}

int main(int argc, char *argv[]) {
        if (argc < 3) {
                fprintf(stderr, "usage: %s BUS_NAME fill N | oversized | leave N\n", argv[0]);
                return 2;
        }
        const char *name = argv[1], *command = argv[2];
        unsigned n = argc > 3 ? (unsigned) strtoul(argv[3], NULL, 10) : 0;

        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "Failed to connect to the system bus: %s\n", strerror(-r));
                return 1;
        }

        if (strcmp(command, "fill") == 0) {
                r = open_sessions(bus, name, n);
                char session[32];
                snprintf(session, sizeof(session), "s%u", n);
                probe(bus, name, "s1");
                probe(bus, name, session);
        } else if (strcmp(command, "oversized") == 0) {
                size_t size = 1024 * 1024;
                char *caps = malloc(size + 1), out[4096];
                if (!caps)
                        return 1;
                memset(caps, ' ', size);
                caps[0] = '{';
                caps[size - 1] = '}';
                caps[size] = 0;
                r = call(bus, name, initialize, "big", caps, out, sizeof(out));
                printf("%s\n", out);
                free(caps);
        } else if (strcmp(command, "leave") == 0) {
                r = open_sessions(bus, name, n);
                printf("opened %u\n", n);
        } else if (strcmp(command, "hold") == 0) {
                r = open_sessions(bus, name, n);
                printf("holding\n");
                fflush(stdout);
                if (r >= 0)
                        pause();
        } else {
                fprintf(stderr, "Unknown command %s\n", command);
                r = -EINVAL;
        }
        sd_bus_flush_close_unref(bus);
        return r < 0 ? 1 : 0;
}
