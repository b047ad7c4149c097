/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* browser_handle_dialog, browser_wait_for, browser_resize, browser_tabs and browser_close. */
#include <math.h>
#include <stdio.h>

#include "action.h"
#include "mcp-content.h"
#include "mcp-request.h"
#include "time-util.h"

static json_object *arguments_of(McpRequest *req) {
        return json_get_object(mcp_request_get_params(req), "arguments");
}

/* --- dialogs ------------------------------------------------------------------------------------------------ */

static void on_dialog_handled(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        if (error) {
                tab_reply_failed(req, "Answering the dialog", error);
                return;
        }
        t->dialog = (json_object_put(t->dialog), NULL);
        action_settle(req, t);
}

static void dialog_in_tab(McpRequest *req, Tab *t) {
        if (!t->dialog) {
                (void) mcp_request_reply_tool_error(req, "No dialog is open in the current tab.");
                return;
        }
        json_object *arguments = arguments_of(req);
        bool accept = json_get_bool(arguments, "accept", true);
        const char *prompt = json_get_string(arguments, "promptText");
        char what[700];
        snprintf(what, sizeof(what), "%s the %s dialog \"%.300s\"%s%.200s%s", accept ? "Accepted" : "Dismissed",
                strempty(json_get_string(t->dialog, "type")), strempty(json_get_string(t->dialog, "message")),
                prompt && accept ? " with \"" : "", prompt && accept ? prompt : "", prompt && accept ? "\"" : "");
        action_begin(t, req, what);
        json_object *p = json_object_new_object();
        json_add(p, "accept", json_object_new_boolean(accept));
        if (prompt)
                json_add_string(p, "promptText", prompt);
        (void) tab_send(t, req, "Page.handleJavaScriptDialog", p, on_dialog_handled, NULL);
}

int tool_browser_handle_dialog(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, dialog_in_tab);
}

/* --- wait_for ----------------------------------------------------------------------------------------------- */

#define WAIT_POLL_USEC (200 * USEC_PER_MSEC)
#define WAIT_DEFAULT_USEC (30 * USEC_PER_SEC)

typedef struct WaitCall {
        char *target_id;
        uint64_t started, deadline;
} WaitCall;

static void wait_call_free(WaitCall *w) {
        free(w->target_id);
        free(w);
}

static void wait_reply(McpRequest *req, Tab *t, WaitCall *w, bool met) {
        json_object *arguments = arguments_of(req);
        const char *text = json_get_string(arguments, "text"), *gone = json_get_string(arguments, "textGone");
        uint64_t waited = (now_usec() - w->started) / USEC_PER_MSEC;
        if (!met) {
                (void) mcp_request_reply_tool_error(req, "After %.1f s the text \"%.200s\" is %s on the page.",
                        waited / 1000.0, text ?: gone, text ? "still not" : "still");
                return;
        }
        json_object *s = json_object_new_object();
        json_add(s, "met", json_object_new_boolean(true));
        json_add(s, "waitedMs", json_object_new_int64(waited));
        if (t) {
                json_add_string(s, "url", t->url);
                json_add_string(s, "title", t->title);
                json_add(s, "tab", json_object_new_int(t->id));
        }
        if (!text && !gone)
                (void) tab_reply(req, t, s, "Waited %.1f s.", waited / 1000.0);
        else
                (void) tab_reply(req, t, s, "After %.1f s the text \"%.200s\" %s.", waited / 1000.0, text ?: gone,
                        text ? "is on the page" : "is gone");
}

static void wait_poll(McpRequest *req, void *userdata);

static void on_wait_checked(McpRequest *req, Tab *t, json_object *remote, const char *error, void *userdata) {
        WaitCall *w = userdata;
        if (error) {
                tab_reply_failed(req, "Reading the page", error);
                wait_call_free(w);
                return;
        }
        json_object *arguments = arguments_of(req);
        bool found = json_get_bool(remote, "value", false);
        bool met = json_get_string(arguments, "text") ? found : !found;
        if (met || now_usec() >= w->deadline) {
                wait_reply(req, t, w, met);
                wait_call_free(w);
                return;
        }
        if (mcp_request_sleep(req, WAIT_POLL_USEC, wait_poll, w) < 0) {
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                wait_call_free(w);
        }
}

