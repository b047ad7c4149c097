/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aiosctl call, read and get-prompt: running a tool, reading a resource, getting a prompt, with progress and
 * log messages shown on stderr while they run and questions asked at the terminal. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aiosctl.h"
#include "json-util.h"
#include "log.h"
#include "strv.h"

int arguments_from_pairs(char **pairs, json_object *schema, json_object **ret) {
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!o)
                return log_oom(), EXIT_FAILED;
        json_object *props = json_get_object(schema, "properties");
        for (char **p = pairs; p && *p; p++) {
                const char *eq = strchr(*p, '=');
                if (!eq || eq == *p)
                        return log_error("--arg wants KEY=VALUE, not \"%s\".", *p), EXIT_USAGE;
                _cleanup_free_ char *key = strndup(*p, (size_t) (eq - *p));
                if (!key)
                        return log_oom(), EXIT_FAILED;
                const char *value = eq + 1;
                json_object *v = NULL;
                bool string = streq_ptr(json_get_string(json_get_object(props, key), "type"), "string");
                if (string || json_parse_strict(value, strlen(value), &v, NULL) < 0)
                        v = json_object_new_string(value);
                if (!v || json_add(o, key, v) < 0)
                        return log_oom(), EXIT_FAILED;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

/* --- what comes while it runs ---------------------------------------------------------------------------- */

static bool progress_shown;

static void on_notification(json_object *m, void *userdata) {
        const char *method = json_get_string(m, "method");
        json_object *params = json_get_object(m, "params");
        bool tty = isatty(STDERR_FILENO);
        if (streq_ptr(method, "notifications/progress")) {
                json_object *p = NULL, *t = NULL;
                json_object_object_get_ex(params, "progress", &p);
                json_object_object_get_ex(params, "total", &t);
                const char *message = json_get_string(params, "message");
                if (t)
                        fprintf(stderr, "%s[%.0f/%.0f] %s%s", tty ? "\r\x1b[K" : "", json_object_get_double(p),
                                json_object_get_double(t), strempty(message), tty ? "" : "\n");
                else
                        fprintf(stderr, "%s[%.0f] %s%s", tty ? "\r\x1b[K" : "", json_object_get_double(p),
                                strempty(message), tty ? "" : "\n");
                progress_shown = tty;
        } else if (streq_ptr(method, "notifications/message")) {
                json_object *data = NULL;
                json_object_object_get_ex(params, "data", &data);
                if (progress_shown)
                        fputs("\r\x1b[K", stderr);
                fprintf(stderr, "%s%s%s: %s\n", ansi_grey(), strempty(json_get_string(params, "level")), ansi_normal(),
                        json_object_is_type(data, json_type_string) ? json_object_get_string(data)
                                                                    : json_to_string(data));
        }
}

static void end_progress(void) {
        if (progress_shown)
                fputs("\r\x1b[K", stderr);
        progress_shown = false;
}

static const ClientHandlers *handlers(void) {
        static ClientHandlers h;
        h = (ClientHandlers){ .notification = on_notification };
        /* Questions can be answered only where someone types the answers. */
        if (isatty(STDIN_FILENO))
                h.elicit = elicit_at_terminal;
        return &h;
}

/* --- results ----------------------------------------------------------------------------------------------- */

static void print_content(json_object *item) {
        const char *type = strempty(json_get_string(item, "type"));
        if (streq(type, "text")) {
                const char *text = strempty(json_get_string(item, "text"));
                fputs(text, stdout);
                if (*text && text[strlen(text) - 1] != '\n')
                        putchar('\n');
        } else if (streq(type, "image") || streq(type, "audio")) {
                size_t n = strlen(strempty(json_get_string(item, "data")));
                printf("%s(%s %s, %zu bytes; --json has it in base64)%s\n", ansi_grey(), type,
                        strempty(json_get_string(item, "mimeType")), n / 4 * 3, ansi_normal());
        } else if (streq(type, "resource")) {
                json_object *r = json_get_object(item, "resource");
                printf("%s%s%s\n", ansi_highlight(), strempty(json_get_string(r, "uri")), ansi_normal());
                if (json_get_string(r, "text"))
                        print_content(r);
                else
                        printf("%s(binary, --json has it in base64)%s\n", ansi_grey(), ansi_normal());
        } else if (streq(type, "resource_link"))
                printf("%s→ %s%s\n", ansi_grey(), strempty(json_get_string(item, "uri")), ansi_normal());
        else
                printf("%s\n", json_to_string(item));
}

/* Sends method with params to the endpoint and prints what comes back: the whole result with --json, else
 * what the caller picks of it. */
static int run_and_print(const char *method, json_object *params, const char *what, const char *name,
        void (*print)(json_object *result)) {
        _cleanup_(client_freep) Client *c = NULL;
        _cleanup_json_ json_object *result = NULL, *error = NULL;
        char buf[256];
        int r = gateway_connect(&c);
        if (r == 0)
                r = client_request(c, gateway_endpoint(NULL, buf), method, params, handlers(), &result, &error);
        end_progress();
        if (r != 0)
                return r;
        if (error) {
                r = client_error_exit(error);
                log_error("%s%s%s failed: %s", what, name ? " " : "", strempty(name),
                        strempty(json_get_string(error, "message")));
                if (output.json)
                        output_json(error);
                return r;
        }
        if (output.json)
                output_json(result);
        else
                print(result);
        return json_get_bool(result, "isError", false) ? EXIT_FAILED : EXIT_OK;
}

static void print_tool_result(json_object *result) {
        json_object *content = json_get_array(result, "content");
        for (size_t i = 0; content && i < json_object_array_length(content); i++)
                print_content(json_object_array_get_idx(content, i));
        if ((!content || json_object_array_length(content) == 0) && json_get_object(result, "structuredContent"))
                puts(json_to_string(json_get_object(result, "structuredContent")));
}

int verb_call(char **args) {
        size_t n = strv_length(args);
        if (n < 1 || n > 2 || (n == 2 && arg.call_arguments))
                return log_error("call takes a TOOL and either a JSON object of arguments or --arg KEY=VALUE..."),
                       EXIT_USAGE;
        _cleanup_json_ json_object *arguments = NULL, *params = json_object_new_object();
        if (!params)
                return log_oom(), EXIT_FAILED;
        if (n == 2) {
                const char *reason = NULL;
                if (json_parse_strict(args[1], strlen(args[1]), &arguments, &reason) < 0 ||
                        !json_object_is_type(arguments, json_type_object))
                        return log_error("The arguments must be a JSON object%s%s.", reason ? ": " : "",
                                       strempty(reason)),
                               EXIT_USAGE;
        } else {
                /* --arg values are typed by the tool's input schema. */
                _cleanup_json_ json_object *tool = NULL;
                json_object *schema = NULL;
                if (arg.call_arguments) {
                        int r = fetch_tool(args[0], &tool);
                        if (r != 0)
                                return r;
                        schema = json_get_object(tool, "inputSchema");
                }
                int r = arguments_from_pairs(arg.call_arguments, schema, &arguments);
                if (r != 0)
                        return r;
        }
        json_add_string(params, "name", args[0]);
        json_add(params, "arguments", TAKE_PTR(arguments));
        return run_and_print("tools/call", params, "Calling", args[0], print_tool_result);
}

static void print_contents(json_object *result) {
        json_object *contents = json_get_array(result, "contents");
        for (size_t i = 0; contents && i < json_object_array_length(contents); i++) {
                json_object *item = json_object_array_get_idx(contents, i);
                if (json_get_string(item, "text"))
                        print_content(item);
                else
                        printf("%s(%s, binary; --json has it in base64)%s\n", ansi_grey(),
                                strempty(json_get_string(item, "mimeType")), ansi_normal());
        }
}

int verb_read(char **args) {
        if (strv_length(args) != 1)
                return log_error("read takes one URI."), EXIT_USAGE;
        _cleanup_json_ json_object *params = json_object_new_object();
        if (!params || json_add_string(params, "uri", args[0]) < 0)
                return log_oom(), EXIT_FAILED;
        return run_and_print("resources/read", params, "Reading", args[0], print_contents);
}

static void print_prompt(json_object *result) {
        if (json_get_string(result, "description"))
                printf("%s%s%s\n\n", ansi_grey(), json_get_string(result, "description"), ansi_normal());
        json_object *messages = json_get_array(result, "messages");
        for (size_t i = 0; messages && i < json_object_array_length(messages); i++) {
                json_object *m = json_object_array_get_idx(messages, i);
                printf("%s%s:%s\n", ansi_highlight(), strempty(json_get_string(m, "role")), ansi_normal());
                json_object *content = json_get_object(m, "content");
                if (content)
                        print_content(content);
                putchar('\n');
        }
}

int verb_get_prompt(char **args) {
        if (strv_length(args) != 1)
                return log_error("get-prompt takes one NAME, and its arguments as --arg KEY=VALUE."), EXIT_USAGE;
        _cleanup_json_ json_object *params = json_object_new_object(), *arguments = NULL;
        if (!params)
                return log_oom(), EXIT_FAILED;
        /* Prompt arguments are strings, whatever they look like. */
        static const char schema_text[] = "{\"properties\":{}}";
        _cleanup_json_ json_object *schema = json_tokener_parse(schema_text), *props = json_object_new_object();
        for (char **p = arg.call_arguments; p && *p; p++) {
                _cleanup_free_ char *key = strndup(*p, strcspn(*p, "="));
                json_object *string = json_object_new_object();
                if (!key || !string || json_add_string(string, "type", "string") < 0 ||
                        json_add(props, key, string) < 0)
                        return log_oom(), EXIT_FAILED;
        }
        if (!schema || json_add(schema, "properties", json_object_get(props)) < 0)
                return log_oom(), EXIT_FAILED;
        int r = arguments_from_pairs(arg.call_arguments, schema, &arguments);
        if (r != 0)
                return r;
        json_add_string(params, "name", args[0]);
        json_add(params, "arguments", TAKE_PTR(arguments));
        return run_and_print("prompts/get", params, "Getting the prompt", args[0], print_prompt);
}
