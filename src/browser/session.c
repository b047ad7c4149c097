/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sessions' browser contexts and their tabs: made on a session's first call (Target.createBrowserContext), one
 * per MCP session, disposed when the session ends; each tab attached and configured before it runs. */
#include <stdarg.h>
#include <stdio.h>

#include "browser.h"
#include "log.h"
#include "mcp-content.h"
#include "mcp-request.h"
#include "mcp-session.h"
#include "time-util.h"

typedef struct SessionWaiter {
        McpRequest *req;
        TabReady then;
        char *target_id; /* a tab being made: its target, once known */
        bool new_tab;
        LIST_FIELDS(struct SessionWaiter);
} SessionWaiter;

static SessionWaiter *waiter_free(SessionWaiter *w) {
        if (!w)
                return NULL;
        mcp_request_unref(w->req);
        free(w->target_id);
        free(w);
        return NULL;
}

static void session_fail_waiters(BrowserSession *s, const char *error) {
        while (s->waiters) {
                SessionWaiter *w = s->waiters;
                LIST_REMOVE(s->waiters, w);
                (void) mcp_request_reply_tool_error(w->req, "%s", error);
                waiter_free(w);
        }
}

static char *session_key(McpRequest *req) {
        McpSession *m = mcp_request_get_session(req);
        char *key = NULL;
        if (m)
                return strdup(mcp_session_get_id(m));
        if (asprintf(&key, "principal:%s", mcp_request_get_principal(req) ?: "anonymous") < 0)
                return NULL;
        return key;
}

BrowserSession *browser_session_find(Browser *b, McpRequest *req) {
        _cleanup_free_ char *key = session_key(req);
        if (!key)
                return NULL;
        LIST_FOREACH(s, b->sessions)
        if (streq(s->key, key))
                return s;
        return NULL;
}

/* --- routes: DevTools session id -> tab ------------------------------------------------------------- */

typedef struct Route {
        char *id;
        Tab *tab;
} Route;

void route_add(Browser *b, const char *cdp_session, Tab *t) {
        Route *r = new0(Route, 1);
        if (!r || !(r->id = strdup(cdp_session))) {
                free(r);
                return;
        }
        r->tab = t;
        if (hashmap_put(b->by_cdp_session, r->id, r) < 0) {
                free(r->id);
                free(r);
        }
}

Tab *route_tab(Browser *b, const char *cdp_session) {
        Route *r = cdp_session ? hashmap_get(b->by_cdp_session, cdp_session) : NULL;
        return r ? r->tab : NULL;
}

void route_remove(Browser *b, const char *cdp_session) {
        Route *r = hashmap_remove(b->by_cdp_session, cdp_session);
        if (r) {
                free(r->id);
                free(r);
        }
}

/* Every route, or those to tab t (NULL: all). */
void routes_clear(Browser *b, Tab *t) {
        Route *r;
        size_t i = 0;
        while (hashmap_iterate(b->by_cdp_session, &i, (void **) &r, NULL))
                if (!t || r->tab == t) {
                        hashmap_remove(b->by_cdp_session, r->id);
                        free(r->id);
                        free(r);
                        i = 0;
                }
}

/* --- tabs ------------------------------------------------------------------------------------------ */

TabFrame *tab_frame_find(Tab *t, const char *frame_id, const char *cdp_session) {
        LIST_FOREACH(f, t->frames)
        if ((frame_id && streq(f->frame_id, frame_id)) || (cdp_session && streq(f->cdp_session, cdp_session)))
                return f;
        return NULL;
}

void tab_frame_free(Tab *t, TabFrame *f) {
        LIST_REMOVE(t->frames, f);
        free(f->frame_id);
        free(f->cdp_session);
        free(f->parent_session);
        free(f);
}

void tab_cancel_load_wait(Tab *t) {
        t->load_timer = sd_event_source_disable_unref(t->load_timer);
        if (t->load_waiter) {
                McpRequest *req = TAKE_PTR(t->load_waiter);
                mcp_request_unref(req);
        }
        t->load_done = NULL;
}

static void tab_load_finish(Tab *t, bool timed_out) {
        if (!t->load_waiter)
                return;
        McpRequest *req = TAKE_PTR(t->load_waiter);
        void (*done)(Tab *, McpRequest *, bool) = t->load_done;
        t->load_done = NULL;
        t->load_timer = sd_event_source_disable_unref(t->load_timer);
        if (!mcp_request_is_done(req))
                done(t, req, timed_out);
        mcp_request_unref(req);
}