static void wait_poll(McpRequest *req, void *userdata) {
        WaitCall *w = userdata;
        Tab *t = tab_find_by_target(&browser_context, w->target_id);
        if (!t) {
                (void) mcp_request_reply_tool_error(req, "The tab went away while waiting.");
                wait_call_free(w);
                return;
        }
        json_object *arguments = arguments_of(req);
        const char *text = json_get_string(arguments, "text") ?: json_get_string(arguments, "textGone");
        _cleanup_json_ json_object *quoted = json_object_new_string(text);
        _cleanup_free_ char *expression = NULL;
        if (!quoted ||
                asprintf(&expression,
                        "(() => { const t = %s; const has = (d) => { try { return !!d && !!d.body && "
                        "(d.body.innerText.includes(t) || [...d.querySelectorAll('iframe')].some((f) => "
                        "{ try { return has(f.contentDocument); } catch (e) { return false; } })); } catch "
                        "(e) { return false; } }; return has(document); })()",
                        json_to_string(quoted)) < 0) {
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                wait_call_free(w);
                return;
        }
        if (tab_world_evaluate(t, req, expression, true, on_wait_checked, w) < 0)
                wait_call_free(w);
}

static void on_waited(McpRequest *req, void *userdata) {
        WaitCall *w = userdata;
        wait_reply(req, tab_find_by_target(&browser_context, w->target_id), w, true);
        wait_call_free(w);
}

static void wait_in_tab(McpRequest *req, Tab *t) {
        json_object *arguments = arguments_of(req);
        json_object *v;
        double seconds = json_object_object_get_ex(arguments, "time", &v) ? json_object_get_double(v) : -1;
        bool text = json_get_string(arguments, "text") || json_get_string(arguments, "textGone");
        if (!text && seconds < 0) {
                (void) mcp_request_reply_tool_error(req, "Say what to wait for: text, textGone or time (seconds).");
                return;
        }
        if (json_get_string(arguments, "text") && json_get_string(arguments, "textGone")) {
                (void) mcp_request_reply_tool_error(req, "Wait for text or for textGone, not both.");
                return;
        }
        WaitCall *w = new0(WaitCall, 1);
        if (!w || !(w->target_id = strdup(t->target_id))) {
                free(w);
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        w->started = now_usec();
        uint64_t limit = seconds >= 0 ? (uint64_t) (seconds * USEC_PER_SEC) : WAIT_DEFAULT_USEC;
        w->deadline = w->started + limit;
        if (!text) {
                if (mcp_request_sleep(req, limit, on_waited, w) < 0) {
                        wait_call_free(w);
                        (void) mcp_request_reply_tool_error(req, "Out of memory.");
                }
                return;
        }
        wait_poll(req, w);
}

int tool_browser_wait_for(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, wait_in_tab);
}

/* --- resize -------------------------------------------------------------------------------------------------- */

static void on_resized(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        if (error) {
                tab_reply_failed(req, "Resizing", error);
                return;
        }
        json_object *arguments = arguments_of(req);
        char what[96];
        snprintf(what, sizeof(what), "Resized the viewport to %d x %d",
                json_object_get_int(json_object_object_get(arguments, "width")),
                json_object_get_int(json_object_object_get(arguments, "height")));
        action_reply(req, t, what);
}

static void resize_in_tab(McpRequest *req, Tab *t) {
        json_object *arguments = arguments_of(req);
        json_object *p = json_object_new_object();
        json_add(p, "width", json_object_new_int(json_object_get_int(json_object_object_get(arguments, "width"))));
        json_add(p, "height", json_object_new_int(json_object_get_int(json_object_object_get(arguments, "height"))));
        json_add(p, "deviceScaleFactor", json_object_new_int(1));
        json_add(p, "mobile", json_object_new_boolean(false));
        (void) tab_send(t, req, "Emulation.setDeviceMetricsOverride", p, on_resized, NULL);
}

int tool_browser_resize(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, resize_in_tab);
}

/* --- tabs ---------------------------------------------------------------------------------------------------- */

