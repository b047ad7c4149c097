/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: system_network, from getifaddrs and /sys/class/net. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>

#include "info-internal.h"
#include "mcp-request.h"
#include "sysops-util.h"

/* Bounds: no table is longer than this. */
#define INTERFACES_MAX 1024U
#define ADDRESSES_PER_INTERFACE_MAX 256U

/* --- system_network --------------------------------------------------------------------------------------- */

static int sysfs_net_read(const char *ifname, const char *attribute, char **ret) {
        char path[128];
        snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, attribute);
        return sysops_read_one_line(path, ret);
}

static int interface_add_sysfs(json_object *iface, const char *ifname) {
        _cleanup_free_ char *mac = NULL, *operstate = NULL, *mtu = NULL, *ifindex = NULL;
        (void) sysfs_net_read(ifname, "address", &mac);
        (void) sysfs_net_read(ifname, "operstate", &operstate);
        (void) sysfs_net_read(ifname, "mtu", &mtu);
        (void) sysfs_net_read(ifname, "ifindex", &ifindex);

        if (sysops_add_string_or_null(iface, "mac", isempty(mac) ? NULL : mac) < 0 ||
                sysops_add_string_or_null(iface, "operstate", operstate) < 0)
                return -ENOMEM;
        if (json_object_object_add(iface, "mtu", mtu ? json_object_new_int64(strtoll(mtu, NULL, 10)) : NULL) < 0 ||
                json_object_object_add(iface, "index",
                        ifindex ? json_object_new_int64(strtoll(ifindex, NULL, 10)) : NULL) < 0)
                return -ENOMEM;

        static const char *const counters[] = {
                "rx_bytes",
                "rx_packets",
                "rx_errors",
                "rx_dropped",
                "tx_bytes",
                "tx_packets",
                "tx_errors",
                "tx_dropped",
        };
        _cleanup_json_ json_object *stats = json_object_new_object();
        if (!stats)
                return -ENOMEM;
        bool any = false;
        FOREACH_ELEMENT(c, counters) {
                char attribute[64];
                _cleanup_free_ char *value = NULL;
                snprintf(attribute, sizeof(attribute), "statistics/%s", *c);
                if (sysfs_net_read(ifname, attribute, &value) < 0)
                        continue;
                if (json_add(stats, *c, json_object_new_uint64(strtoull(value, NULL, 10))) < 0)
                        return -ENOMEM;
                any = true;
        }
        /* An alias label ("eth0:1") has no directory of its own in sysfs: no counters then. */
        return json_object_object_add(iface, "statistics", any ? TAKE_PTR(stats) : NULL) < 0 ? -ENOMEM : 0;
}

static unsigned prefix_length(const struct sockaddr *netmask) {
        const unsigned char *b;
        size_t n;
        if (!netmask)
                return 0;
        if (netmask->sa_family == AF_INET) {
                b = (const unsigned char *) &((const struct sockaddr_in *) netmask)->sin_addr;
                n = 4;
        } else if (netmask->sa_family == AF_INET6) {
                b = (const unsigned char *) &((const struct sockaddr_in6 *) netmask)->sin6_addr;
                n = 16;
        } else
                return 0;
        unsigned bits = 0;
        for (size_t i = 0; i < n; i++)
                bits += (unsigned) __builtin_popcount(b[i]);
        return bits;
}

static const char *address_scope(const struct sockaddr *a) {
        if (a->sa_family == AF_INET) {
                uint32_t v = ntohl(((const struct sockaddr_in *) a)->sin_addr.s_addr);
                if ((v >> 24) == 127)
                        return "host";
                if ((v >> 16) == 0xa9fe)
                        return "link";
                return "global";
        }
        const struct in6_addr *v6 = &((const struct sockaddr_in6 *) a)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(v6))
                return "host";
        if (IN6_IS_ADDR_LINKLOCAL(v6))
                return "link";
        return "global";
}