static int on_load_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        tab_load_finish(userdata, true);
        return 0;
}

int tab_wait_load(Tab *t, McpRequest *req, void (*done)(Tab *t, McpRequest *req, bool timed_out)) {
        tab_cancel_load_wait(t);
        Browser *b = t->session->browser;
        int r = sd_event_add_time_relative(b->event, &t->load_timer, CLOCK_MONOTONIC, b->config.navigation_timeout_usec,
                0, on_load_timeout, t);
        if (r < 0)
                return r;
        t->load_waiter = mcp_request_ref(req);
        t->load_done = done;
        return 0;
}

void tab_free(Tab *t) {
        if (!t)
                return;
        BrowserSession *s = t->session;
        /* A waiter's answer: the tab it waited for is gone. */
        if (t->load_waiter && !mcp_request_is_done(t->load_waiter))
                (void) mcp_request_reply_tool_error(t->load_waiter,
                        t->crashed ? "The page crashed while loading." : "The tab was closed while loading.");
        tab_cancel_load_wait(t);
        mcp_request_unref(t->action_req);
        free(t->action_what);
        json_object_put(t->drag_data);
        LIST_REMOVE(s->tabs, t);
        if (s->current == t)
                s->current = s->tabs;
        Browser *b = s->browser;
        /* Its own DevTools session and its frames' and workers'. */
        routes_clear(b, t);
        while (t->frames)
                tab_frame_free(t, t->frames);
        free(t->target_id);
        free(t->cdp_session);
        free(t->url);
        free(t->title);
        free(t->last_blocked);
        json_object_put(t->console);
        json_object_put(t->network);
        json_object_put(t->dialog);
        free(t);
}

Tab *tab_find_by_target(Browser *b, const char *target_id) {
        LIST_FOREACH(s, b->sessions)
        LIST_FOREACH(t, s->tabs)
        if (streq(t->target_id, target_id))
                return t;
        return NULL;
}

Tab *session_tab_by_id(BrowserSession *s, unsigned id) {
        LIST_FOREACH(t, s->tabs)
        if (t->id == id)
                return t;
        return NULL;
}

static BrowserSession *session_by_context(Browser *b, const char *context_id) {
        LIST_FOREACH(s, b->sessions)
        if (s->context_id && context_id && streq(s->context_id, context_id))
                return s;
        return NULL;
}

static void session_set_notice(BrowserSession *s, const char *text) {
        char *n = NULL;
        if (s->notice ? asprintf(&n, "%s\n%s", s->notice, text) < 0 : !(n = strdup(text)))
                return;
        free(s->notice);
        s->notice = n;
}

static void send_quiet(Browser *b, const char *cdp_session, const char *method, json_object *params) {
        (void) cdp_send(b->cdp, cdp_session, method, params, NULL, NULL);
}

/* A tab (or a frame's or worker's target of one) is attached and waits: interception on, then let it run. */
static void session_serve_waiters(BrowserSession *s);

static void on_tab_configured(Cdp *c, json_object *result, const char *error, void *userdata) {
        Browser *b = &browser_context;
        char *target_id = userdata;
        Tab *t = tab_find_by_target(b, target_id);
        free(target_id);
        if (!t || t->ready)
                return;
        t->ready = true;
        BrowserSession *s = t->session;
        LIST_FOREACH(w, s->waiters)
        if (w->target_id && streq(w->target_id, t->target_id)) {
                LIST_REMOVE(s->waiters, w);
                s->current = t;
                McpRequest *req = mcp_request_ref(w->req);
                TabReady then = w->then;
                waiter_free(w);
                if (!mcp_request_is_done(req))
                        then(req, t);
                mcp_request_unref(req);
                session_serve_waiters(s);
                return;
        }
        if (s->current != t && t->id > 1) {
                char text[200];
                snprintf(text, sizeof(text), "The page opened a new tab (%u); browser_tabs select switches to it.",
                        t->id);
                session_set_notice(s, text);
        }
}

