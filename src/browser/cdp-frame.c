/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Splitting the browser's byte stream into messages, and a command into its bytes. */
#include <string.h>

#include "cdp-frame.h"

ssize_t cdp_frame_find(const char *data, size_t size, size_t max) {
        const char *nul = memchr(data, 0, size);
        if (nul)
                return nul - data;
        return size > max ? -E2BIG : -EAGAIN;
}

int cdp_frame_command(unsigned long long id, const char *session_id, const char *method, json_object *params,
        char **ret, size_t *ret_size) {
        _cleanup_json_ json_object *m = json_object_new_object();
        if (!m || json_add(m, "id", json_object_new_uint64(id)) < 0 || json_add_string(m, "method", method) < 0 ||
                (params && json_add(m, "params", json_object_get(params)) < 0) ||
                (session_id && json_add_string(m, "sessionId", session_id) < 0))
                return -ENOMEM;
        const char *text = json_to_string(m);
        size_t n = strlen(text);
        char *b = malloc(n + 1);
        if (!b)
                return -ENOMEM;
        memcpy(b, text, n + 1); /* the NUL is the frame's end */
        *ret = b;
        *ret_size = n + 1;
        return 0;
}