static int address_to_json(const struct ifaddrs *ifa, json_object **ret) {
        char text[INET6_ADDRSTRLEN];
        const void *raw = ifa->ifa_addr->sa_family == AF_INET
                ? (const void *) &((const struct sockaddr_in *) ifa->ifa_addr)->sin_addr
                : (const void *) &((const struct sockaddr_in6 *) ifa->ifa_addr)->sin6_addr;
        if (!inet_ntop(ifa->ifa_addr->sa_family, raw, text, sizeof(text)))
                return -errno;
        _cleanup_json_ json_object *a = json_object_new_object();
        if (!a || json_add_string(a, "family", ifa->ifa_addr->sa_family == AF_INET ? "inet" : "inet6") < 0 ||
                json_add_string(a, "address", text) < 0 ||
                json_add(a, "prefix_length", json_object_new_int64(prefix_length(ifa->ifa_netmask))) < 0 ||
                json_add_string(a, "scope", address_scope(ifa->ifa_addr)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(a);
        return 0;
}

static json_object *interface_find(json_object *list, const char *name) {
        size_t n = json_object_array_length(list);
        for (size_t i = 0; i < n; i++) {
                json_object *iface = json_object_array_get_idx(list, i);
                if (streq_ptr(json_get_string(iface, "name"), name))
                        return iface;
        }
        return NULL;
}

static int interface_new(const struct ifaddrs *ifa, json_object **ret) {
        _cleanup_json_ json_object *iface = json_object_new_object();
        if (!iface || json_add_string(iface, "name", ifa->ifa_name) < 0 ||
                json_add(iface, "up", json_object_new_boolean(!!(ifa->ifa_flags & IFF_UP))) < 0 ||
                json_add(iface, "running", json_object_new_boolean(!!(ifa->ifa_flags & IFF_RUNNING))) < 0 ||
                json_add(iface, "loopback", json_object_new_boolean(!!(ifa->ifa_flags & IFF_LOOPBACK))) < 0 ||
                json_add(iface, "addresses", json_object_new_array()) < 0)
                return -ENOMEM;
        int r = interface_add_sysfs(iface, ifa->ifa_name);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(iface);
        return 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct ifaddrs *, freeifaddrs);

int tool_system_network(McpRequest *req, json_object *args) {
        const char *only = json_get_string(args, "interface");
        _cleanup_(freeifaddrsp) struct ifaddrs *addrs = NULL;

        if (getifaddrs(&addrs) < 0)
                return mcp_request_reply_tool_error(req, "Cannot list the network interfaces: %s", strerror(errno));

        _cleanup_json_ json_object *list = json_object_new_array();
        if (!list)
                return -ENOMEM;
        bool truncated = false;
        for (const struct ifaddrs *ifa = addrs; ifa; ifa = ifa->ifa_next) {
                if (!ifa->ifa_name || (only && !streq(ifa->ifa_name, only)))
                        continue;
                json_object *iface = interface_find(list, ifa->ifa_name);
                if (!iface) {
                        if (json_object_array_length(list) >= INTERFACES_MAX) {
                                truncated = true;
                                continue;
                        }
                        int r = interface_new(ifa, &iface);
                        if (r < 0)
                                return r;
                        if (json_object_array_add(list, iface) < 0) {
                                json_object_put(iface);
                                return -ENOMEM;
                        }
                }
                if (!ifa->ifa_addr || (ifa->ifa_addr->sa_family != AF_INET && ifa->ifa_addr->sa_family != AF_INET6))
                        continue;
                json_object *addresses = json_get_array(iface, "addresses"), *a = NULL;
                if (json_object_array_length(addresses) >= ADDRESSES_PER_INTERFACE_MAX) {
                        truncated = true;
                        continue;
                }
                int r = address_to_json(ifa, &a);
                if (r < 0)
                        return r;
                if (json_object_array_add(addresses, a) < 0) {
                        json_object_put(a);
                        return -ENOMEM;
                }
        }

        size_t n = json_object_array_length(list);
        if (only && n == 0) {
                _cleanup_free_ char *known = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&known, &len);
                if (!f)
                        return -ENOMEM;
                const char *sep = "";
                for (const struct ifaddrs *ifa = addrs; ifa; ifa = ifa->ifa_next)
                        if (ifa->ifa_addr && ifa->ifa_addr->sa_family == AF_PACKET && ifa->ifa_name) {
                                fprintf(f, "%s%s", sep, ifa->ifa_name);
                                sep = ", ";
                        }
                if (fclose(f) != 0)
                        return -ENOMEM;
                return mcp_request_reply_tool_error(req, "No network interface is named \"%s\". Interfaces here: %s.",
                        only, isempty(known) ? "none" : known);
        }

        _cleanup_free_ char *summary = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&summary, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, "%zu interface%s", n, n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++) {
                json_object *iface = json_object_array_get_idx(list, i);
                json_object *addresses = json_get_array(iface, "addresses");
                fprintf(f, "%s %s (%s)", i == 0 ? ":" : ";", json_get_string(iface, "name"),
                        json_get_string(iface, "operstate") ?: (json_get_bool(iface, "up", false) ? "up" : "down"));
                for (size_t k = 0; k < json_object_array_length(addresses) && k < 4; k++) {
                        json_object *a = json_object_array_get_idx(addresses, k), *p;
                        json_object_object_get_ex(a, "prefix_length", &p);
                        fprintf(f, " %s/%d", json_get_string(a, "address"), json_object_get_int(p));
                }
        }
        if (fclose(f) != 0)
                return -ENOMEM;

        _cleanup_json_ json_object *result = json_object_new_object();
        if (!result || json_add(result, "interfaces", TAKE_PTR(list)) < 0 ||
                json_add(result, "count", json_object_new_int64((int64_t) n)) < 0 ||
                json_add(result, "truncated", json_object_new_boolean(truncated)) < 0)
                return -ENOMEM;
        return sysops_reply_structured(req, summary, TAKE_PTR(result));
}