static void configure_target(Browser *b, const char *cdp_session, const char *type, const char *target_id) {
        json_object *fetch = json_object_new_object();
        json_object *patterns = json_object_new_array();
        json_object *all = json_object_new_object();
        json_add_string(all, "urlPattern", "*");
        json_add_string(all, "requestStage", "Request");
        json_object_array_add(patterns, all);
        json_add(fetch, "patterns", patterns);
        send_quiet(b, cdp_session, "Fetch.enable", fetch);

        bool page = streq(type, "page") || streq(type, "iframe");
        if (page) {
                send_quiet(b, cdp_session, "Page.enable", NULL);
                send_quiet(b, cdp_session, "Runtime.enable", NULL);
                send_quiet(b, cdp_session, "Network.enable", NULL);
        } else if (streq(type, "worker") || streq(type, "shared_worker") || streq(type, "service_worker"))
                send_quiet(b, cdp_session, "Runtime.enable", NULL);
        /* Its frames in other processes and its workers: attached and paused the same way. */
        json_object *p = json_object_new_object();
        json_add(p, "autoAttach", json_object_new_boolean(true));
        json_add(p, "waitForDebuggerOnStart", json_object_new_boolean(true));
        json_add(p, "flatten", json_object_new_boolean(true));
        send_quiet(b, cdp_session, "Target.setAutoAttach", p);
        (void) cdp_send(b->cdp, cdp_session, "Runtime.runIfWaitingForDebugger", NULL,
                streq(type, "page") && target_id ? on_tab_configured : NULL,
                streq(type, "page") && target_id ? strdup(target_id) : NULL);
}

void tab_on_attached(Browser *b, const char *parent_session, json_object *params) {
        const char *cdp_session = json_get_string(params, "sessionId");
        json_object *info = json_get_object(params, "targetInfo");
        const char *type = info ? json_get_string(info, "type") : NULL;
        const char *target_id = info ? json_get_string(info, "targetId") : NULL;
        const char *context_id = info ? json_get_string(info, "browserContextId") : NULL;
        if (!cdp_session || !type || !target_id)
                return;

        if (parent_session) {
                /* A frame or worker of a page: its requests are the page's. */
                Tab *owner = route_tab(b, parent_session);
                if (owner)
                        route_add(b, cdp_session, owner);
                if (owner && streq(type, "iframe")) {
                        TabFrame *f = new0(TabFrame, 1);
                        /* In a frame of another origin itself (nested), or in the page. */
                        bool nested = tab_frame_find(owner, NULL, parent_session) != NULL;
                        if (f && (f->frame_id = strdup(target_id)) && (f->cdp_session = strdup(cdp_session)) &&
                                (!nested || (f->parent_session = strdup(parent_session))))
                                LIST_PREPEND(owner->frames, f);
                        else if (f) {
                                free(f->frame_id);
                                free(f->cdp_session);
                                free(f);
                        }
                }
                configure_target(b, cdp_session, type, NULL);
                return;
        }

        BrowserSession *s = session_by_context(b, context_id);
        if (!s || !streq(type, "page")) {
                /* Not a session's page (the default context's first tab, a service worker of a context): it
                 * still gets interception before it runs. */
                if (s && !streq(type, "page")) {
                        Tab *any = s->tabs;
                        if (any)
                                route_add(b, cdp_session, any);
                }
                configure_target(b, cdp_session, type, NULL);
                return;
        }
        Tab *t = new0(Tab, 1);
        if (!t)
                return;
        *t = (Tab){ .session = s,
                .id = ++s->next_tab_id,
                .target_id = strdup(target_id),
                .cdp_session = strdup(cdp_session),
                .url = strdup(strempty(json_get_string(info, "url"))),
                .title = strdup(strempty(json_get_string(info, "title"))),
                .console = json_object_new_array(),
                .network = json_object_new_array() };
        if (!t->target_id || !t->cdp_session || !t->url || !t->title || !t->console || !t->network) {
                free(t->target_id);
                free(t->cdp_session);
                free(t->url);
                free(t->title);
                json_object_put(t->console);
                json_object_put(t->network);
                free(t);
                return;
        }
        LIST_PREPEND(s->tabs, t);
        if (!s->current)
                s->current = t;
        route_add(b, t->cdp_session, t);
        /* The viewport the configuration asks for, whatever the window. */
        json_object *metrics = json_object_new_object();
        json_add(metrics, "width", json_object_new_int(b->config.width));
        json_add(metrics, "height", json_object_new_int(b->config.height));
        json_add(metrics, "deviceScaleFactor", json_object_new_int(1));
        json_add(metrics, "mobile", json_object_new_boolean(false));
        send_quiet(b, t->cdp_session, "Emulation.setDeviceMetricsOverride", metrics);
        configure_target(b, t->cdp_session, "page", t->target_id);
}

