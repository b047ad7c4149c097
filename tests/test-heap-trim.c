/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gateway's heap trim: heap freed below a block still in use, which free() keeps, goes back to the system
 * once heap_trim() runs, and only when more than the given bytes are free. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap-trim.h"
#include "macro.h"
#include "test-util.h"

static long rss_kib(void) {
        FILE *f = fopen("/proc/self/status", "re");
        ck_assert_ptr_nonnull(f);
        char line[256];
        long kib = -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
                        break;
        fclose(f);
        ck_assert_int_gt(kib, 0);
        return kib;
}

START_TEST(test_freed_heap_goes_back) {
        /* 16 MiB in blocks below glibc's mmap threshold, one after another on the heap; the last one stays, so
         * the heap's top is in use and free() alone cannot give the rest back. */
        enum { N = 4096, SIZE = 4096 };
        void **blocks = malloc((N + 1) * sizeof(void *));
        ck_assert_ptr_nonnull(blocks);
        for (size_t i = 0; i <= N; i++) {
                blocks[i] = malloc(SIZE);
                ck_assert_ptr_nonnull(blocks[i]);
                memset(blocks[i], 0x5a, SIZE);
        }
        long used = rss_kib();
        for (size_t i = 0; i < N; i++)
                free(blocks[i]);
        long freed = rss_kib();
        ck_assert_int_gt(freed, used - 4096); /* free() kept (most of) the pages */

        ck_assert_uint_eq(heap_trim(SIZE_MAX), 0); /* never that much free: nothing done */
        ck_assert_int_gt(rss_kib(), used - 4096);

        ck_assert_uint_ge(heap_trim(HEAP_TRIM_MIN_FREE), (size_t) N * SIZE / 2);
        ck_assert_int_lt(rss_kib(), freed - 8 * 1024); /* at least 8 of the 16 MiB went back */

        free(blocks[N]);
        free(blocks);
}
END_TEST

static Suite *heap_trim_suite(void) {
        Suite *s = suite_create("heap-trim");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_freed_heap_goes_back);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_run_suite(heap_trim_suite());
}
