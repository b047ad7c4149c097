/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* browser_navigate and browser_navigate_back: the origin policy asked first, then the page loaded and waited for. */
#include <stdio.h>

#include "browser.h"
#include "mcp-request.h"

/* The page as it is now, with the document's status where the network log has it. */
static void reply_page_now(McpRequest *req, Tab *t, const char *verb, bool timed_out) {
        json_object *s = json_object_new_object();
        json_add_string(s, "url", t->url);
        json_add_string(s, "title", t->title);
        int status = 0;
        for (size_t i = json_object_array_length(t->network); i > 0; i--) {
                json_object *e = json_object_array_get_idx(t->network, i - 1);
                const char *type = json_get_string(e, "type");
                json_object *st;
                if (type && streq(type, "Document") && json_object_object_get_ex(e, "status", &st)) {
                        status = json_object_get_int(st);
                        break;
                }
        }
        if (status > 0)
                json_add(s, "status", json_object_new_int(status));
        json_add(s, "loaded", json_object_new_boolean(!timed_out));
        json_add(s, "tab", json_object_new_int(t->id));
        char code[32] = "";
        if (status > 0)
                snprintf(code, sizeof(code), " (HTTP %d)", status);
        (void) tab_reply(req, t, s, "%s %s%s, title \"%s\"%s. browser_snapshot shows the page.", verb, t->url, code,
                t->title, timed_out ? "; it has not finished loading (browser_wait_for waits for text on it)" : "");
}

typedef struct PageReply {
        const char *verb;
        bool timed_out;
} PageReply;

static void on_refreshed(McpRequest *req, Tab *t, void *userdata) {
        _cleanup_free_ PageReply *p = userdata;
        reply_page_now(req, t, p->verb, p->timed_out);
}

/* The title as the page has it now (the browser's events about it may still be on their way). */
static void reply_page(McpRequest *req, Tab *t, const char *verb, bool timed_out) {
        PageReply *p = new0(PageReply, 1);
        if (!p) {
                reply_page_now(req, t, verb, timed_out);
                return;
        }
        *p = (PageReply){ .verb = verb, .timed_out = timed_out };
        tab_refresh(t, req, on_refreshed, p);
}

static void on_loaded(Tab *t, McpRequest *req, bool timed_out) {
        reply_page(req, t, "Navigated to", timed_out);
}

static void reply_refused(McpRequest *req, Tab *t, const char *url, const char *error) {
        if (t->last_blocked)
                (void) mcp_request_reply_tool_error(req, "Navigation to %s was refused: %s.", url, t->last_blocked);
        else
                (void) mcp_request_reply_tool_error(req, "Navigation to %s failed: %s.", url, error);
}

static void on_navigate_reply(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        _cleanup_free_ char *url = userdata;
        if (error) {
                reply_refused(req, t, url, error);
                return;
        }
        const char *failed = json_get_string(result, "errorText");
        if (failed) {
                reply_refused(req, t, url, failed);
                return;
        }
        if (!json_get_string(result, "loaderId")) {
                /* Within the same document (a fragment): nothing loads. */
                reply_page(req, t, "Navigated to", false);
                return;
        }
        if (tab_wait_load(t, req, on_loaded) < 0)
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
}

static void navigate_in_tab(McpRequest *req, Tab *t) {
        json_object *arguments = json_get_object(mcp_request_get_params(req), "arguments");
        if (t->crashed) {
                /* Its renderer is gone: the page goes, a new tab takes its place. */
                json_object *p = json_object_new_object();
                json_add_string(p, "targetId", t->target_id);
                (void) cdp_send(t->session->browser->cdp, NULL, "Target.closeTarget", p, NULL, NULL);
                tab_free(t);
                if (browser_with_new_tab(req, navigate_in_tab) < 0)
                        (void) mcp_request_reply_tool_error(req, "The browser could not open a new tab.");
                return;
        }
        const char *url = json_get_string(arguments, "url");
        t->last_blocked = mfree(t->last_blocked);
        t->crashed = false;
        json_object *p = json_object_new_object();
        json_add_string(p, "url", url);
        (void) tab_send(t, req, "Page.navigate", p, on_navigate_reply, strdup(url));
}