/* --- events of a tab's targets ------------------------------------------------------------------------ */

static void json_ring_add(json_object *ring, json_object *entry, size_t max, unsigned *dropped) {
        if (!entry)
                return;
        if (json_object_array_length(ring) >= max) {
                json_object_array_del_idx(ring, 0, 1);
                (*dropped)++;
        }
        json_object_array_add(ring, entry);
}

static void on_request_paused(Browser *b, Tab *t, const char *cdp_session, json_object *params) {
        const char *request_id = json_get_string(params, "requestId");
        json_object *request = json_get_object(params, "request");
        const char *url = request ? json_get_string(request, "url") : NULL;
        if (!request_id)
                return;
        OriginVerdict v = url ? origin_check(&b->policy, url) : ORIGIN_MALFORMED;

        json_object *p = json_object_new_object();
        json_add_string(p, "requestId", request_id);
        if (v == ORIGIN_ALLOWED)
                send_quiet(b, cdp_session, "Fetch.continueRequest", p);
        else {
                json_add_string(p, "errorReason", "BlockedByClient");
                send_quiet(b, cdp_session, "Fetch.failRequest", p);
                log_info("Refused %s: %s.", strempty(url), origin_verdict_to_string(v));
        }

        if (!t)
                return;
        if (v != ORIGIN_ALLOWED) {
                free(t->last_blocked);
                if (asprintf(&t->last_blocked, "%.1000s was refused: %s", strempty(url), origin_verdict_to_string(v)) <
                        0)
                        t->last_blocked = NULL;
        }
        json_object *e = json_object_new_object();
        json_add_string(e, "id", json_get_string(params, "networkId") ?: request_id);
        json_add_string(e, "method", request ? json_get_string(request, "method") : NULL);
        json_add_string(e, "url", url);
        json_add_string(e, "type", json_get_string(params, "resourceType"));
        if (v != ORIGIN_ALLOWED)
                json_add_string(e, "blocked", origin_verdict_to_string(v));
        json_ring_add(t->network, e, BROWSER_NETWORK_MAX, &t->network_dropped);
}

static void on_response(Tab *t, json_object *params) {
        const char *id = json_get_string(params, "requestId");
        json_object *response = json_get_object(params, "response");
        if (!id || !response)
                return;
        for (size_t i = json_object_array_length(t->network); i > 0; i--) {
                json_object *e = json_object_array_get_idx(t->network, i - 1);
                const char *eid = json_get_string(e, "id");
                if (eid && streq(eid, id)) {
                        json_object *status;
                        if (json_object_object_get_ex(response, "status", &status))
                                json_add(e, "status", json_object_new_int(json_object_get_int(status)));
                        json_add_string(e, "mimeType", json_get_string(response, "mimeType"));
                        return;
                }
        }
}

static void on_console(Tab *t, json_object *params) {
        json_object *args = json_get_array(params, "args");
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        if (!f)
                return;
        for (size_t i = 0; args && i < json_object_array_length(args) && ftell(f) < 4096; i++) {
                json_object *a = json_object_array_get_idx(args, i);
                json_object *value;
                const char *s = json_object_object_get_ex(a, "value", &value)
                        ? (json_object_is_type(value, json_type_string) ? json_object_get_string(value)
                                                                        : json_to_string(value))
                        : json_get_string(a, "description") ?: json_get_string(a, "type");
                fprintf(f, "%s%.4096s", i > 0 ? " " : "", strempty(s));
        }
        if (fclose(f) != 0)
                return;
        json_object *e = json_object_new_object();
        json_add_string(e, "level", json_get_string(params, "type"));
        json_add_string(e, "text", text);
        free(text);
        json_ring_add(t->console, e, BROWSER_CONSOLE_MAX, &t->console_dropped);
}

static void on_exception(Tab *t, json_object *params) {
        json_object *d = json_get_object(params, "exceptionDetails");
        json_object *ex = d ? json_get_object(d, "exception") : NULL;
        json_object *e = json_object_new_object();
        json_add_string(e, "level", "error");
        json_add_string(e, "text",
                (ex ? json_get_string(ex, "description") : NULL) ?: (d ? json_get_string(d, "text") : NULL) ?: "");
        json_ring_add(t->console, e, BROWSER_CONSOLE_MAX, &t->console_dropped);
}

