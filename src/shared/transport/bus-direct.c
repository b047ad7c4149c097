/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Both ends of a direct D-Bus connection: a socket pair's ends as sd-bus connections without a broker. */
#include <unistd.h>

#include "bus-direct.h"

static int bus_direct_new(sd_event *event, int fd, bool server, sd_bus **ret) {
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        int r = sd_bus_new(&bus);
        if (r < 0) {
                close(fd);
                return r;
        }
        r = sd_bus_set_fd(bus, fd, fd);
        if (r < 0) {
                close(fd);
                return r;
        }
        (void) sd_bus_set_description(bus, server ? "direct-server" : "direct");
        if (server) {
                sd_id128_t id;
                r = sd_id128_randomize(&id);
                if (r >= 0)
                        r = sd_bus_set_server(bus, 1, id);
                /* The socket pair was made for the caller that the broker vouched for: there is nothing left
                 * to check, and SO_PEERCRED of a socket pair names its maker, not the front end. */
                if (r >= 0)
                        r = sd_bus_set_anonymous(bus, true);
                if (r < 0)
                        return r;
        }
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

int bus_direct_serve(sd_event *event, int fd, sd_bus **ret) {
        return bus_direct_new(event, fd, true, ret);
}

int bus_direct_connect(sd_event *event, int fd, sd_bus **ret) {
        return bus_direct_new(event, fd, false, ret);
}

int bus_direct_on_disconnect(sd_bus *bus, sd_bus_slot **ret, sd_bus_message_handler_t handler, void *userdata) {
        return sd_bus_match_signal(bus, ret, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                "org.freedesktop.DBus.Local", "Disconnected", handler, userdata);
}
