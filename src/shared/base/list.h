/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Intrusive doubly linked lists: an item carries its own next and prev pointers (LIST_FIELDS), a list is a
 * pointer to its first item, and adding or removing an item is O(1) without allocating. */
#pragma once

#include "macro.h"

/* In a struct: its links in the lists of its kind. */
#define LIST_FIELDS(type) type *next, *prev

/* Puts item at the head of the list head (a pointer to the first item, NULL when empty). */
#define LIST_PREPEND(head, item)                                                                                       \
        do {                                                                                                           \
                __typeof__(item) _item = (item);                                                                       \
                assert(_item);                                                                                         \
                _item->prev = NULL;                                                                                    \
                _item->next = (head);                                                                                  \
                if (_item->next)                                                                                       \
                        _item->next->prev = _item;                                                                     \
                (head) = _item;                                                                                        \
        } while (false)

/* Takes item out of the list head; its links are reset, so removing it twice does nothing wrong as long as
 * it is not the head of another list. */
#define LIST_REMOVE(head, item)                                                                                        \
        do {                                                                                                           \
                __typeof__(item) _item = (item);                                                                       \
                assert(_item);                                                                                         \
                if (_item->next)                                                                                       \
                        _item->next->prev = _item->prev;                                                               \
                if (_item->prev)                                                                                       \
                        _item->prev->next = _item->next;                                                               \
                else if ((head) == _item)                                                                              \
                        (head) = _item->next;                                                                          \
                _item->next = _item->prev = NULL;                                                                      \
        } while (false)

/* Walks the list; item may be removed (and freed) in the body, as the next one is read first. */
#define LIST_FOREACH(item, head)                                                                                       \
        for (__typeof__(head) item = (head), _next_##item = item ? item->next : NULL; item;                            \
                item = _next_##item, _next_##item = item ? item->next : NULL)