void tab_on_event(Browser *b, Tab *t, const char *cdp_session, const char *method, json_object *params) {
        if (streq(method, "Fetch.requestPaused")) {
                on_request_paused(b, t, cdp_session, params);
                return;
        }
        if (!t)
                return;
        bool own = streq(cdp_session, t->cdp_session);
        if (streq(method, "Runtime.consoleAPICalled"))
                on_console(t, params);
        else if (streq(method, "Runtime.exceptionThrown"))
                on_exception(t, params);
        else if (streq(method, "Network.responseReceived"))
                on_response(t, params);
        else if (!own) {
                /* A frame of another origin navigated: its world is gone with its document. */
                if (streq(method, "Page.frameNavigated") || streq(method, "Runtime.executionContextsCleared")) {
                        TabFrame *f = tab_frame_find(t, NULL, cdp_session);
                        if (f)
                                f->world = 0;
                }
                return;
        } else if (streq(method, "Page.javascriptDialogOpening")) {
                json_object_put(t->dialog);
                t->dialog = json_object_new_object();
                json_add_string(t->dialog, "type", json_get_string(params, "type"));
                json_add_string(t->dialog, "message", json_get_string(params, "message"));
                json_add_string(t->dialog, "defaultPrompt", json_get_string(params, "defaultPrompt"));
                /* A dialog stops the page: whoever waits for its load, or acted on it, is told now. */
                tab_load_finish(t, false);
                if (t->action_req) {
                        McpRequest *req = TAKE_PTR(t->action_req);
                        if (!mcp_request_is_done(req)) {
                                json_object *st = json_object_new_object();
                                json_add_string(st, "url", t->url);
                                json_add_string(st, "title", t->title);
                                json_add(st, "tab", json_object_new_int(t->id));
                                (void) tab_reply(req, t, st, "%s; the page opened a dialog.", t->action_what ?: "Done");
                        }
                        mcp_request_unref(req);
                }
        } else if (streq(method, "Page.javascriptDialogClosed"))
                t->dialog = (json_object_put(t->dialog), NULL);
        else if (streq(method, "Input.dragIntercepted")) {
                /* browser_drag's press and moves started an HTML5 drag: it drops this data itself (input.c). */
                json_object_put(t->drag_data);
                t->drag_data = json_object_get(json_get_object(params, "data"));
        } else if (streq(method, "Page.frameStartedLoading")) {
                const char *frame = json_get_string(params, "frameId");
                if (frame && streq(frame, t->target_id))
                        t->loading = true;
        } else if (streq(method, "Page.loadEventFired")) {
                t->loading = false;
                tab_load_finish(t, false);
        } else if (streq(method, "Page.frameNavigated")) {
                json_object *frame = json_get_object(params, "frame");
                if (frame && !json_get_string(frame, "parentId")) {
                        t->world = 0;
                        /* A page back from the back/forward cache fires no load event: it is there. */
                        const char *type = json_get_string(params, "type");
                        if (type && streq(type, "BackForwardCacheRestore")) {
                                t->loading = false;
                                tab_load_finish(t, false);
                        }
                        char *u = strdup(strempty(json_get_string(frame, "url")));
                        if (u) {
                                free(t->url);
                                t->url = u;
                        }
                }
        } else if (streq(method, "Runtime.executionContextsCleared"))
                t->world = 0;
        else if (streq(method, "Runtime.executionContextDestroyed")) {
                json_object *id;
                if (json_object_object_get_ex(params, "executionContextId", &id) && json_object_get_int(id) == t->world)
                        t->world = 0;
        } else if (streq(method, "Inspector.targetCrashed")) {
                t->crashed = true;
                t->loading = false;
                t->world = 0;
                tab_load_finish(t, false);
                if (t->action_req) {
                        McpRequest *req = TAKE_PTR(t->action_req);
                        if (!mcp_request_is_done(req))
                                (void) mcp_request_reply_tool_error(req,
                                        "The page's renderer crashed (%s): browser_navigate loads a page again.",
                                        strempty(t->url));
                        mcp_request_unref(req);
                }
        }
}

/* --- contexts -------------------------------------------------------------------------------------- */

static void on_context_disposed(Cdp *c, json_object *result, const char *error, void *userdata) {
        if (error)
                log_debug("Disposing a browser context failed: %s", error);
}

