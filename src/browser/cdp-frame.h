/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The DevTools protocol's framing on --remote-debugging-pipe: JSON messages, each followed by one NUL byte. */
#pragma once

#include <sys/types.h>

#include "json-util.h"

/* The largest message accepted from the browser (a full-page screenshot or PDF in base64 fits). */
#define CDP_FRAME_MAX (256U * 1024U * 1024U)

/* The length of the first whole message in data (without its NUL), -EAGAIN when none is complete yet, or
 * -E2BIG when size bytes without a NUL already exceed max. */
ssize_t cdp_frame_find(const char *data, size_t size, size_t max);

/* A command as the browser reads it: {"id":id,"method":...,"params":...[,"sessionId":...]} and its NUL, in a
 * new string (*ret_size counts the NUL). params may be NULL (no params member). */
int cdp_frame_command(unsigned long long id, const char *session_id, const char *method, json_object *params,
        char **ret, size_t *ret_size);
