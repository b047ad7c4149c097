/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* browser_click, browser_hover, browser_drag, browser_type, browser_press_key: real input events at an element. */
#include <stdio.h>

#include "action.h"
#include "log.h"
#include "mcp-request.h"

static json_object *arguments_of(McpRequest *req) {
        return json_get_object(mcp_request_get_params(req), "arguments");
}

static void what_with_element(char *buf, size_t size, const char *verb, json_object *arguments) {
        snprintf(buf, size, "%s %.200s (%s)", verb, strempty(json_get_string(arguments, "element")),
                strempty(json_get_string(arguments, "ref")));
}

static void on_input_done(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        if (error) {
                tab_reply_failed(req, "The input", error);
                return;
        }
        action_settle(req, t);
}

/* --- click ------------------------------------------------------------------------------------------- */

static void click_at(McpRequest *req, Tab *t, double x, double y, const char *object_id, void *userdata) {
        json_object *arguments = arguments_of(req);
        const char *button = json_get_string(arguments, "button") ?: "left";
        int modifiers = 0;
        json_object *mods = json_get_array(arguments, "modifiers");
        for (size_t i = 0; mods && i < json_object_array_length(mods); i++) {
                const char *m = json_object_get_string(json_object_array_get_idx(mods, i));
                modifiers |= streq(m, "Alt") ? 1 : streq(m, "Control") ? 2 : streq(m, "Meta") ? 4 : 8;
        }
        bool twice = json_get_bool(arguments, "doubleClick", false);
        char what[300];
        what_with_element(what, sizeof(what), twice ? "Double-clicked" : "Clicked", arguments);
        action_begin(t, req, what);
        (void) action_mouse(t, req, "mouseMoved", x, y, NULL, 0, modifiers, NULL, NULL);
        for (int n = 1; n <= (twice ? 2 : 1); n++) {
                (void) action_mouse(t, req, "mousePressed", x, y, button, n, modifiers, NULL, NULL);
                (void) action_mouse(t, req, "mouseReleased", x, y, button, n, modifiers,
                        n == (twice ? 2 : 1) ? on_input_done : NULL, NULL);
        }
}

static void click_in_tab(McpRequest *req, Tab *t) {
        (void) action_element_center(t, req, json_get_string(arguments_of(req), "ref"), click_at, NULL);
}

int tool_browser_click(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, click_in_tab);
}

/* --- hover ------------------------------------------------------------------------------------------- */

static void hover_at(McpRequest *req, Tab *t, double x, double y, const char *object_id, void *userdata) {
        char what[300];
        what_with_element(what, sizeof(what), "Moved the mouse over", arguments_of(req));
        action_begin(t, req, what);
        (void) action_mouse(t, req, "mouseMoved", x, y, NULL, 0, 0, on_input_done, NULL);
}

static void hover_in_tab(McpRequest *req, Tab *t) {
        (void) action_element_center(t, req, json_get_string(arguments_of(req), "ref"), hover_at, NULL);
}

int tool_browser_hover(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, hover_in_tab);
}

/* --- drag -------------------------------------------------------------------------------------------- */

/* The moves between press and release, as a hand makes them: pages start a drag on the first ones. */
#define DRAG_STEPS 5

/* A page's own drag (a slider, a canvas) sees the press, the moves and the release. An HTML5 drag (draggable,
 * dragstart, drop) is one the browser would hand to the desktop: with Input.setInterceptDrags the browser tells
 * its data instead (Input.dragIntercepted, session.c), and the drag's events carry it to the target. */
typedef struct DragCall {
        double x0, y0, x1, y1;
        int step;     /* the moves made */
        bool checked; /* a round trip after the last move, for an interception still on its way */
} DragCall;

static void drag_point(const DragCall *d, int step, double *x, double *y) {
        *x = d->x0 + (d->x1 - d->x0) * step / DRAG_STEPS;
        *y = d->y0 + (d->y1 - d->y0) * step / DRAG_STEPS;
}

static int drag_event(Tab *t, McpRequest *req, const char *type, double x, double y, json_object *data, TabReply reply,
        void *userdata) {
        json_object *p = json_object_new_object();
        json_add_string(p, "type", type);
        json_add(p, "x", json_object_new_double(x));
        json_add(p, "y", json_object_new_double(y));
        json_add(p, "data", json_object_get(data));
        if (!reply)
                return tab_send_quiet(t, "Input.dispatchDragEvent", p);
        return tab_send(t, req, "Input.dispatchDragEvent", p, reply, userdata);
}