int browser_session_dispose_context(BrowserSession *s) {
        Browser *b = s->browser;
        while (s->tabs)
                tab_free(s->tabs);
        s->current = NULL;
        if (!s->context_id)
                return 0;
        _cleanup_free_ char *id = TAKE_PTR(s->context_id);
        if (cdp_is_dead(b->cdp))
                return 0;
        json_object *p = json_object_new_object();
        json_add_string(p, "browserContextId", id);
        return cdp_send(b->cdp, NULL, "Target.disposeBrowserContext", p, on_context_disposed, NULL);
}

void browser_session_free(BrowserSession *s) {
        if (!s)
                return;
        Browser *b = s->browser;
        session_fail_waiters(s, "The session ended.");
        (void) browser_session_dispose_context(s);
        browser_session_remove_uploads(s);
        LIST_REMOVE(b->sessions, s);
        b->n_sessions--;
        mcp_session_unref(s->mcp);
        free(s->key);
        free(s->notice);
        free(s);
}

void browser_session_close_mcp(McpSession *session, void *userdata) {
        Browser *b = &browser_context;
        const char *id = mcp_session_get_id(session);
        LIST_FOREACH(s, b->sessions)
        if (s->mcp == session || streq(s->key, id)) {
                log_debug("Session %s ended: its browser context goes.", id);
                browser_session_free(s);
                return;
        }
}

void browser_session_lost(BrowserSession *s, const char *why) {
        session_fail_waiters(s, why);
        while (s->tabs)
                tab_free(s->tabs);
        s->current = NULL;
        s->context_id = mfree(s->context_id);
        s->creating = false;
        session_set_notice(s, why);
        if (s->mcp && !mcp_session_is_closed(s->mcp)) {
                /* Told now as a log message too, for a client that is not calling. */
                json_object *n = json_object_new_object();
                json_object *p = json_object_new_object();
                json_add_string(n, "jsonrpc", "2.0");
                json_add_string(n, "method", "notifications/message");
                json_add_string(p, "level", "warning");
                json_add_string(p, "logger", "browser");
                json_add_string(p, "data", why);
                json_add(n, "params", p);
                (void) mcp_session_send(s->mcp, n);
                json_object_put(n);
        }
}

static void session_new_target(BrowserSession *s, SessionWaiter *w);

static void on_target_created(Cdp *c, json_object *result, const char *error, void *userdata) {
        SessionWaiter *w = userdata;
        Browser *b = &browser_context;
        /* The waiter may be gone with its session: find it among the sessions' waiters. */
        BrowserSession *owner = NULL;
        LIST_FOREACH(s, b->sessions)
        LIST_FOREACH(x, s->waiters)
        if (x == w)
                owner = s;
        if (!owner)
                return;
        if (error) {
                LIST_REMOVE(owner->waiters, w);
                (void) mcp_request_reply_tool_error(w->req, "The browser could not open a tab: %s", error);
                waiter_free(w);
                return;
        }
        const char *target_id = json_get_string(result, "targetId");
        free(w->target_id);
        w->target_id = strdup(strempty(target_id));
        /* Attached and configured already (the event came before this answer)? */
        Tab *t = target_id ? tab_find_by_target(b, target_id) : NULL;
        if (t && t->ready) {
                LIST_REMOVE(owner->waiters, w);
                owner->current = t;
                if (!mcp_request_is_done(w->req))
                        w->then(w->req, t);
                waiter_free(w);
                session_serve_waiters(owner);
        }
}

static void session_new_target(BrowserSession *s, SessionWaiter *w) {
        Browser *b = s->browser;
        json_object *p = json_object_new_object();
        json_add_string(p, "url", "about:blank");
        json_add_string(p, "browserContextId", s->context_id);
        if (cdp_send(b->cdp, NULL, "Target.createTarget", p, on_target_created, w) < 0) {
                LIST_REMOVE(s->waiters, w);
                (void) mcp_request_reply_tool_error(w->req, "The browser went away.");
                waiter_free(w);
        }
}

static void session_serve_waiters(BrowserSession *s) {
        LIST_FOREACH(w, s->waiters) {
                if (w->target_id)
                        continue;
                if (!w->new_tab && s->current && s->current->ready) {
                        LIST_REMOVE(s->waiters, w);
                        McpRequest *req = mcp_request_ref(w->req);
                        TabReady then = w->then;
                        waiter_free(w);
                        if (!mcp_request_is_done(req))
                                then(req, s->current);
                        mcp_request_unref(req);
                        continue;
                }
                /* One tab made for all who wait for the first one. */
                if (!w->new_tab) {
                        bool making = false;
                        LIST_FOREACH(x, s->waiters)
                        if (x != w && !x->new_tab && x->target_id)
                                making = true;
                        if (making)
                                continue;
                        w->target_id = strdup(""); /* being made; the answer names it */
                }
                session_new_target(s, w);
        }
}

