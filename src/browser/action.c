/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the acting tools share: an element's centre, mouse and key events, and the answer once the page settled
 * (a navigation it started loaded, or a dialog it opened told at once). */
#include <stdarg.h>
#include <stdio.h>

#include "action.h"
#include "mcp-request.h"

/* How long a page gets after an action to start navigating before the answer goes out. */
#define SETTLE_USEC (150 * USEC_PER_MSEC)

static void action_structured_add(json_object *s, Tab *t) {
        json_add_string(s, "url", t->url);
        json_add_string(s, "title", t->title);
        json_add(s, "tab", json_object_new_int(t->id));
}

static void action_reply_now(McpRequest *req, Tab *t, void *userdata) {
        const char *what = t->action_what ?: "Done";
        json_object *s = json_object_new_object();
        action_structured_add(s, t);
        (void) tab_reply(req, t, s, "%s. The page is %s, \"%s\".", what, strempty(t->url), strempty(t->title));
}

void action_reply(McpRequest *req, Tab *t, const char *what) {
        if (t->action_req == req)
                t->action_req = mcp_request_unref(t->action_req);
        if (what != t->action_what) {
                free(t->action_what);
                t->action_what = strdup(what);
        }
        tab_refresh(t, req, action_reply_now, NULL);
}

void action_begin(Tab *t, McpRequest *req, const char *what) {
        mcp_request_unref(t->action_req);
        t->action_req = mcp_request_ref(req);
        free(t->action_what);
        t->action_what = strdup(what);
}

static void on_settled_load(Tab *t, McpRequest *req, bool timed_out) {
        action_reply(req, t, t->action_what ?: "Done");
}

static void on_settle(McpRequest *req, void *userdata) {
        Tab *t = tab_find_by_target(&browser_context, userdata);
        free(userdata);
        if (!t) {
                (void) mcp_request_reply_tool_error(req, "The tab went away.");
                return;
        }
        if (t->loading && !t->dialog) {
                if (tab_wait_load(t, req, on_settled_load) >= 0)
                        return;
        }
        action_reply(req, t, t->action_what ?: "Done");
}

void action_settle(McpRequest *req, Tab *t) {
        char *id = strdup(t->target_id);
        if (!id || mcp_request_sleep(req, SETTLE_USEC, on_settle, id) < 0) {
                free(id);
                action_reply(req, t, t->action_what ?: "Done");
        }
}

/* --- an element's centre --------------------------------------------------------------------------- */

typedef struct CenterCall {
        char *object_id;
        char *cdp_session; /* of the element's document: a frame of another origin has its own */
        double x, y;
        CenterReply then;
        void *userdata;
} CenterCall;

static void center_call_free(CenterCall *c) {
        free(c->object_id);
        free(c->cdp_session);
        free(c);
}

/* A frame of another origin measures in its own viewport: where that is on the page (frame-place.c). */
static void on_placed(McpRequest *req, Tab *t, double dx, double dy, const double clip[4], void *userdata) {
        CenterCall *c = userdata;
        c->x += dx, c->y += dy;
        if (c->x < clip[0] || c->y < clip[1] || c->x >= clip[2] || c->y >= clip[3]) {
                (void) mcp_request_reply_tool_error(req,
                        "The element is outside what its frame shows: it cannot be pointed at.");
                center_call_free(c);
                return;
        }
        c->then(req, t, c->x, c->y, c->object_id, c->userdata);
        center_call_free(c);
}