static void drag_intercept(Tab *t, bool enabled) {
        json_object *p = json_object_new_object();
        json_add(p, "enabled", json_object_new_boolean(enabled));
        (void) tab_send_quiet(t, "Input.setInterceptDrags", p);
}

/* The browser's drag is over with the drop: no release follows, as none reaches a page after a real one. */
static void drag_drop(McpRequest *req, Tab *t, DragCall *d) {
        _cleanup_json_ json_object *data = TAKE_PTR(t->drag_data);
        drag_intercept(t, false);
        double x, y;
        drag_point(d, d->step, &x, &y);
        (void) drag_event(t, req, "dragEnter", x, y, data, NULL, NULL);
        for (int i = d->step + 1; i <= DRAG_STEPS; i++) {
                drag_point(d, i, &x, &y);
                (void) drag_event(t, req, "dragOver", x, y, data, NULL, NULL);
        }
        if (d->step == DRAG_STEPS)
                (void) drag_event(t, req, "dragOver", d->x1, d->y1, data, NULL, NULL);
        (void) drag_event(t, req, "drop", d->x1, d->y1, data, on_input_done, NULL);
        free(d);
}

static void on_drag_moved(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        DragCall *d = userdata;
        if (error) {
                json_object_put(TAKE_PTR(t->drag_data));
                drag_intercept(t, false);
                (void) action_mouse(t, req, "mouseReleased", d->x1, d->y1, "left", 1, 0, NULL, NULL);
                free(d);
                tab_reply_failed(req, "The input", error);
                return;
        }
        if (t->drag_data) {
                drag_drop(req, t, d);
                return;
        }
        if (d->step < DRAG_STEPS || !d->checked) {
                /* After the last move, that move once more: its answer comes after the browser heard of a drag
                 * the moves before started. */
                if (d->step < DRAG_STEPS)
                        d->step++;
                else
                        d->checked = true;
                double x, y;
                drag_point(d, d->step, &x, &y);
                if (action_mouse(t, req, "mouseMoved", x, y, "left", 0, 0, on_drag_moved, d) < 0)
                        free(d);
                return;
        }
        drag_intercept(t, false);
        (void) action_mouse(t, req, "mouseReleased", d->x1, d->y1, "left", 1, 0, on_input_done, NULL);
        free(d);
}

static void on_intercepting(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        DragCall *d = userdata;
        /* A browser without interception still gets the mouse's drag. */
        if (error)
                log_debug("Input.setInterceptDrags failed: %s", error);
        json_object_put(TAKE_PTR(t->drag_data));
        (void) action_mouse(t, req, "mouseMoved", d->x0, d->y0, NULL, 0, 0, NULL, NULL);
        (void) action_mouse(t, req, "mousePressed", d->x0, d->y0, "left", 1, 0, NULL, NULL);
        on_drag_moved(req, t, NULL, NULL, d);
}

static void drag_to(McpRequest *req, Tab *t, double x, double y, const char *object_id, void *userdata) {
        DragCall *d = userdata;
        json_object *arguments = arguments_of(req);
        char what[600];
        snprintf(what, sizeof(what), "Dragged %.200s (%s) onto %.200s (%s)",
                strempty(json_get_string(arguments, "startElement")), strempty(json_get_string(arguments, "startRef")),
                strempty(json_get_string(arguments, "endElement")), strempty(json_get_string(arguments, "endRef")));
        action_begin(t, req, what);
        d->x1 = x, d->y1 = y;
        json_object *p = json_object_new_object();
        json_add(p, "enabled", json_object_new_boolean(true));
        if (tab_send(t, req, "Input.setInterceptDrags", p, on_intercepting, d) < 0)
                free(d);
}

static void drag_from(McpRequest *req, Tab *t, double x, double y, const char *object_id, void *userdata) {
        DragCall *d = new0(DragCall, 1);
        if (!d) {
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        *d = (DragCall){ .x0 = x, .y0 = y };
        if (action_element_center(t, req, json_get_string(arguments_of(req), "endRef"), drag_to, d) < 0)
                free(d);
}

static void drag_in_tab(McpRequest *req, Tab *t) {
        (void) action_element_center(t, req, json_get_string(arguments_of(req), "startRef"), drag_from, NULL);
}

int tool_browser_drag(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, drag_in_tab);
}

