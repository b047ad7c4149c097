/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tab's isolated world: where the page reader runs and refs are found again, out of the page scripts' reach. */
#include <stdio.h>
#include <stdlib.h>

#include "browser.h"
#include "mcp-request.h"

#define WORLD_NAME "aios"

typedef struct WorldCall {
        char *frame_id; /* NULL: the main document */
        char *expression;
        bool by_value;
        bool retried;
        bool fresh; /* the first call in a new world: it sets the world's first ref number */
        WorldReply reply;
        void *userdata;
} WorldCall;

static void world_call_free(WorldCall *c) {
        free(c->frame_id);
        free(c->expression);
        free(c);
}

static void world_send(Tab *t, McpRequest *req, WorldCall *c);

static void on_evaluated(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        WorldCall *c = userdata;
        if (error && !c->retried && strstr(error, "context")) {
                /* The document changed since the world was made: a new one, once. */
                c->retried = true;
                TabFrame *f = c->frame_id ? tab_frame_find(t, c->frame_id, NULL) : NULL;
                if (f)
                        f->world = 0;
                else
                        t->world = 0;
                world_send(t, req, c);
                return;
        }
        if (error) {
                c->reply(req, t, NULL, error, c->userdata);
                world_call_free(c);
                return;
        }
        json_object *details = json_get_object(result, "exceptionDetails");
        if (details) {
                json_object *ex = json_get_object(details, "exception");
                const char *what = (ex ? json_get_string(ex, "description") : NULL) ?: json_get_string(details, "text");
                c->reply(req, t, NULL, what ?: "the script threw an exception", c->userdata);
        } else
                c->reply(req, t, json_get_object(result, "result"), NULL, c->userdata);
        world_call_free(c);
}

/* Where a call goes: the world's context and block, and the DevTools session, frame id of its document. */
typedef struct WorldPlace {
        int *world;
        unsigned *block;
        const char *cdp_session;
        const char *frame_id;
} WorldPlace;

static bool world_place(Tab *t, WorldCall *c, WorldPlace *ret) {
        if (!c->frame_id) {
                *ret = (WorldPlace){ &t->world, &t->main_block, t->cdp_session, t->target_id };
                return true;
        }
        TabFrame *f = tab_frame_find(t, c->frame_id, NULL);
        if (!f)
                return false;
        *ret = (WorldPlace){ &f->world, &f->block, f->cdp_session, f->frame_id };
        return true;
}

static void evaluate_in_world(Tab *t, McpRequest *req, WorldCall *c, const WorldPlace *w) {
        json_object *p = json_object_new_object();
        if (c->fresh) {
                /* Refs of each document (and frame of another origin) of the tab start with other letters: one
                 * from an earlier page names nothing on this one, and a ref says which document it is in. */
                _cleanup_free_ char *e = NULL;
                char prefix[SNAPSHOT_REF_PREFIX_MAX + 1];
                snapshot_ref_prefix(*w->block, prefix);
                if (asprintf(&e, "globalThis.__aiosDocument = \"%s\";\n%s", prefix, c->expression) >= 0)
                        json_add_string(p, "expression", e);
                c->fresh = false;
        }
        if (!json_object_object_get_ex(p, "expression", NULL))
                json_add_string(p, "expression", c->expression);
        json_add(p, "contextId", json_object_new_int(*w->world));
        json_add(p, "returnByValue", json_object_new_boolean(c->by_value));
        json_add(p, "awaitPromise", json_object_new_boolean(true));
        /* A page that keeps its main thread busy does not hold the call for ever. */
        json_add(p, "timeout", json_object_new_int(30000));
        (void) tab_send_to(t, w->cdp_session, req, "Runtime.evaluate", p, on_evaluated, c);
}

static bool block_in_use(Tab *t, unsigned block) {
        if (t->world > 0 && t->main_block == block)
                return true;
        LIST_FOREACH(f, t->frames)
        if (f->world > 0 && f->block == block)
                return true;
        return false;
}

/* The letters of a new world's refs: the next in turn that no live world of the tab has, one letter while one
 * is free (refs stay short), else two. A ref of an earlier page names nothing until 26 worlds later. */
static unsigned world_next_block(Tab *t) {
        for (unsigned k = 0; k < SNAPSHOT_REF_BLOCKS; k++) {
                unsigned n = t->documents + k, block = k < 26 ? n % 26 : 26 + n % (SNAPSHOT_REF_BLOCKS - 26);
                if (!block_in_use(t, block)) {
                        t->documents++;
                        return block;
                }
        }
        return t->documents++ % SNAPSHOT_REF_BLOCKS;
}

static void on_world(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        WorldCall *c = userdata;
        json_object *id;
        WorldPlace w;
        if (!world_place(t, c, &w)) {
                c->reply(req, t, NULL, "the frame went away", c->userdata);
                world_call_free(c);
                return;
        }
        if (error || !json_object_object_get_ex(result, "executionContextId", &id)) {
                c->reply(req, t, NULL, error ?: "the page has no document to read", c->userdata);
                world_call_free(c);
                return;
        }
        *w.world = 0; /* not in use while its letters are chosen */
        *w.block = world_next_block(t);
        *w.world = json_object_get_int(id);
        c->fresh = true;
        evaluate_in_world(t, req, c, &w);
}

