/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* browser_console_messages and browser_network_requests: what the current tab logged and requested. */
#include <stdio.h>

#include "browser.h"
#include "mcp-content.h"
#include "mcp-request.h"

static json_object *arguments_of(McpRequest *req) {
        return json_get_object(mcp_request_get_params(req), "arguments");
}

/* error 3, warning 2, info 1, debug 0, as the console's methods map to them. */
static int level_rank(const char *level) {
        if (!level)
                return 1;
        if (streq(level, "error") || streq(level, "assert"))
                return 3;
        if (streq(level, "warning") || streq(level, "warn"))
                return 2;
        if (streq(level, "debug") || streq(level, "verbose"))
                return 0;
        return 1;
}

static void console_in_tab(McpRequest *req, Tab *t) {
        json_object *arguments = arguments_of(req);
        const char *min = json_get_string(arguments, "level") ?: "all";
        int floor = streq(min, "all") ? 0 : level_rank(min);
        json_object *list = json_object_new_array();
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        if (!list || !f) {
                json_object_put(list);
                if (f)
                        fclose(f);
                free(text);
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        size_t n = json_object_array_length(t->console);
        for (size_t i = 0; i < n; i++) {
                json_object *m = json_object_array_get_idx(t->console, i);
                const char *level = json_get_string(m, "level") ?: "log";
                if (level_rank(level) < floor)
                        continue;
                json_object_array_add(list, json_object_get(m));
                fprintf(f, "[%s] %s\n", level, strempty(json_get_string(m, "text")));
        }
        if (json_object_array_length(list) == 0)
                fputs("No console messages.\n", f);
        if (t->console_dropped > 0)
                fprintf(f, "(%u older messages were dropped: the tab keeps the last %u.)\n", t->console_dropped,
                        BROWSER_CONSOLE_MAX);
        fclose(f);
        json_object *s = json_object_new_object();
        json_add(s, "messages", list);
        json_add(s, "dropped", json_object_new_int(t->console_dropped));
        json_add(s, "tab", json_object_new_int(t->id));
        if (json_get_bool(arguments, "clear", false)) {
                json_object_put(t->console);
                t->console = json_object_new_array();
                t->console_dropped = 0;
        }
        (void) tab_reply(req, t, s, "%s", text);
        free(text);
}

int tool_browser_console_messages(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, console_in_tab);
}

static void network_in_tab(McpRequest *req, Tab *t) {
        json_object *arguments = arguments_of(req);
        bool blocked_only = json_get_bool(arguments, "blockedOnly", false);
        json_object *list = json_object_new_array();
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        if (!list || !f) {
                json_object_put(list);
                if (f)
                        fclose(f);
                free(text);
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        size_t n = json_object_array_length(t->network);
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(t->network, i);
                const char *blocked = json_get_string(e, "blocked");
                if (blocked_only && !blocked)
                        continue;
                json_object_array_add(list, json_object_get(e));
                json_object *status;
                fprintf(f, "%s %s", strempty(json_get_string(e, "method")), strempty(json_get_string(e, "url")));
                if (blocked)
                        fprintf(f, " => refused: %s", blocked);
                else if (json_object_object_get_ex(e, "status", &status))
                        fprintf(f, " => %d", json_object_get_int(status));
                fprintf(f, " [%s]\n", strempty(json_get_string(e, "type")));
        }
        if (json_object_array_length(list) == 0)
                fputs(blocked_only ? "No request was refused.\n" : "No requests.\n", f);
        if (t->network_dropped > 0)
                fprintf(f, "(%u older requests were dropped: the tab keeps the last %u.)\n", t->network_dropped,
                        BROWSER_NETWORK_MAX);
        fclose(f);
        json_object *s = json_object_new_object();
        json_add(s, "requests", list);
        json_add(s, "dropped", json_object_new_int(t->network_dropped));
        json_add(s, "tab", json_object_new_int(t->id));
        if (json_get_bool(arguments, "clear", false)) {
                json_object_put(t->network);
                t->network = json_object_new_array();
                t->network_dropped = 0;
        }
        (void) tab_reply(req, t, s, "%s", text);
        free(text);
}

int tool_browser_network_requests(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, network_in_tab);
}