/* --- type -------------------------------------------------------------------------------------------- */

/* Selects what the field holds, so that the text replaces it. */
static const char select_contents[] =
        "function() { this.focus(); if (typeof this.select === 'function') { this.select(); return; } "
        "if (this.isContentEditable) { const r = document.createRange(); r.selectNodeContents(this); "
        "const s = getSelection(); s.removeAllRanges(); s.addRange(r); } }";

static void on_typed(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        if (error) {
                tab_reply_failed(req, "Typing", error);
                return;
        }
        json_object *arguments = arguments_of(req);
        if (json_get_bool(arguments, "submit", false)) {
                ActionKey enter;
                (void) action_key_parse("Enter", &enter);
                (void) action_key(t, req, &enter, on_input_done, NULL);
                return;
        }
        action_settle(req, t);
}

static void on_selected(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        if (error) {
                tab_reply_failed(req, "Focusing the field", error);
                return;
        }
        json_object *arguments = arguments_of(req);
        const char *text = json_get_string(arguments, "text") ?: "";
        char what[300];
        what_with_element(what, sizeof(what), "Typed into", arguments);
        action_begin(t, req, what);
        if (!*text) {
                /* Nothing to insert: the selection goes. */
                ActionKey del;
                (void) action_key_parse("Delete", &del);
                (void) action_key(t, req, &del, on_typed, NULL);
                return;
        }
        if (!json_get_bool(arguments, "slowly", false)) {
                json_object *p = json_object_new_object();
                json_add_string(p, "text", text);
                (void) tab_send(t, req, "Input.insertText", p, on_typed, NULL);
                return;
        }
        /* A key at a time: each character as keydown, keypress, input and keyup. */
        for (const char *p = text; *p;) {
                unsigned char c = *p;
                size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
                char one[8] = {};
                memcpy(one, p, MIN(len, strlen(p)));
                p += strlen(one);
                ActionKey k = {};
                if (streq(one, "\n"))
                        (void) action_key_parse("Enter", &k);
                else if (action_key_parse(one, &k) < 0)
                        continue;
                (void) action_key(t, req, &k, *p ? NULL : on_typed, NULL);
        }
}

static void type_into(McpRequest *req, Tab *t, const char *cdp_session, const char *object_id, void *userdata) {
        json_object *p = json_object_new_object();
        json_add_string(p, "objectId", object_id);
        json_add_string(p, "functionDeclaration", select_contents);
        /* As a user's: a frame of another origin may take the focus then. */
        json_add(p, "userGesture", json_object_new_boolean(true));
        (void) tab_send_to(t, cdp_session, req, "Runtime.callFunctionOn", p, on_selected, NULL);
}

static void type_in_tab(McpRequest *req, Tab *t) {
        (void) tab_resolve_ref(t, req, json_get_string(arguments_of(req), "ref"), type_into, NULL);
}

int tool_browser_type(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, type_in_tab);
}

/* --- press_key ----------------------------------------------------------------------------------------- */

static void press_in_tab(McpRequest *req, Tab *t) {
        const char *spec = json_get_string(arguments_of(req), "key");
        ActionKey k;
        if (action_key_parse(spec, &k) < 0) {
                (void) mcp_request_reply_tool_error(req,
                        "\"%.64s\" is not a key: name one (Enter, Tab, Escape, Backspace, Delete, Space, ArrowUp, "
                        "ArrowDown, ArrowLeft, ArrowRight, Home, End, PageUp, PageDown, Insert, F1-F12) or give one "
                        "character, optionally after Control+, Alt+, Shift+ or Meta+.",
                        strempty(spec));
                return;
        }
        if (t->dialog) {
                (void) mcp_request_reply_tool_error(req,
                        "A dialog stops the page; browser_handle_dialog answers it before keys reach the page.");
                return;
        }
        char what[128];
        snprintf(what, sizeof(what), "Pressed %s", spec);
        action_begin(t, req, what);
        (void) action_key(t, req, &k, on_input_done, NULL);
}

int tool_browser_press_key(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, press_in_tab);
}