static void on_context_created(Cdp *c, json_object *result, const char *error, void *userdata) {
        Browser *b = &browser_context;
        char *key = userdata;
        BrowserSession *s = NULL;
        LIST_FOREACH(x, b->sessions)
        if (streq(x->key, key))
                s = x;
        free(key);
        if (!s)
                return;
        s->creating = false;
        if (error) {
                session_fail_waiters(s, "The browser could not make a context for this session.");
                return;
        }
        s->context_id = strdup(strempty(json_get_string(result, "browserContextId")));
        /* Downloads would land on the server's disk: none. */
        json_object *p = json_object_new_object();
        json_add_string(p, "behavior", "deny");
        json_add_string(p, "browserContextId", s->context_id);
        send_quiet(b, NULL, "Browser.setDownloadBehavior", p);
        session_serve_waiters(s);
}

static void on_browser_ready(Browser *b, const char *error, void *userdata) {
        char *key = userdata;
        BrowserSession *s = NULL;
        LIST_FOREACH(x, b->sessions)
        if (streq(x->key, key))
                s = x;
        free(key);
        if (!s)
                return;
        if (error) {
                session_fail_waiters(s, error);
                return;
        }
        if (s->context_id) {
                session_serve_waiters(s);
                return;
        }
        if (s->creating)
                return;
        s->creating = true;
        json_object *p = json_object_new_object();
        json_add(p, "disposeOnDetach", json_object_new_boolean(false));
        if (cdp_send(b->cdp, NULL, "Target.createBrowserContext", p, on_context_created, strdup(s->key)) < 0) {
                s->creating = false;
                session_fail_waiters(s, "The browser went away.");
        }
}

static int with_tab(McpRequest *req, TabReady then, bool new_tab) {
        Browser *b = &browser_context;
        BrowserSession *s = browser_session_find(b, req);
        if (!s) {
                if (b->n_sessions >= b->config.max_contexts)
                        return mcp_request_reply_tool_error(req,
                                       "The browser holds %u sessions' contexts, the most it may (browser.conf "
                                       "MaxContexts=); try again when one has ended.",
                                       b->n_sessions)
                                ?: 0;
                s = new0(BrowserSession, 1);
                if (!s)
                        return -ENOMEM;
                s->browser = b;
                s->key = session_key(req);
                if (!s->key) {
                        free(s);
                        return -ENOMEM;
                }
                McpSession *m = mcp_request_get_session(req);
                s->mcp = m ? mcp_session_ref(m) : NULL;
                LIST_PREPEND(b->sessions, s);
                b->n_sessions++;
        }
        s->last_used = now_usec();
        if (!new_tab && s->current && s->current->ready && b->state == BROWSER_READY) {
                then(req, s->current);
                return 0;
        }
        unsigned n = 0;
        LIST_FOREACH(t, s->tabs)
        n++;
        if (new_tab && n >= BROWSER_MAX_TABS)
                return mcp_request_reply_tool_error(req, "This session has %u tabs, the most it may; close one first.",
                               n)
                        ?: 0;
        SessionWaiter *w = new0(SessionWaiter, 1);
        if (!w)
                return -ENOMEM;
        *w = (SessionWaiter){ .req = mcp_request_ref(req), .then = then, .new_tab = new_tab };
        LIST_PREPEND(s->waiters, w);
        char *key = strdup(s->key);
        if (!key)
                return -ENOMEM;
        return browser_ensure(b, on_browser_ready, key);
}

int browser_with_tab(McpRequest *req, TabReady then) {
        return with_tab(req, then, false);
}

int browser_with_new_tab(McpRequest *req, TabReady then) {
        return with_tab(req, then, true);
}

/* --- answers --------------------------------------------------------------------------------------- */

char *tab_status_prefix(Tab *t) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        if (!f)
                return NULL;
        BrowserSession *s = t->session;
        if (s->notice) {
                fprintf(f, "%s\n", s->notice);
                s->notice = mfree(s->notice);
        }
        if (t->crashed)
                fprintf(f, "The page crashed (%s); browser_navigate loads a page again.\n", t->url);
        if (t->dialog)
                fprintf(f, "A JavaScript %s dialog is open: \"%.500s\"; browser_handle_dialog answers it.\n",
                        strempty(json_get_string(t->dialog, "type")), strempty(json_get_string(t->dialog, "message")));
        if (fclose(f) != 0)
                return NULL;
        return text;
}