static void on_quads(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        CenterCall *c = userdata;
        json_object *quads = result ? json_get_array(result, "quads") : NULL;
        json_object *q = quads && json_object_array_length(quads) > 0 ? json_object_array_get_idx(quads, 0) : NULL;
        if (error || !q || json_object_array_length(q) < 8) {
                (void) mcp_request_reply_tool_error(req,
                        "The element has no place on the page (hidden, or of no size): it cannot be pointed at.%s%s",
                        error ? " " : "", strempty(error));
                center_call_free(c);
                return;
        }
        for (size_t i = 0; i < 4; i++) {
                c->x += json_object_get_double(json_object_array_get_idx(q, 2 * i)) / 4;
                c->y += json_object_get_double(json_object_array_get_idx(q, 2 * i + 1)) / 4;
        }
        if (tab_frame_find(t, NULL, c->cdp_session)) {
                tab_frame_place(t, req, c->cdp_session, on_placed, c);
                return;
        }
        c->then(req, t, c->x, c->y, c->object_id, c->userdata);
        center_call_free(c);
}

static void on_scrolled(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        CenterCall *c = userdata;
        json_object *p = json_object_new_object();
        json_add_string(p, "objectId", c->object_id);
        (void) tab_send_to(t, c->cdp_session, req, "DOM.getContentQuads", p, on_quads, c);
}

static void on_center_ref(McpRequest *req, Tab *t, const char *cdp_session, const char *object_id, void *userdata) {
        CenterCall *c = userdata;
        c->object_id = strdup(object_id);
        c->cdp_session = strdup(cdp_session);
        json_object *p = json_object_new_object();
        json_add_string(p, "objectId", object_id);
        (void) tab_send_to(t, c->cdp_session, req, "DOM.scrollIntoViewIfNeeded", p, on_scrolled, c);
}

int action_element_center(Tab *t, McpRequest *req, const char *ref, CenterReply then, void *userdata) {
        CenterCall *c = new0(CenterCall, 1);
        if (!c)
                return -ENOMEM;
        c->then = then;
        c->userdata = userdata;
        int r = tab_resolve_ref(t, req, ref, on_center_ref, c);
        if (r < 0)
                free(c);
        return r;
}

/* --- input ------------------------------------------------------------------------------------------- */

int action_mouse(Tab *t, McpRequest *req, const char *type, double x, double y, const char *button, int click_count,
        int modifiers, TabReply reply, void *userdata) {
        json_object *p = json_object_new_object();
        json_add_string(p, "type", type);
        json_add(p, "x", json_object_new_double(x));
        json_add(p, "y", json_object_new_double(y));
        json_add(p, "modifiers", json_object_new_int(modifiers));
        if (button) {
                /* Held while it moves (a drag), up once released. */
                int held = streq(button, "left") ? 1 : streq(button, "right") ? 2 : 4;
                json_add_string(p, "button", button);
                json_add(p, "clickCount", json_object_new_int(click_count));
                json_add(p, "buttons", json_object_new_int(streq(type, "mouseReleased") ? 0 : held));
        }
        if (!reply)
                return tab_send_quiet(t, "Input.dispatchMouseEvent", p);
        return tab_send(t, req, "Input.dispatchMouseEvent", p, reply, userdata);
}

typedef struct KeyInfo {
        const char *name, *key, *code;
        int key_code;
        const char *text;
} KeyInfo;

static const KeyInfo keys[] = {
        { "Enter", "Enter", "Enter", 13, "\r" },
        { "Tab", "Tab", "Tab", 9, NULL },
        { "Escape", "Escape", "Escape", 27, NULL },
        { "Backspace", "Backspace", "Backspace", 8, NULL },
        { "Delete", "Delete", "Delete", 46, NULL },
        { "Space", " ", "Space", 32, " " },
        { "ArrowUp", "ArrowUp", "ArrowUp", 38, NULL },
        { "ArrowDown", "ArrowDown", "ArrowDown", 40, NULL },
        { "ArrowLeft", "ArrowLeft", "ArrowLeft", 37, NULL },
        { "ArrowRight", "ArrowRight", "ArrowRight", 39, NULL },
        { "Home", "Home", "Home", 36, NULL },
        { "End", "End", "End", 35, NULL },
        { "PageUp", "PageUp", "PageUp", 33, NULL },
        { "PageDown", "PageDown", "PageDown", 34, NULL },
        { "Insert", "Insert", "Insert", 45, NULL },
        { "F1", "F1", "F1", 112, NULL },
        { "F2", "F2", "F2", 113, NULL },
        { "F3", "F3", "F3", 114, NULL },
        { "F4", "F4", "F4", 115, NULL },
        { "F5", "F5", "F5", 116, NULL },
        { "F6", "F6", "F6", 117, NULL },
        { "F7", "F7", "F7", 118, NULL },
        { "F8", "F8", "F8", 119, NULL },
        { "F9", "F9", "F9", 120, NULL },
        { "F10", "F10", "F10", 121, NULL },
        { "F11", "F11", "F11", 122, NULL },
        { "F12", "F12", "F12", 123, NULL },
};

