/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* browser_take_screenshot (image content) and browser_pdf_save (an embedded resource). */
#include <stdio.h>

#include "browser.h"
#include "mcp-content.h"
#include "mcp-request.h"

/* Base64 beyond this is refused: an answer the gateway and the client can carry. */
#define CAPTURE_MAX_BASE64 (24U * 1024U * 1024U)

static json_object *arguments_of(McpRequest *req) {
        return json_get_object(mcp_request_get_params(req), "arguments");
}

static bool refuse_while_dialog(McpRequest *req, Tab *t) {
        if (!t->dialog)
                return false;
        (void) mcp_request_reply_tool_error(req,
                "A dialog stops the page; browser_handle_dialog answers it before the page can be captured.");
        return true;
}

/* --- screenshot -------------------------------------------------------------------------------------------- */

static void on_captured(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        const char *mime = userdata;
        const char *data = result ? json_get_string(result, "data") : NULL;
        if (error || !data) {
                tab_reply_failed(req, "Taking the screenshot", error ?: "no image");
                return;
        }
        size_t n = strlen(data);
        if (n > CAPTURE_MAX_BASE64) {
                (void) mcp_request_reply_tool_error(req,
                        "The screenshot is %zu MiB of base64, more than the %u MiB an answer may carry: take the "
                        "viewport, an element, or type jpeg.",
                        n >> 20, CAPTURE_MAX_BASE64 >> 20);
                return;
        }
        json_object *s = json_object_new_object();
        json_add_string(s, "mimeType", mime);
        json_add(s, "bytes", json_object_new_int64(n / 4 * 3));
        json_add_string(s, "url", t->url);
        json_add(s, "tab", json_object_new_int(t->id));
        _cleanup_free_ char *prefix = tab_status_prefix(t);
        char line[300];
        snprintf(line, sizeof(line), "%sA screenshot of %.200s (%s).", strempty(prefix), strempty(t->url), mime);
        (void) mcp_request_reply_content(req, JSON_ARRAY(mcp_content_text(line), mcp_content_image(data, mime)), s,
                false);
}

static json_object *capture_params(McpRequest *req) {
        json_object *arguments = arguments_of(req);
        const char *type = json_get_string(arguments, "type") ?: "png";
        json_object *p = json_object_new_object();
        json_add_string(p, "format", type);
        if (streq(type, "jpeg"))
                json_add(p, "quality", json_object_new_int(80));
        return p;
}

static const char *capture_mime(McpRequest *req) {
        const char *type = json_get_string(arguments_of(req), "type") ?: "png";
        return streq(type, "jpeg") ? "image/jpeg" : "image/png";
}

static void capture_clip(McpRequest *req, Tab *t, double x, double y, double w, double h) {
        json_object *p = capture_params(req);
        json_object *clip = json_object_new_object();
        json_add(clip, "x", json_object_new_double(x));
        json_add(clip, "y", json_object_new_double(y));
        json_add(clip, "width", json_object_new_double(MAX(w, 1)));
        json_add(clip, "height", json_object_new_double(MAX(h, 1)));
        json_add(clip, "scale", json_object_new_int(1));
        json_add(p, "clip", clip);
        json_add(p, "captureBeyondViewport", json_object_new_boolean(true));
        (void) tab_send(t, req, "Page.captureScreenshot", p, on_captured, (void *) capture_mime(req));
}

static void on_metrics(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        json_object *size = result ? json_get_object(result, "cssContentSize") : NULL;
        if (error || !size) {
                tab_reply_failed(req, "Measuring the page", error ?: "no size");
                return;
        }
        double w = json_object_get_double(json_object_object_get(size, "width"));
        double h = json_object_get_double(json_object_object_get(size, "height"));
        /* Chromium's limit for one capture is 16384 pixels each way. */
        capture_clip(req, t, 0, 0, MIN(w, 16384), MIN(h, 16384));
}

/* An element's box, in the viewport of the page (a frame of another origin measures in its own viewport, placed
 * on the page by frame-place.c), then in the page. */
typedef struct ElementShot {
        char *object_id;
        char *cdp_session; /* of the element's document */
        double x0, y0, x1, y1;
} ElementShot;

static void element_shot_free(ElementShot *c) {
        free(c->object_id);
        free(c->cdp_session);
        free(c);
}

/* Sends a command of the shot on to cdp_session (NULL: the page's); c is freed when it cannot be sent. */
static void shot_send(Tab *t, McpRequest *req, ElementShot *c, const char *cdp_session, const char *method,
        json_object *params, TabReply reply) {
        if (tab_send_to(t, cdp_session, req, method, params, reply, c) < 0 || mcp_request_is_done(req))
                element_shot_free(c);
}

static void on_element_viewport(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        ElementShot *c = userdata;
        json_object *vp = result ? json_get_object(result, "cssVisualViewport") : NULL;
        if (error || !vp) {
                tab_reply_failed(req, "Measuring the page", error ?: "no viewport");
                element_shot_free(c);
                return;
        }
        /* Quads are in the viewport; a clip is in the page. */
        double sx = json_object_get_double(json_object_object_get(vp, "pageX"));
        double sy = json_object_get_double(json_object_object_get(vp, "pageY"));
        capture_clip(req, t, c->x0 + sx, c->y0 + sy, c->x1 - c->x0, c->y1 - c->y0);
        element_shot_free(c);
}

