/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A server's question (elicitation/create, form mode) answered at the terminal, one field at a time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aiosctl.h"
#include "json-util.h"
#include "log.h"

/* A line typed at the terminal, without its newline; NULL at end of input. */
static char *ask(FILE *tty, const char *prompt) {
        fprintf(stderr, "%s", prompt);
        fflush(stderr);
        char *line = NULL;
        size_t size = 0;
        ssize_t n = getline(&line, &size, tty);
        if (n < 0) {
                free(line);
                return NULL;
        }
        line[strcspn(line, "\r\n")] = 0;
        return line;
}

/* The value typed for a field of type, or NULL when it does not fit (asked again). */
static json_object *parse_field(const char *type, const char *text, json_object *options) {
        if (streq_ptr(type, "boolean")) {
                if (strchr("yYtT1", text[0]) && text[0])
                        return json_object_new_boolean(true);
                if (strchr("nNfF0", text[0]) && text[0])
                        return json_object_new_boolean(false);
                return NULL;
        }
        if (streq_ptr(type, "integer") || streq_ptr(type, "number")) {
                char *end;
                double d = strtod(text, &end);
                if (!*text || *end)
                        return NULL;
                return streq(type, "integer") ? ((double) (int64_t) d == d ? json_object_new_int64((int64_t) d) : NULL)
                                              : json_object_new_double(d);
        }
        if (options) {
                for (size_t i = 0; i < json_object_array_length(options); i++)
                        if (streq_ptr(json_object_get_string(json_object_array_get_idx(options, i)), text))
                                return json_object_new_string(text);
                return NULL;
        }
        return json_object_new_string(text);
}

json_object *elicit_at_terminal(json_object *params, void *userdata) {
        _cleanup_(fclosep) FILE *tty = fopen("/dev/tty", "re");
        if (!tty)
                return NULL;
        json_object *schema = json_get_object(params, "requestedSchema");
        json_object *props = json_get_object(schema, "properties");
        json_object *required = json_get_array(schema, "required");
        fprintf(stderr, "\n%s%s%s\n", ansi_highlight(), strempty(json_get_string(params, "message")), ansi_normal());
        fprintf(stderr, "(an empty answer to a required field declines; Ctrl-D cancels)\n");

        _cleanup_json_ json_object *content = json_object_new_object(), *answer = json_object_new_object();
        if (!content || !answer)
                return NULL;
        json_object_object_foreach (props, name, field) {
                bool req = false;
                for (size_t i = 0; required && i < json_object_array_length(required); i++)
                        req = req || streq_ptr(json_object_get_string(json_object_array_get_idx(required, i)), name);
                const char *type = json_get_string(field, "type");
                json_object *options = json_get_array(field, "enum");
                char prompt[1024];
                snprintf(prompt, sizeof(prompt), "%s%s%s%s%s%s: ", json_get_string(field, "title") ?: name,
                        streq_ptr(type, "boolean") ? " [y/n]" : "", options ? " " : "",
                        options ? json_object_to_json_string_ext(options, JSON_C_TO_STRING_PLAIN) : "",
                        req ? "" : " (optional)", json_get_string(field, "description") ? "" : "");
                for (;;) {
                        _cleanup_free_ char *line = ask(tty, prompt);
                        if (!line) { /* Ctrl-D */
                                json_add_string(answer, "action", "cancel");
                                return TAKE_PTR(answer);
                        }
                        if (!*line) {
                                if (!req)
                                        break;
                                json_add_string(answer, "action", "decline");
                                return TAKE_PTR(answer);
                        }
                        json_object *v = parse_field(type, line, options);
                        if (v) {
                                json_add(content, name, v);
                                break;
                        }
                        fprintf(stderr, "That is not a %s%s.\n", type ?: "value", options ? " of the choices" : "");
                }
        }
        json_add_string(answer, "action", "accept");
        json_add(answer, "content", TAKE_PTR(content));
        return TAKE_PTR(answer);
}