int tab_reply(McpRequest *req, Tab *t, json_object *structured, const char *format, ...) {
        _cleanup_free_ char *body = NULL, *prefix = t ? tab_status_prefix(t) : NULL;
        va_list ap;
        va_start(ap, format);
        int k = vasprintf(&body, format, ap);
        va_end(ap);
        if (k < 0) {
                json_object_put(structured);
                return -ENOMEM;
        }
        _cleanup_free_ char *text = NULL;
        if (asprintf(&text, "%s%s", strempty(prefix), body) < 0) {
                json_object_put(structured);
                return -ENOMEM;
        }
        if (structured && t && t->dialog)
                json_add(structured, "dialog", json_object_get(t->dialog));
        return mcp_request_reply_content(req, JSON_ARRAY(mcp_content_text(text)), structured, false);
}

/* --- commands for a request ------------------------------------------------------------------------ */

typedef struct TabCall {
        McpRequest *req;
        char *target_id;
        TabReply reply;
        void *userdata;
} TabCall;

static void on_tab_reply(Cdp *c, json_object *result, const char *error, void *userdata) {
        TabCall *call = userdata;
        Tab *t = tab_find_by_target(&browser_context, call->target_id);
        if (!mcp_request_is_done(call->req)) {
                if (!t)
                        (void) mcp_request_reply_tool_error(call->req,
                                "The tab went away (closed, or the browser restarted) before it answered.");
                else
                        call->reply(call->req, t, result, error, call->userdata);
        }
        mcp_request_unref(call->req);
        free(call->target_id);
        free(call);
}

static int tab_send_on(Tab *t, const char *cdp_session, McpRequest *req, const char *method, json_object *params,
        TabReply reply, void *userdata);

int tab_send_to(Tab *t, const char *cdp_session, McpRequest *req, const char *method, json_object *params,
        TabReply reply, void *userdata) {
        if (t->crashed) {
                json_object_put(params);
                return mcp_request_reply_tool_error(req,
                               "The page's renderer crashed (%s): browser_navigate loads a page again.",
                               strempty(t->url))
                        ?: -ECONNRESET;
        }
        return tab_send_on(t, cdp_session ?: t->cdp_session, req, method, params, reply, userdata);
}

static int tab_send_on(Tab *t, const char *cdp_session, McpRequest *req, const char *method, json_object *params,
        TabReply reply, void *userdata) {
        Browser *b = t->session->browser;
        TabCall *call = new0(TabCall, 1);
        if (!call) {
                json_object_put(params);
                return -ENOMEM;
        }
        *call = (TabCall){ .req = mcp_request_ref(req),
                .target_id = strdup(t->target_id),
                .reply = reply,
                .userdata = userdata };
        int r = cdp_send(b->cdp, cdp_session, method, params, on_tab_reply, call);
        if (r < 0) {
                mcp_request_unref(call->req);
                free(call->target_id);
                free(call);
                return mcp_request_reply_tool_error(req, "The browser went away; call again to start a new one.") ?: 0;
        }
        return 0;
}

int tab_send(Tab *t, McpRequest *req, const char *method, json_object *params, TabReply reply, void *userdata) {
        /* A crashed page answers nothing until it loads again: say so rather than wait for the timeout. */
        if (t->crashed && !streq(method, "Page.navigate")) {
                json_object_put(params);
                return mcp_request_reply_tool_error(req,
                               "The page's renderer crashed (%s): browser_navigate loads a page again.",
                               strempty(t->url))
                        ?: -ECONNRESET;
        }
        return tab_send_on(t, t->cdp_session, req, method, params, reply, userdata);
}

int tab_send_browser(Tab *t, McpRequest *req, const char *method, json_object *params, TabReply reply, void *userdata) {
        return tab_send_on(t, NULL, req, method, params, reply, userdata);
}

int tab_send_quiet(Tab *t, const char *method, json_object *params) {
        return cdp_send(t->session->browser->cdp, t->cdp_session, method, params, NULL, NULL);
}

void tab_reply_failed(McpRequest *req, const char *what, const char *error) {
        (void) mcp_request_reply_tool_error(req, "%s failed: %s", what, error);
}
