/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The intrusive list: prepend, remove from the head, the middle and the tail, and removal while walking. */
#include <check.h>
#include <stdlib.h>

#include "list.h"

typedef struct Item Item;
struct Item {
        int value;
        LIST_FIELDS(Item);
};

static void assert_list(Item *head, const int *values, size_t n) {
        size_t i = 0;
        Item *prev = NULL;
        LIST_FOREACH(item, head) {
                ck_assert_uint_lt(i, n);
                ck_assert_int_eq(item->value, values[i]);
                ck_assert_ptr_eq(item->prev, prev);
                prev = item;
                i++;
        }
        ck_assert_uint_eq(i, n);
}

START_TEST(test_prepend_puts_items_first) {
        Item a = { .value = 1 }, b = { .value = 2 }, c = { .value = 3 };
        Item *head = NULL;
        LIST_PREPEND(head, &a);
        LIST_PREPEND(head, &b);
        LIST_PREPEND(head, &c);
        assert_list(head, (const int[]){ 3, 2, 1 }, 3);
}
END_TEST

START_TEST(test_remove_from_head_middle_and_tail) {
        Item a = { .value = 1 }, b = { .value = 2 }, c = { .value = 3 }, d = { .value = 4 };
        Item *head = NULL;
        LIST_PREPEND(head, &a);
        LIST_PREPEND(head, &b);
        LIST_PREPEND(head, &c);
        LIST_PREPEND(head, &d);
        LIST_REMOVE(head, &c); /* middle */
        assert_list(head, (const int[]){ 4, 2, 1 }, 3);
        LIST_REMOVE(head, &d); /* head */
        assert_list(head, (const int[]){ 2, 1 }, 2);
        LIST_REMOVE(head, &a); /* tail */
        assert_list(head, (const int[]){ 2 }, 1);
        ck_assert_ptr_null(a.next);
        ck_assert_ptr_null(a.prev);
        LIST_REMOVE(head, &b);
        ck_assert_ptr_null(head);
}
END_TEST

START_TEST(test_items_can_be_freed_while_walking) {
        Item *head = NULL;
        for (int i = 0; i < 10; i++) {
                Item *item = calloc(1, sizeof(Item));
                ck_assert_ptr_nonnull(item);
                item->value = i;
                LIST_PREPEND(head, item);
        }
        LIST_FOREACH(item, head)
        if (item->value % 2 == 0) {
                LIST_REMOVE(head, item);
                free(item);
        }
        assert_list(head, (const int[]){ 9, 7, 5, 3, 1 }, 5);
        LIST_FOREACH(item, head) {
                LIST_REMOVE(head, item);
                free(item);
        }
        ck_assert_ptr_null(head);
}
END_TEST

int main(void) {
        Suite *s = suite_create("list");
        TCase *tc = tcase_create("list");
        tcase_add_test(tc, test_prepend_puts_items_first);
        tcase_add_test(tc, test_remove_from_head_middle_and_tail);
        tcase_add_test(tc, test_items_can_be_freed_while_walking);
        suite_add_tcase(s, tc);
        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
