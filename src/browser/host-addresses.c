/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* This machine's own interface addresses, which pages may not reach unless loopback is allowed. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include "macro.h"

int browser_host_addresses(char ***ret);

int browser_host_addresses(char ***ret) {
        struct ifaddrs *list;
        if (getifaddrs(&list) < 0)
                return -errno;
        char **l = NULL;
        size_t n = 0;
        int r = 0;
        for (struct ifaddrs *i = list; i; i = i->ifa_next) {
                if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
                        continue;
                char text[INET6_ADDRSTRLEN];
                const void *a = i->ifa_addr->sa_family == AF_INET
                        ? (const void *) &((struct sockaddr_in *) i->ifa_addr)->sin_addr
                        : (const void *) &((struct sockaddr_in6 *) i->ifa_addr)->sin6_addr;
                if (!inet_ntop(i->ifa_addr->sa_family, a, text, sizeof(text)))
                        continue;
                char **grown = reallocarray(l, n + 2, sizeof(char *));
                if (!grown || !(grown[n] = strdup(text))) {
                        l = grown ?: l;
                        r = -ENOMEM;
                        break;
                }
                l = grown;
                l[++n] = NULL;
        }
        freeifaddrs(list);
        *ret = l;
        return r;
}