static void on_origin_authorized(McpRequest *req, int allowed, void *userdata) {
        if (allowed < 0) {
                (void) mcp_request_reply_tool_error(req, "polkit could not be asked about this origin.");
                return;
        }
        if (allowed == 0) {
                (void) mcp_request_reply_tool_error(req,
                        "Access denied: polkit does not allow this caller to open this origin (%s).",
                        BROWSER_ACTION_NAVIGATE);
                return;
        }
        int r = browser_with_tab(req, navigate_in_tab);
        if (r < 0)
                (void) mcp_request_reply_tool_error(req, "The browser could not be reached.");
}

int tool_browser_navigate(McpRequest *req, json_object *arguments) {
        Browser *b = &browser_context;
        const char *url = json_get_string(arguments, "url");
        if (!url || !*url)
                return mcp_request_reply_tool_error(req, "\"url\" must be an http:// or https:// URL.") ?: 0;
        if (!streq(url, "about:blank")) {
                OriginParts o;
                if (origin_parse(url, &o) < 0 || (!streq(o.scheme, "http") && !streq(o.scheme, "https")))
                        return mcp_request_reply_tool_error(req,
                                       "Only http:// and https:// URLs (and about:blank) can be opened, not \"%.200s\": "
                                       "file:, data:, javascript:, chrome: and devtools: URLs are refused.",
                                       url)
                                ?: 0;
                OriginVerdict v = origin_check(&b->policy, url);
                if (v != ORIGIN_ALLOWED)
                        return mcp_request_reply_tool_error(req, "Navigation to %.1000s was refused: %s.", url,
                                       origin_verdict_to_string(v))
                                ?: 0;
                /* polkit may narrow a principal to some origins: the rule sees "origin" beside "url". */
                char origin[300];
                bool default_port =
                        (streq(o.scheme, "http") && o.port == 80) || (streq(o.scheme, "https") && o.port == 443);
                if (default_port)
                        snprintf(origin, sizeof(origin), "%s://%s", o.scheme, o.host);
                else
                        snprintf(origin, sizeof(origin), "%s://%s:%u", o.scheme, o.host, o.port);
                const char *details[] = { "origin", origin, "url", url, NULL };
                return mcp_request_authorize(req, BROWSER_ACTION_NAVIGATE, details, on_origin_authorized, NULL);
        }
        return browser_with_tab(req, navigate_in_tab);
}

/* --- back ------------------------------------------------------------------------------------------ */

static void on_back_loaded(Tab *t, McpRequest *req, bool timed_out) {
        reply_page(req, t, "Went back to", timed_out);
}

static void on_history_entry(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        if (error) {
                tab_cancel_load_wait(t);
                tab_reply_failed(req, "Going back", error);
        }
        /* Else the load (or the page's return from the back/forward cache) answers. */
}

static void on_history(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        if (error) {
                tab_reply_failed(req, "Reading the history", error);
                return;
        }
        json_object *entries = json_get_array(result, "entries");
        json_object *current;
        int index = json_object_object_get_ex(result, "currentIndex", &current) ? json_object_get_int(current) : 0;
        if (!entries || index <= 0 || (size_t) index > json_object_array_length(entries)) {
                (void) mcp_request_reply_tool_error(req, "There is no previous page in this tab.");
                return;
        }
        json_object *entry = json_object_array_get_idx(entries, index - 1);
        json_object *id;
        if (!json_object_object_get_ex(entry, "id", &id)) {
                (void) mcp_request_reply_tool_error(req, "The browser's history has no previous entry.");
                return;
        }
        t->last_blocked = mfree(t->last_blocked);
        json_object *p = json_object_new_object();
        json_add(p, "entryId", json_object_new_int(json_object_get_int(id)));
        /* Waited for before it is sent: a page restored from the back/forward cache is there at once. */
        if (tab_wait_load(t, req, on_back_loaded) < 0) {
                json_object_put(p);
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        (void) tab_send(t, req, "Page.navigateToHistoryEntry", p, on_history_entry, NULL);
}

static void back_in_tab(McpRequest *req, Tab *t) {
        (void) tab_send(t, req, "Page.getNavigationHistory", NULL, on_history, NULL);
}

int tool_browser_navigate_back(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, back_in_tab);
}
