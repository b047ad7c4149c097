/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aiosctl list-tools, describe, list-resources and list-prompts: what the caller may use, as the gateway
 * lists it for the caller's principal. */
#include <stdio.h>
#include <string.h>

#include "aiosctl.h"
#include "json-util.h"
#include "log.h"
#include "strv.h"

/* Lists key ("tools", ...) with method on the endpoint of server (NULL: --server or /mcp). */
static int list(const char *server, const char *method, const char *key, json_object **ret) {
        _cleanup_(client_freep) Client *c = NULL;
        int r = gateway_connect(&c);
        if (r != 0)
                return r;
        char buf[256];
        return client_list_all(c, gateway_endpoint(server, buf), method, key, ret);
}

/* What a tool's annotations say of it, with the specification's defaults: a tool is not read-only and,
 * when it is not, destructive unless it says otherwise. */
static const char *tool_kind(json_object *tool) {
        json_object *a = json_get_object(tool, "annotations");
        if (json_get_bool(a, "readOnlyHint", false))
                return "read-only";
        return json_get_bool(a, "destructiveHint", true) ? "destructive" : "writes";
}

static const char *first_line(const char *s, char *buf, size_t size) {
        if (!s)
                return NULL;
        size_t n = strcspn(s, "\n");
        snprintf(buf, size, "%.*s", (int) MIN(n, size - 1), s);
        return buf;
}

int verb_list_tools(char **args) {
        if (strv_length(args) > 1)
                return log_error("list-tools takes at most one SERVER."), EXIT_USAGE;
        _cleanup_json_ json_object *tools = NULL;
        int r = list(args[0], "tools/list", "tools", &tools);
        if (r != 0)
                return r;
        if (output.json) {
                output_json(tools);
                return EXIT_OK;
        }
        static const char *const headers[] = { "TOOL", "KIND", "DESCRIPTION" };
        _cleanup_(table_freep) Table *t = table_new(3, headers);
        if (!t)
                return log_oom(), EXIT_FAILED;
        for (size_t i = 0; i < json_object_array_length(tools); i++) {
                json_object *tool = json_object_array_get_idx(tools, i);
                char buf[512];
                const char *kind = tool_kind(tool);
                const char *cells[] = { json_get_string(tool, "name"), kind,
                        first_line(json_get_string(tool, "description"), buf, sizeof(buf)) };
                const char *colors[] = { ansi_highlight(), *kind == 'd' /* destructive */ ? ansi_red() : NULL, NULL };
                if (table_add_row(t, cells, colors) < 0)
                        return log_oom(), EXIT_FAILED;
        }
        pager_open();
        table_print(t, "tools");
        return EXIT_OK;
}

/* The tool named name in the list, or NULL. */
static json_object *find_tool(json_object *tools, const char *name) {
        for (size_t i = 0; i < json_object_array_length(tools); i++)
                if (streq_ptr(json_get_string(json_object_array_get_idx(tools, i), "name"), name))
                        return json_object_array_get_idx(tools, i);
        return NULL;
}

int fetch_tool(const char *name, json_object **ret) {
        _cleanup_json_ json_object *tools = NULL;
        int r = list(NULL, "tools/list", "tools", &tools);
        if (r != 0)
                return r;
        json_object *tool = find_tool(tools, name);
        if (!tool)
                return log_error("No tool \"%s\" here (see aiosctl list-tools%s%s).", name, arg.server ? " " : "",
                               strempty(arg.server)),
                       EXIT_NOT_FOUND;
        *ret = json_object_get(tool);
        return 0;
}

