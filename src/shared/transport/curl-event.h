/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libcurl's multi interface driven from sd-event: its sockets as io sources, its timeouts as one timer source. */
#pragma once

#include <systemd/sd-event.h>

#include "curl-dlopen.h"
#include "macro.h"

typedef struct CurlEvent CurlEvent;

typedef struct CurlEventOps {
        /* After curl did its work, outside its callbacks, so that it may add and remove transfers: the place
         * for what the write callbacks only took note of. Called first, and again after each finished().
         * Optional. */
        void (*dispatch)(void *userdata);
        /* A transfer is over, result says how. It is still added: curl_event_remove() it. */
        void (*finished)(CURL *easy, CURLcode result, void *userdata);
} CurlEventOps;

/* Returns 0 or -ENOMEM. libcurl is started by the first curl_event_add(), not here. */
int curl_event_new(sd_event *event, const CurlEventOps *ops, void *userdata, CurlEvent **ret);
/* Remove the transfers first. */
CurlEvent *curl_event_free(CurlEvent *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(CurlEvent *, curl_event_free);

/* Starts a transfer (an easy handle set up and not added yet) on the loop. Returns 0, -ENOMEM, or -EINVAL
 * when libcurl refuses the set-up of its multi interface (on the first transfer). */
int curl_event_add(CurlEvent *c, CURL *easy);
/* Stops it; then it can be cleaned up, or added again. */
void curl_event_remove(CurlEvent *c, CURL *easy);
