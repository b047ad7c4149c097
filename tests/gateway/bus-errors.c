/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A D-Bus backend that answers each tool call with the D-Bus error its tool is named after, so that the
 * stack test sees how the gateway tells failures apart: by the error's name, never by its message.
 * usage: bus-errors BUS_NAME   (on the system bus; runs until killed) */
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>

static const char catalog[] = "{\"tools\":["
                              "{\"name\":\"err_stopping\",\"inputSchema\":{\"type\":\"object\"}},"
                              "{\"name\":\"err_limits\",\"inputSchema\":{\"type\":\"object\"}},"
                              "{\"name\":\"err_timeout\",\"inputSchema\":{\"type\":\"object\"}},"
                              "{\"name\":\"err_noreply\",\"inputSchema\":{\"type\":\"object\"}},"
                              "{\"name\":\"err_other\",\"inputSchema\":{\"type\":\"object\"}}]}";

/* The messages say the opposite of the names where they can: only the name may decide. */
static const struct {
        const char *tool, *name, *message;
} errors[] = {
        { "\"err_stopping\"", "org.aios.MCP1.Error.Stopping", "Everything is fine." },
        { "\"err_limits\"", SD_BUS_ERROR_LIMITS_EXCEEDED,
                "Message recipient disconnected from message bus without replying" },
        { "\"err_timeout\"", SD_BUS_ERROR_TIMEOUT, "The server is stopping." },
        { "\"err_noreply\"", SD_BUS_ERROR_NO_REPLY,
                "Message recipient disconnected from message bus without replying" },
        { "\"err_other\"", "org.example.Error.Other", "Method call timed out" },
};

static int method_call(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *text;
        int r = sd_bus_message_read(m, "s", &text);
        if (r < 0)
                return r;
        for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
                if (strstr(text, errors[i].tool))
                        return sd_bus_error_set(error, errors[i].name, errors[i].message);
        return sd_bus_reply_method_return(m, "s", "");
}

static int method_describe(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return sd_bus_reply_method_return(m, "s", catalog);
}

static int method_ignore(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Call", "sa{sv}", "s", method_call, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Describe", "", "s", method_describe, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Notify", "sa{sv}", "", method_ignore, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("EndSession", "s", "", method_ignore, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int main(int argc, char *argv[]) {
        sd_bus *bus = NULL;
        if (argc != 2) {
                fprintf(stderr, "usage: bus-errors BUS_NAME\n");
                return 2;
        }
        int r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/aios/MCP1", "org.aios.MCP1", vtable, NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, argv[1], 0);
        while (r >= 0) {
                r = sd_bus_process(bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(bus, UINT64_MAX);
        }
        fprintf(stderr, "bus-errors: %s\n", strerror(-r));
        sd_bus_flush_close_unref(bus);
        return 1;
}