static void reply_tabs(McpRequest *req, BrowserSession *s, Tab *t, const char *what, const char *skip_target) {
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
        fprintf(f, "%s\n", what);
        /* In the order they were opened. */
        for (unsigned id = 1; id <= s->next_tab_id; id++) {
                Tab *x = session_tab_by_id(s, id);
                if (!x || (skip_target && streq(x->target_id, skip_target)))
                        continue;
                json_object *e = json_object_new_object();
                json_add(e, "index", json_object_new_int(x->id));
                json_add_string(e, "url", x->url);
                json_add_string(e, "title", x->title);
                json_add(e, "current", json_object_new_boolean(x == s->current));
                json_object_array_add(list, e);
                fprintf(f, "- %u: %s (%s)%s\n", x->id, strempty(x->title), strempty(x->url),
                        x == s->current ? " [current]" : "");
        }
        fclose(f);
        json_object *st = json_object_new_object();
        json_add(st, "tabs", list);
        (void) tab_reply(req, t, st, "%s", text);
        free(text);
}

static void on_tab_closed(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        _cleanup_free_ char *target = userdata;
        if (error) {
                tab_reply_failed(req, "Closing the tab", error);
                return;
        }
        BrowserSession *s = t->session;
        Tab *closed = tab_find_by_target(&browser_context, target);
        if (closed && s->current == closed) {
                /* The newest other tab becomes current. */
                s->current = NULL;
                for (unsigned id = s->next_tab_id; id > 0 && !s->current; id--) {
                        Tab *x = session_tab_by_id(s, id);
                        if (x && x != closed)
                                s->current = x;
                }
        }
        reply_tabs(req, s, s->current && s->current != closed ? s->current : NULL, "Closed the tab.", target);
}

static void on_new_tab_open(McpRequest *req, Tab *t) {
        json_object *arguments = arguments_of(req);
        if (json_get_string(arguments, "url")) {
                /* The new tab is current: browser_navigate's checks and polkit's say, with its origin. */
                int r = tool_browser_navigate(req, arguments);
                if (r < 0 && !mcp_request_is_done(req))
                        (void) mcp_request_reply_tool_error(req, "Opening the page failed.");
                return;
        }
        reply_tabs(req, t->session, t, "Opened a new tab.", NULL);
}

static void tabs_in_tab(McpRequest *req, Tab *t) {
        json_object *arguments = arguments_of(req);
        const char *action = json_get_string(arguments, "action") ?: "list";
        BrowserSession *s = t->session;
        json_object *v;
        int index = json_object_object_get_ex(arguments, "index", &v) ? json_object_get_int(v) : 0;
        Tab *which = index > 0 ? session_tab_by_id(s, index) : t;
        if (streq(action, "list")) {
                reply_tabs(req, s, t, "Tabs:", NULL);
                return;
        }
        if (!which) {
                (void) mcp_request_reply_tool_error(req, "There is no tab %d; browser_tabs list shows them.", index);
                return;
        }
        if (streq(action, "select")) {
                s->current = which;
                reply_tabs(req, s, which, "Selected the tab.", NULL);
                return;
        }
        /* close */
        json_object *p = json_object_new_object();
        json_add_string(p, "targetId", which->target_id);
        (void) tab_send_browser(t, req, "Target.closeTarget", p, on_tab_closed, strdup(which->target_id));
}

int tool_browser_tabs(McpRequest *req, json_object *arguments) {
        const char *action = json_get_string(arguments, "action") ?: "list";
        if (streq(action, "new"))
                return browser_with_new_tab(req, on_new_tab_open);
        return browser_with_tab(req, tabs_in_tab);
}

/* --- close --------------------------------------------------------------------------------------------------- */

int tool_browser_close(McpRequest *req, json_object *arguments) {
        BrowserSession *s = browser_session_find(&browser_context, req);
        bool had = s && s->context_id;
        if (s)
                browser_session_free(s);
        json_object *st = json_object_new_object();
        json_add(st, "closed", json_object_new_boolean(had));
        return mcp_request_reply_content(req,
                       JSON_ARRAY(mcp_content_text(
                               had ? "Closed the browser context of this session: its tabs, cookies and storage are "
                                     "gone. The next call starts a new one."
                                   : "This session had no browser open.")),
                       st, false)
                ?: 0;
}
