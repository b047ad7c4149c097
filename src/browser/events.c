/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The browser's events, to the tab they belong to: targets attached, changed, crashed or gone. */
#include "browser.h"
#include "log.h"

static void on_target_info_changed(Browser *b, json_object *params) {
        json_object *info = json_get_object(params, "targetInfo");
        const char *id = info ? json_get_string(info, "targetId") : NULL;
        Tab *t = id ? tab_find_by_target(b, id) : NULL;
        if (!t)
                return;
        const char *url = json_get_string(info, "url"), *title = json_get_string(info, "title");
        char *u = url ? strdup(url) : NULL, *ti = title ? strdup(title) : NULL;
        if (u) {
                free(t->url);
                t->url = u;
        }
        if (ti) {
                free(t->title);
                t->title = ti;
        }
}

void browser_on_event(Cdp *c, const char *session_id, const char *method, json_object *params, void *userdata) {
        Browser *b = userdata;
        if (streq(method, "Target.attachedToTarget")) {
                tab_on_attached(b, session_id, params);
                return;
        }
        if (!session_id) {
                if (streq(method, "Target.targetInfoChanged"))
                        on_target_info_changed(b, params);
                else if (streq(method, "Target.targetDestroyed")) {
                        const char *id = json_get_string(params, "targetId");
                        Tab *t = id ? tab_find_by_target(b, id) : NULL;
                        if (t)
                                tab_free(t);
                } else if (streq(method, "Target.targetCrashed")) {
                        const char *id = json_get_string(params, "targetId");
                        Tab *t = id ? tab_find_by_target(b, id) : NULL;
                        if (t)
                                tab_on_event(b, t, t->cdp_session, "Inspector.targetCrashed", params);
                } else if (streq(method, "Target.detachedFromTarget")) {
                        const char *sid = json_get_string(params, "sessionId");
                        Tab *t = route_tab(b, sid);
                        if (t && !streq(t->cdp_session, sid))
                                route_remove(b, sid);
                }
                return;
        }
        if (streq(method, "Target.detachedFromTarget")) {
                const char *sid = json_get_string(params, "sessionId");
                Tab *t = route_tab(b, sid);
                if (t && !streq(t->cdp_session, sid)) {
                        TabFrame *f = tab_frame_find(t, NULL, sid);
                        if (f)
                                tab_frame_free(t, f);
                        route_remove(b, sid);
                }
                return;
        }
        tab_on_event(b, route_tab(b, session_id), session_id, method, params);
}
