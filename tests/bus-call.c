/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Calls one tool of a server (org.aios.MCP1.CallTool) over the system bus's broker, or over a direct
 * connection the server hands out (Connect, front ends only), and prints each call's wall time to its whole
 * answer and the answer's size: the same client both ways, so that only the route differs.
 * usage: bus-call [--direct] [--runs=N] [--output=FILE] BUS_NAME TOOL ARGUMENTS
 * Prints "ROUTE WALL_US BYTES SERVER_MS" per run (SERVER_MS: the answer's first "elapsed_ms", -1 without one);
 * FILE gets the last answer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned long long) ts.tv_sec * 1000000ULL + (unsigned long long) ts.tv_nsec / 1000ULL;
}

/* A client bus on the socket the server handed over. */
static int connect_direct(sd_bus *broker, const char *name, sd_bus **ret) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = sd_bus_call_method(broker, name, "/org/aios/MCP1", "org.aios.MCP1", "Connect", &error, &reply, NULL);
        if (r < 0) {
                fprintf(stderr, "bus-call: Connect: %s\n", error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }
        int fd;
        r = sd_bus_message_read(reply, "h", &fd);
        if (r >= 0)
                fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        sd_bus_message_unref(reply);
        if (r < 0 || fd < 0)
                return r < 0 ? r : -errno;
        sd_bus *bus = NULL;
        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_fd(bus, fd, fd);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                sd_bus_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

int main(int argc, char *argv[]) {
        int direct = 0, runs = 1, i = 1;
        const char *output = NULL;
        for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++)
                if (strcmp(argv[i], "--direct") == 0)
                        direct = 1;
                else if (strncmp(argv[i], "--runs=", 7) == 0)
                        runs = atoi(argv[i] + 7);
                else if (strncmp(argv[i], "--output=", 9) == 0)
                        output = argv[i] + 9;
                else
                        break;
        if (argc - i != 3 || runs < 1) {
                fprintf(stderr, "usage: bus-call [--direct] [--runs=N] [--output=FILE] BUS_NAME TOOL ARGUMENTS\n");
                return 2;
        }
        const char *name = argv[i], *tool = argv[i + 1], *arguments = argv[i + 2];

        sd_bus *broker = NULL, *bus = NULL;
        int r = sd_bus_open_system(&broker);
        if (r < 0) {
                fprintf(stderr, "bus-call: the system bus: %s\n", strerror(-r));
                return 1;
        }
        if (direct && connect_direct(broker, name, &bus) < 0)
                return 1;

        for (int run = 0; run < runs; run++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                const char *text = NULL;
                unsigned long long start = now_us();
                /* No timeout of sd-bus's default 25 s: a large search takes longer on a loaded machine. */
                sd_bus_message *m = NULL;
                r = sd_bus_message_new_method_call(direct ? bus : broker, &m, direct ? NULL : name, "/org/aios/MCP1",
                        "org.aios.MCP1", "CallTool");
                if (r >= 0)
                        r = sd_bus_message_append(m, "ss", tool, arguments);
                if (r >= 0)
                        r = sd_bus_call(direct ? bus : broker, m, 600 * 1000000ULL, &error, &reply);
                if (r >= 0)
                        r = sd_bus_message_read(reply, "s", &text);
                unsigned long long end = now_us();
                sd_bus_message_unref(m);
                if (r < 0) {
                        fprintf(stderr, "bus-call: CallTool %s: %s\n", tool, error.message ?: strerror(-r));
                        return 1;
                }
                const char *elapsed = strstr(text, "\"elapsed_ms\":");
                printf("%s %llu %zu %ld\n", direct ? "direct" : "broker", end - start, strlen(text),
                        elapsed ? strtol(elapsed + strlen("\"elapsed_ms\":"), NULL, 10) : -1L);
                if (output && run == runs - 1) {
                        FILE *f = fopen(output, "we");
                        if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
                                fprintf(stderr, "bus-call: %s: %s\n", output, strerror(errno));
                                return 1;
                        }
                }
                sd_bus_message_unref(reply);
        }
        sd_bus_flush_close_unref(bus);
        sd_bus_flush_close_unref(broker);
        return 0;
}