static void print_schema(const char *title, json_object *schema) {
        if (!schema)
                return;
        printf("%s%s:%s\n", ansi_highlight(), title, ansi_normal());
        json_object *props = json_get_object(schema, "properties");
        json_object *required = json_get_array(schema, "required");
        if (!props || json_object_object_length(props) == 0) {
                printf("  (none)\n");
                return;
        }
        json_object_object_foreach (props, name, p) {
                bool req = false;
                for (size_t i = 0; required && i < json_object_array_length(required); i++)
                        req = req || streq_ptr(json_object_get_string(json_object_array_get_idx(required, i)), name);
                const char *type = json_get_string(p, "type");
                printf("  %s%s%s  %s%s%s", ansi_highlight(), name, ansi_normal(), type ?: "any",
                        req ? ", required" : "", json_get_string(p, "description") ? "\n      " : "");
                if (json_get_string(p, "description"))
                        printf("%s", json_get_string(p, "description"));
                json_object *e = json_get_array(p, "enum");
                if (e)
                        printf("\n      one of: %s", json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
                putchar('\n');
        }
}

int verb_describe(char **args) {
        if (strv_length(args) != 1)
                return log_error("describe takes one TOOL."), EXIT_USAGE;
        _cleanup_json_ json_object *tool = NULL;
        int r = fetch_tool(args[0], &tool);
        if (r != 0)
                return r;
        if (output.json) {
                output_json(tool);
                return EXIT_OK;
        }
        pager_open();
        printf("%s%s%s", ansi_highlight(), json_get_string(tool, "name"), ansi_normal());
        if (json_get_string(tool, "title"))
                printf(" - %s", json_get_string(tool, "title"));
        printf("\n\n%s\n\n", strempty(json_get_string(tool, "description")));
        json_object *a = json_get_object(tool, "annotations");
        if (a) {
                printf("%sAnnotations:%s\n", ansi_highlight(), ansi_normal());
                json_object_object_foreach (a, k, v)
                        printf("  %s: %s\n", k, json_object_get_string(v));
                putchar('\n');
        }
        /* The polkit action a server names in the tool's _meta, when it does. */
        json_object *meta = json_get_object(tool, "_meta");
        if (meta) {
                json_object_object_foreach (meta, k, v) {
                        if (strstr(k, "polkit"))
                                printf("%sPolkit action:%s %s\n\n", ansi_highlight(), ansi_normal(),
                                        json_object_get_string(v));
                }
        }
        print_schema("Input", json_get_object(tool, "inputSchema"));
        if (json_get_object(tool, "outputSchema")) {
                putchar('\n');
                print_schema("Output", json_get_object(tool, "outputSchema"));
        }
        return EXIT_OK;
}

static int list_named(char **args, const char *verb, const char *method, const char *key, const char *id_key,
        const char *what) {
        if (strv_length(args) > 1)
                return log_error("%s takes at most one SERVER.", verb), EXIT_USAGE;
        _cleanup_json_ json_object *items = NULL;
        int r = list(args[0], method, key, &items);
        if (r != 0)
                return r;
        if (output.json) {
                output_json(items);
                return EXIT_OK;
        }
        static const char *const headers[] = { "NAME", "ID", "DESCRIPTION" };
        const char *const h[] = { headers[0], id_key[0] == 'u' ? "URI" : "ARGUMENTS", headers[2] };
        _cleanup_(table_freep) Table *t = table_new(3, h);
        if (!t)
                return log_oom(), EXIT_FAILED;
        for (size_t i = 0; i < json_object_array_length(items); i++) {
                json_object *item = json_object_array_get_idx(items, i);
                char buf[512];
                _cleanup_free_ char *names = NULL;
                const char *id = json_get_string(item, id_key);
                if (!id && streq(id_key, "arguments")) {
                        json_object *a = json_get_array(item, "arguments");
                        size_t n = 0;
                        for (size_t j = 0; a && j < json_object_array_length(a); j++) {
                                const char *an = strempty(json_get_string(json_object_array_get_idx(a, j), "name"));
                                char *s = realloc(names, n + strlen(an) + 2);
                                if (!s)
                                        return log_oom(), EXIT_FAILED;
                                names = s;
                                n += (size_t) sprintf(names + n, "%s%s", n ? "," : "", an);
                        }
                        id = names;
                }
                const char *cells[] = { json_get_string(item, "name"), id,
                        first_line(json_get_string(item, "description"), buf, sizeof(buf)) };
                if (table_add_row(t, cells, NULL) < 0)
                        return log_oom(), EXIT_FAILED;
        }
        pager_open();
        table_print(t, what);
        return EXIT_OK;
}

int verb_list_resources(char **args) {
        _cleanup_json_ json_object *templates = NULL;
        int r = list_named(args, "list-resources", "resources/list", "resources", "uri", "resources");
        if (r != 0 || output.json)
                return r;
        /* The templates too, as URIs with {variables}. */
        r = list(args[0], "resources/templates/list", "resourceTemplates", &templates);
        if (r != 0)
                return r;
        if (json_object_array_length(templates) == 0)
                return EXIT_OK;
        static const char *const headers[] = { "TEMPLATE", "URI", "DESCRIPTION" };
        _cleanup_(table_freep) Table *t = table_new(3, headers);
        for (size_t i = 0; t && i < json_object_array_length(templates); i++) {
                json_object *item = json_object_array_get_idx(templates, i);
                char buf[512];
                const char *cells[] = { json_get_string(item, "name"), json_get_string(item, "uriTemplate"),
                        first_line(json_get_string(item, "description"), buf, sizeof(buf)) };
                if (table_add_row(t, cells, NULL) < 0)
                        return log_oom(), EXIT_FAILED;
        }
        if (!t)
                return log_oom(), EXIT_FAILED;
        putchar('\n');
        table_print(t, "templates");
        return EXIT_OK;
}

int verb_list_prompts(char **args) {
        return list_named(args, "list-prompts", "prompts/list", "prompts", "arguments", "prompts");
}
