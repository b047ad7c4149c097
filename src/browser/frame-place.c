/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where a frame of another origin is on the page: it measures in its own viewport, its iframe's content box
 * (in its parent's viewport) places it there, and so on up through the frames it is nested in. */
#include "browser.h"
#include "mcp-request.h"

typedef struct PlaceCall {
        char *cdp_session; /* the frame whose place in its parent is asked next */
        double dx, dy;     /* from the first frame's viewport to the current parent's */
        double clip[4];    /* what the frames show, in the current parent's viewport: x0, y0, x1, y1 */
        FramePlaced then;
        void *userdata;
} PlaceCall;

static void place_call_free(PlaceCall *c) {
        free(c->cdp_session);
        free(c);
}

static void place_next(McpRequest *req, Tab *t, PlaceCall *c);

static void place_send(Tab *t, McpRequest *req, PlaceCall *c, const char *cdp_session, const char *method,
        json_object *params, TabReply reply) {
        if (tab_send_to(t, cdp_session, req, method, params, reply, c) < 0 || mcp_request_is_done(req))
                place_call_free(c);
}

static void on_owner_box(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        PlaceCall *c = userdata;
        json_object *model = result ? json_get_object(result, "model") : NULL;
        json_object *content = model ? json_get_array(model, "content") : NULL;
        if (error || !content || json_object_array_length(content) < 8) {
                (void) mcp_request_reply_tool_error(req, "The frame the element is in has no place on the page.");
                place_call_free(c);
                return;
        }
        double x0 = json_object_get_double(json_object_array_get_idx(content, 0)),
               y0 = json_object_get_double(json_object_array_get_idx(content, 1)),
               x1 = json_object_get_double(json_object_array_get_idx(content, 4)),
               y1 = json_object_get_double(json_object_array_get_idx(content, 5));
        c->dx += x0, c->dy += y0;
        c->clip[0] = MAX(c->clip[0] + x0, x0), c->clip[1] = MAX(c->clip[1] + y0, y0);
        c->clip[2] = MIN(c->clip[2] + x0, x1), c->clip[3] = MIN(c->clip[3] + y0, y1);
        TabFrame *f = tab_frame_find(t, NULL, c->cdp_session);
        free(c->cdp_session);
        c->cdp_session = f && f->parent_session ? strdup(f->parent_session) : NULL;
        place_next(req, t, c);
}

static void on_frame_owner(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        PlaceCall *c = userdata;
        json_object *id;
        TabFrame *f = tab_frame_find(t, NULL, c->cdp_session);
        if (error || !f || !result || !json_object_object_get_ex(result, "backendNodeId", &id)) {
                (void) mcp_request_reply_tool_error(req, "The frame the element is in could not be found.");
                place_call_free(c);
                return;
        }
        json_object *p = json_object_new_object();
        json_add(p, "backendNodeId", json_object_get(id));
        place_send(t, req, c, f->parent_session, "DOM.getBoxModel", p, on_owner_box);
}

static void place_next(McpRequest *req, Tab *t, PlaceCall *c) {
        TabFrame *f = c->cdp_session ? tab_frame_find(t, NULL, c->cdp_session) : NULL;
        if (!f) {
                /* The page's viewport reached. */
                c->then(req, t, c->dx, c->dy, c->clip, c->userdata);
                place_call_free(c);
                return;
        }
        /* Its iframe is an element of its parent's document: asked there. */
        json_object *p = json_object_new_object();
        json_add_string(p, "frameId", f->frame_id);
        place_send(t, req, c, f->parent_session, "DOM.getFrameOwner", p, on_frame_owner);
}

void tab_frame_place(Tab *t, McpRequest *req, const char *cdp_session, FramePlaced then, void *userdata) {
        PlaceCall *c = new0(PlaceCall, 1);
        if (!c || (cdp_session && !(c->cdp_session = strdup(cdp_session)))) {
                free(c);
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        c->clip[0] = c->clip[1] = -1e9;
        c->clip[2] = c->clip[3] = 1e9;
        c->then = then;
        c->userdata = userdata;
        place_next(req, t, c);
}