int action_key_parse(const char *spec, ActionKey *ret) {
        ActionKey k = {};
        const char *p = spec;
        static const struct {
                const char *prefix;
                int bit;
        } modifiers[] = { { "Alt+", 1 }, { "Control+", 2 }, { "Ctrl+", 2 }, { "Meta+", 4 }, { "Shift+", 8 } };
        for (bool again = true; again;) {
                again = false;
                FOREACH_ELEMENT(m, modifiers)
                if (startswith_ptr(p, m->prefix) && p[strlen(m->prefix)]) {
                        k.modifiers |= m->bit;
                        p += strlen(m->prefix);
                        again = true;
                }
        }
        FOREACH_ELEMENT(info, keys)
        if (streq(p, info->name)) {
                snprintf(k.key, sizeof(k.key), "%s", info->key);
                snprintf(k.code, sizeof(k.code), "%s", info->code);
                k.key_code = info->key_code;
                if (info->text && !(k.modifiers & 7))
                        snprintf(k.text, sizeof(k.text), "%s", info->text);
                *ret = k;
                return 0;
        }
        /* One character (one UTF-8 sequence). */
        size_t n = strlen(p);
        unsigned char c = p[0];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || len == 0 || n != len)
                return -EINVAL;
        snprintf(k.key, sizeof(k.key), "%s", p);
        if (len == 1 && c >= 'a' && c <= 'z') {
                snprintf(k.code, sizeof(k.code), "Key%c", c - 'a' + 'A');
                k.key_code = c - 'a' + 'A';
        } else if (len == 1 && c >= 'A' && c <= 'Z') {
                snprintf(k.code, sizeof(k.code), "Key%c", c);
                k.key_code = c;
                k.modifiers |= 8;
        } else if (len == 1 && c >= '0' && c <= '9') {
                snprintf(k.code, sizeof(k.code), "Digit%c", c);
                k.key_code = c;
        }
        if (!(k.modifiers & 7))
                snprintf(k.text, sizeof(k.text), "%s", p);
        *ret = k;
        return 0;
}

int action_key(Tab *t, McpRequest *req, const ActionKey *k, TabReply reply, void *userdata) {
        for (int up = 0; up <= 1; up++) {
                json_object *p = json_object_new_object();
                json_add_string(p, "type", up ? "keyUp" : k->text[0] ? "keyDown" : "rawKeyDown");
                json_add_string(p, "key", k->key);
                if (k->code[0])
                        json_add_string(p, "code", k->code);
                if (k->key_code) {
                        json_add(p, "windowsVirtualKeyCode", json_object_new_int(k->key_code));
                        json_add(p, "nativeVirtualKeyCode", json_object_new_int(k->key_code));
                }
                json_add(p, "modifiers", json_object_new_int(k->modifiers));
                if (!up && k->text[0]) {
                        json_add_string(p, "text", k->text);
                        json_add_string(p, "unmodifiedText", k->text);
                }
                int r = up && reply ? tab_send(t, req, "Input.dispatchKeyEvent", p, reply, userdata)
                                    : tab_send_quiet(t, "Input.dispatchKeyEvent", p);
                if (r < 0)
                        return r;
        }
        return 0;
}