static void world_send(Tab *t, McpRequest *req, WorldCall *c) {
        WorldPlace w;
        if (!world_place(t, c, &w)) {
                c->reply(req, t, NULL, "the frame went away", c->userdata);
                world_call_free(c);
                return;
        }
        if (*w.world > 0) {
                evaluate_in_world(t, req, c, &w);
                return;
        }
        json_object *p = json_object_new_object();
        json_add_string(p, "frameId", w.frame_id);
        json_add_string(p, "worldName", WORLD_NAME);
        (void) tab_send_to(t, w.cdp_session, req, "Page.createIsolatedWorld", p, on_world, c);
}

int tab_world_evaluate(Tab *t, McpRequest *req, const char *expression, bool by_value, WorldReply reply,
        void *userdata) {
        return frame_world_evaluate(t, NULL, req, expression, by_value, reply, userdata);
}

int frame_world_evaluate(Tab *t, const char *frame_id, McpRequest *req, const char *expression, bool by_value,
        WorldReply reply, void *userdata) {
        if (t->dialog)
                return mcp_request_reply_tool_error(req,
                               "A %s dialog is open (\"%.300s\"): the page is stopped until browser_handle_dialog "
                               "answers it.",
                               strempty(json_get_string(t->dialog, "type")),
                               strempty(json_get_string(t->dialog, "message")))
                        ?: -EBUSY;
        WorldCall *c = new0(WorldCall, 1);
        if (!c || !(c->expression = strdup(expression)) || (frame_id && !(c->frame_id = strdup(frame_id)))) {
                if (c)
                        world_call_free(c);
                return -ENOMEM;
        }
        c->by_value = by_value;
        c->reply = reply;
        c->userdata = userdata;
        world_send(t, req, c);
        return 0;
}

typedef struct RefCall {
        char ref[16];
        char *cdp_session; /* of the document the ref is in */
        RefReply reply;
        void *userdata;
} RefCall;

static void on_ref(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        RefCall *c = userdata;
        const char *object_id = result ? json_get_string(result, "objectId") : NULL;
        if (error)
                (void) mcp_request_reply_tool_error(req, "Finding %s failed: %s", c->ref, error);
        else if (!object_id)
                (void) mcp_request_reply_tool_error(req,
                        "There is no element %s on the page now (the page changed or navigated, or the ref is from "
                        "another tab); take a new browser_snapshot.",
                        c->ref);
        else
                c->reply(req, t, c->cdp_session, object_id, c->userdata);
        free(c->cdp_session);
        free(c);
}

const char *tab_ref_frame(Tab *t, const char *ref) {
        int block = snapshot_ref_block(ref);
        if (block < 0)
                return NULL;
        if (t->world > 0 && t->main_block == (unsigned) block)
                return NULL;
        LIST_FOREACH(f, t->frames)
        if (f->world > 0 && f->block == (unsigned) block)
                return f->frame_id;
        return NULL;
}

int tab_resolve_ref(Tab *t, McpRequest *req, const char *ref, RefReply reply, void *userdata) {
        if (!snapshot_ref_is_valid(ref))
                return mcp_request_reply_tool_error(req,
                               "\"%.64s\" is not a ref from browser_snapshot (they look like \"b12\").", strempty(ref))
                        ?: -EINVAL;
        /* The ref's letters say which document it is in: the main one, or a frame's. */
        const char *frame_id = tab_ref_frame(t, ref);
        TabFrame *frame = frame_id ? tab_frame_find(t, frame_id, NULL) : NULL;
        RefCall *c = new0(RefCall, 1);
        if (!c || !(c->cdp_session = strdup(frame ? frame->cdp_session : t->cdp_session))) {
                free(c);
                return -ENOMEM;
        }
        snprintf(c->ref, sizeof(c->ref), "%s", ref);
        c->reply = reply;
        c->userdata = userdata;
        char expression[96];
        snprintf(expression, sizeof(expression), "globalThis.__aios ? globalThis.__aios.get(\"%s\") : null", ref);
        int r = frame_world_evaluate(t, frame ? frame->frame_id : NULL, req, expression, false, on_ref, c);
        if (r < 0) {
                free(c->cdp_session);
                free(c);
        }
        return r;
}

typedef struct RefreshCall {
        TabThen then;
        void *userdata;
} RefreshCall;

static void on_refreshed(McpRequest *req, Tab *t, json_object *remote, const char *error, void *userdata) {
        _cleanup_free_ RefreshCall *c = userdata;
        json_object *v = remote ? json_get_object(remote, "value") : NULL;
        const char *title = json_get_string(v, "title"), *url = json_get_string(v, "url");
        char *a = title ? strdup(title) : NULL, *b = url ? strdup(url) : NULL;
        if (a) {
                free(t->title);
                t->title = a;
        }
        if (b) {
                free(t->url);
                t->url = b;
        }
        c->then(req, t, c->userdata);
}

void tab_refresh(Tab *t, McpRequest *req, TabThen then, void *userdata) {
        RefreshCall *c = t->dialog || t->crashed ? NULL : new0(RefreshCall, 1);
        if (!c) {
                then(req, t, userdata);
                return;
        }
        *c = (RefreshCall){ .then = then, .userdata = userdata };
        if (tab_world_evaluate(t, req, "({ title: document.title, url: location.href })", true, on_refreshed, c) < 0) {
                free(c);
                if (!mcp_request_is_done(req))
                        then(req, t, userdata);
        }
}
