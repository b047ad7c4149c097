/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cleanup attributes, ownership helpers and small macros used everywhere. */
#pragma once

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)
#define _warn_unused_result_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Hand ownership of a pointer on: returns it and leaves NULL behind. */
#define TAKE_PTR(p)                                                                                                    \
        ({                                                                                                             \
                typeof(p) _ptr_ = (p);                                                                                 \
                (p) = NULL;                                                                                            \
                _ptr_;                                                                                                 \
        })

#define TAKE_FD(fd)                                                                                                    \
        ({                                                                                                             \
                int _fd_ = (fd);                                                                                       \
                (fd) = -EBADF;                                                                                         \
                _fd_;                                                                                                  \
        })

/* Define name##p(type **p) that frees *p with func when *p is not NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                                        \
        static inline void func##p(type *p) {                                                                          \
                if (*p)                                                                                                \
                        func(*p);                                                                                      \
        }

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose);

static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                close(fd);
                errno = saved;
        }
        return -EBADF;
}

static inline void closep(int *fd) {
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}
#define streq(a, b) (strcmp((a), (b)) == 0)

static inline const char *strempty(const char *s) {
        return s ?: "";
}

static inline bool isempty(const char *s) {
        return !s || !s[0];
}

#define new0(type, n) ((type *) calloc((n), sizeof(type)))
#define USEC_PER_SEC 1000000ULL
#define USEC_PER_MSEC 1000ULL

#define FOREACH_ELEMENT(i, array) for (typeof(&(array)[0]) i = (array); i < (array) + ELEMENTSOF(array); i++)

static inline bool startswith_ptr(const char *s, const char *prefix) {
        return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}