static void on_placed(McpRequest *req, Tab *t, double dx, double dy, const double clip[4], void *userdata) {
        ElementShot *c = userdata;
        /* What the frames show of the element: the part outside them is not on the page. */
        c->x0 = MAX(c->x0 + dx, clip[0]), c->y0 = MAX(c->y0 + dy, clip[1]);
        c->x1 = MIN(c->x1 + dx, clip[2]), c->y1 = MIN(c->y1 + dy, clip[3]);
        if (c->x1 <= c->x0 || c->y1 <= c->y0) {
                (void) mcp_request_reply_tool_error(req,
                        "The element is outside what its frame shows: nothing of it to capture.");
                element_shot_free(c);
                return;
        }
        shot_send(t, req, c, NULL, "Page.getLayoutMetrics", NULL, on_element_viewport);
}

static void on_element_quads(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        ElementShot *c = userdata;
        json_object *quads = result ? json_get_array(result, "quads") : NULL;
        json_object *q = quads && json_object_array_length(quads) > 0 ? json_object_array_get_idx(quads, 0) : NULL;
        if (error || !q || json_object_array_length(q) < 8) {
                (void) mcp_request_reply_tool_error(req, "The element has no place on the page: nothing to capture.");
                element_shot_free(c);
                return;
        }
        c->x0 = 1e9, c->y0 = 1e9, c->x1 = -1e9, c->y1 = -1e9;
        for (size_t i = 0; i < 4; i++) {
                double x = json_object_get_double(json_object_array_get_idx(q, 2 * i));
                double y = json_object_get_double(json_object_array_get_idx(q, 2 * i + 1));
                c->x0 = MIN(c->x0, x), c->y0 = MIN(c->y0, y), c->x1 = MAX(c->x1, x), c->y1 = MAX(c->y1, y);
        }
        if (tab_frame_find(t, NULL, c->cdp_session)) {
                tab_frame_place(t, req, c->cdp_session, on_placed, c);
                return;
        }
        shot_send(t, req, c, NULL, "Page.getLayoutMetrics", NULL, on_element_viewport);
}

static void on_element_scrolled(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        ElementShot *c = userdata;
        json_object *p = json_object_new_object();
        json_add_string(p, "objectId", c->object_id);
        shot_send(t, req, c, c->cdp_session, "DOM.getContentQuads", p, on_element_quads);
}

static void shoot_element(McpRequest *req, Tab *t, const char *cdp_session, const char *object_id, void *userdata) {
        ElementShot *c = new0(ElementShot, 1);
        if (!c || !(c->object_id = strdup(object_id)) || !(c->cdp_session = strdup(cdp_session))) {
                if (c)
                        element_shot_free(c);
                (void) mcp_request_reply_tool_error(req, "Out of memory.");
                return;
        }
        /* Scrolled into view in its document (and a frame's owner in the page with it). */
        json_object *p = json_object_new_object();
        json_add_string(p, "objectId", object_id);
        shot_send(t, req, c, c->cdp_session, "DOM.scrollIntoViewIfNeeded", p, on_element_scrolled);
}

static void screenshot_in_tab(McpRequest *req, Tab *t) {
        if (refuse_while_dialog(req, t))
                return;
        json_object *arguments = arguments_of(req);
        const char *ref = json_get_string(arguments, "ref");
        if (ref) {
                (void) tab_resolve_ref(t, req, ref, shoot_element, NULL);
                return;
        }
        if (json_get_bool(arguments, "fullPage", false)) {
                (void) tab_send(t, req, "Page.getLayoutMetrics", NULL, on_metrics, NULL);
                return;
        }
        (void) tab_send(t, req, "Page.captureScreenshot", capture_params(req), on_captured, (void *) capture_mime(req));
}

int tool_browser_take_screenshot(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, screenshot_in_tab);
}

/* --- PDF ----------------------------------------------------------------------------------------------------- */

static void on_printed(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata) {
        const char *data = result ? json_get_string(result, "data") : NULL;
        if (error || !data) {
                tab_reply_failed(req, "Printing the page to PDF", error ?: "no document");
                return;
        }
        size_t n = strlen(data);
        if (n > CAPTURE_MAX_BASE64) {
                (void) mcp_request_reply_tool_error(req,
                        "The PDF is %zu MiB of base64, more than the %u MiB an answer may carry.", n >> 20,
                        CAPTURE_MAX_BASE64 >> 20);
                return;
        }
        const char *filename = json_get_string(arguments_of(req), "filename") ?: "page.pdf";
        char uri[200];
        snprintf(uri, sizeof(uri), "browser://tab/%u/%s", t->id, filename);
        json_object *s = json_object_new_object();
        json_add_string(s, "uri", uri);
        json_add_string(s, "mimeType", "application/pdf");
        json_add(s, "bytes", json_object_new_int64(n / 4 * 3));
        json_add_string(s, "url", t->url);
        json_add(s, "tab", json_object_new_int(t->id));
        _cleanup_free_ char *prefix = tab_status_prefix(t);
        char line[400];
        snprintf(line, sizeof(line), "%s%.200s as PDF (%s, %zu bytes).", strempty(prefix), strempty(t->url), uri,
                n / 4 * 3);
        (void) mcp_request_reply_content(req,
                JSON_ARRAY(mcp_content_text(line),
                        mcp_content_resource(mcp_resource_blob(uri, "application/pdf", data))),
                s, false);
}

static void pdf_in_tab(McpRequest *req, Tab *t) {
        if (refuse_while_dialog(req, t))
                return;
        json_object *arguments = arguments_of(req);
        json_object *p = json_object_new_object();
        json_add(p, "landscape", json_object_new_boolean(json_get_bool(arguments, "landscape", false)));
        json_add(p, "printBackground", json_object_new_boolean(json_get_bool(arguments, "printBackground", true)));
        (void) tab_send(t, req, "Page.printToPDF", p, on_printed, NULL);
}

int tool_browser_pdf_save(McpRequest *req, json_object *arguments) {
        return browser_with_tab(req, pdf_in_tab);
}
