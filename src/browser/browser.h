/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-browserd: its context (configuration, the browser process, the sessions' browser contexts and tabs)
 * and what the tool handlers share. */
#pragma once

#include "cdp.h"
#include "hashmap.h"
#include "list.h"
#include "mcp-server.h"
#include "origin.h"
#include "snapshot.h"

/* polkit actions (polkit/org.aios.policy). */
#define BROWSER_ACTION_NAVIGATE "org.aios.browser.navigate"
#define BROWSER_ACTION_INTERACT "org.aios.browser.interact"
#define BROWSER_ACTION_READ "org.aios.browser.read"
#define BROWSER_ACTION_EVALUATE "org.aios.browser.evaluate"
#define BROWSER_ACTION_UPLOAD "org.aios.browser.upload"

/* Where the configuration is read from; $AIOS_BROWSER_CONFIG names another file (its drop-ins are FILE.d/). */
#define BROWSER_CONFIG_FILE "/etc/aios/browser.conf"

#define BROWSER_MAX_TABS 16
#define BROWSER_CONSOLE_MAX 200
#define BROWSER_NETWORK_MAX 500

typedef struct BrowserConfig {
        char *executable; /* NULL: the first of /usr/bin/chromium, /usr/bin/chromium-headless-shell */
        char **allow, **block;
        bool allow_loopback;
        uint64_t navigation_timeout_usec;
        unsigned width, height;
        unsigned max_contexts;
} BrowserConfig;

int browser_config_load(BrowserConfig *c, const char *path);
void browser_config_done(BrowserConfig *c);

typedef struct Browser Browser;
typedef struct BrowserSession BrowserSession;
typedef struct Tab Tab;

/* A frame of the page in another process (another origin): its own target and DevTools session, and its own
 * isolated world for the page reader. */
typedef struct TabFrame {
        char *frame_id; /* its target's id, which is its frame's id */
        char *cdp_session;
        int world;            /* 0: none yet */
        unsigned block;       /* its refs start with this number's letters (snapshot_ref_prefix()) */
        char *parent_session; /* the frame of another origin its iframe is in, NULL: the page */
        LIST_FIELDS(struct TabFrame);
} TabFrame;

/* A page of a session: its target, its DevTools session, what it logged. */
struct Tab {
        BrowserSession *session;
        unsigned id; /* the number browser_tabs shows, unique within the session */
        char *target_id;
        char *cdp_session; /* the flat session attached to it */
        char *url, *title;
        bool ready;   /* configured (Fetch, Page, Runtime enabled) and running */
        bool loading; /* the main frame started loading and has not fired load yet */
        bool crashed; /* its renderer crashed */
        TabFrame *frames;
        unsigned main_block;  /* the number of the main document's refs' letters */
        unsigned documents;   /* isolated worlds made (documents, frames): each takes the next letters for refs */
        int world;            /* the isolated world's execution context in the current document, 0: none yet */
        json_object *console; /* array of {level, text, url?, line?} */
        json_object *network; /* array of {id, method, url, type, status?, blocked?} */
        unsigned console_dropped, network_dropped;
        json_object *dialog;    /* {type, message, defaultPrompt} while a dialog is open */
        char *last_blocked;     /* the last request refused, as a sentence */
        json_object *drag_data; /* an HTML5 drag's data, from Input.dragIntercepted, while browser_drag holds it */
        /* A request acting on the tab (a click, a key): a dialog it opens answers it at once. */
        McpRequest *action_req;
        char *action_what;
        /* A request waiting for this tab's load event. */
        McpRequest *load_waiter;
        void (*load_done)(Tab *t, McpRequest *req, bool timed_out);
        sd_event_source *load_timer;
        LIST_FIELDS(Tab);
};

/* One MCP session's (or, on the stateless wire, one principal's) browser context. */
struct BrowserSession {
        Browser *browser;
        char *key;        /* the MCP session's id, or "principal:NAME" */
        McpSession *mcp;  /* referenced, NULL on the stateless wire */
        char *context_id; /* browserContextId, NULL until made (and after the browser went away) */
        bool creating;
        Tab *tabs;
        Tab *current;
        unsigned next_tab_id;
        char *upload_dir; /* copies of the files browser_file_upload gave its pages, removed with the session */
        char *notice;     /* told with the next answer: the browser was restarted, a tab opened, ... */
        uint64_t last_used;
        /* Requests waiting for the context or for a new tab. */
        struct SessionWaiter *waiters;
        LIST_FIELDS(BrowserSession);
};

typedef enum BrowserState {
        BROWSER_STOPPED,
        BROWSER_STARTING,
        BROWSER_READY,
} BrowserState;

struct Browser {
        sd_event *event;
        McpServer *server;
        BrowserConfig config;
        OriginPolicy policy;
        struct SocksProxy *socks; /* the browser's connections, checked (socks-proxy.h) */
        char **argv, **envp;
        char *profile_base; /* where the browser's profiles and the sessions' uploads are made */
        int launcher_fd;
        pid_t launcher_pid;
        sd_event_source *launcher_source;
        Cdp *cdp;
        pid_t pid;
        BrowserState state;
        unsigned starts, crashes;
        uint64_t next_start; /* not before (backoff after crashes) */
        sd_event_source *restart_timer, *reap_cdp;
        Cdp *dead_cdp;
        struct BrowserWaiter *waiters;
        BrowserSession *sessions;
        unsigned n_sessions;
        Hashmap *by_cdp_session; /* DevTools session id -> Tab (a page's, or a frame's or worker's of the page) */
        sd_event_source *sweep;
};

extern Browser browser_context; /* main.c: the one of this process */

int browser_init(Browser *b, McpServer *server, const char *config_path);
void browser_done(Browser *b);
bool browser_busy(void *userdata);

/* process.c: the browser process, through the launcher. Calls ready(b, error, userdata) once the browser
 * answers (error NULL) or could not be started (a sentence). Starts it when it is not running. */
typedef void (*BrowserReady)(Browser *b, const char *error, void *userdata);
int browser_ensure(Browser *b, BrowserReady ready, void *userdata);
void browser_on_event(Cdp *c, const char *session_id, const char *method, json_object *params, void *userdata);
void browser_lost(Browser *b, const char *why);

/* session.c */
/* Calls then(req, tab) with the session's current tab, making the browser, the context and a first tab as
 * needed; on failure the request is answered with a tool error and then is not called. */
typedef void (*TabReady)(McpRequest *req, Tab *tab);
int browser_with_tab(McpRequest *req, TabReady then);
/* Like browser_with_tab() for a new tab of the session (browser_tabs new). */
int browser_with_new_tab(McpRequest *req, TabReady then);
BrowserSession *browser_session_find(Browser *b, McpRequest *req);
void browser_session_free(BrowserSession *s);
void browser_session_close_mcp(McpSession *session, void *userdata);
void browser_session_lost(BrowserSession *s, const char *why);
int browser_session_dispose_context(BrowserSession *s);
Tab *tab_find_by_target(Browser *b, const char *target_id);
Tab *session_tab_by_id(BrowserSession *s, unsigned id);
void tab_free(Tab *t);
/* Which tab a DevTools session (a page's, or a frame's or worker's of it) belongs to. */
void route_add(Browser *b, const char *cdp_session, Tab *t);
Tab *route_tab(Browser *b, const char *cdp_session);
void route_remove(Browser *b, const char *cdp_session);
void routes_clear(Browser *b, Tab *t);
void tab_on_attached(Browser *b, const char *parent_session, json_object *params);
void tab_on_event(Browser *b, Tab *t, const char *cdp_session, const char *method, json_object *params);
/* Waits for the tab's load event (up to the navigation timeout): done is called once, timed_out when it did
 * not come. */
int tab_wait_load(Tab *t, McpRequest *req, void (*done)(Tab *t, McpRequest *req, bool timed_out));
void tab_cancel_load_wait(Tab *t);
/* What the session should be told with this answer (a notice, an open dialog), prepended to text as lines;
 * new string. */
char *tab_status_prefix(Tab *t);

/* cdp-call.c: a command for a request's tab: the reply handler gets the request (referenced meanwhile) and
 * the tab, unless the request ended or the tab went away meanwhile. */
typedef void (*TabReply)(McpRequest *req, Tab *t, json_object *result, const char *error, void *userdata);
int tab_send(Tab *t, McpRequest *req, const char *method, json_object *params, TabReply reply, void *userdata);
/* The same to another DevTools session of the tab (a frame's). */
int tab_send_to(Tab *t, const char *cdp_session, McpRequest *req, const char *method, json_object *params,
        TabReply reply, void *userdata);
/* The same, to the browser itself (Target.*, Browser.*) on the tab's behalf. */
int tab_send_browser(Tab *t, McpRequest *req, const char *method, json_object *params, TabReply reply, void *userdata);
/* Fire and forget. */
int tab_send_quiet(Tab *t, const char *method, json_object *params);
/* A tool error for a command that failed. */
void tab_reply_failed(McpRequest *req, const char *what, const char *error);

/* world.c: an expression evaluated in the tab's isolated world (made on first use in each document); reply gets
 * the RemoteObject (by value or with an objectId), or an error sentence. Refused at once (a tool error, and a
 * negative errno returned) while a dialog stops the page. */
typedef void (*WorldReply)(McpRequest *req, Tab *t, json_object *remote_object, const char *error, void *userdata);
int tab_world_evaluate(Tab *t, McpRequest *req, const char *expression, bool by_value, WorldReply reply,
        void *userdata);
/* The same in a frame of another origin (frame_id NULL: the main document). */
int frame_world_evaluate(Tab *t, const char *frame_id, McpRequest *req, const char *expression, bool by_value,
        WorldReply reply, void *userdata);
TabFrame *tab_frame_find(Tab *t, const char *frame_id, const char *cdp_session);
void tab_frame_free(Tab *t, TabFrame *f);
/* frame-place.c: where the viewport of the document of cdp_session (a frame of another origin, however deeply
 * nested; NULL or the page's: the page itself) is in the page's viewport: then gets the offset to add to
 * what it measures, and what of it the frames show (x0, y0, x1, y1 in the page's viewport; unbounded for the
 * page). A tool error when a frame has no place (answered here, then not called). */
typedef void (*FramePlaced)(McpRequest *req, Tab *t, double dx, double dy, const double clip[4], void *userdata);
void tab_frame_place(Tab *t, McpRequest *req, const char *cdp_session, FramePlaced then, void *userdata);
/* The document's title and URL read from the page (the browser's own events about them come later), then
 * then; at once while a dialog stops the page. */
typedef void (*TabThen)(McpRequest *req, Tab *t, void *userdata);
void tab_refresh(Tab *t, McpRequest *req, TabThen then, void *userdata);
/* The element a snapshot's ref names, as an objectId; a tool error when there is none (answered here). */
typedef void (*RefReply)(McpRequest *req, Tab *t, const char *cdp_session, const char *object_id, void *userdata);
int tab_resolve_ref(Tab *t, McpRequest *req, const char *ref, RefReply reply, void *userdata);
/* The frame of another origin a ref was made in, or NULL for the main document. */
const char *tab_ref_frame(Tab *t, const char *ref);

/* The tools, a file per family. */
extern const McpTool browser_tools[];
int browser_add_tools(McpServer *server);

int tool_browser_navigate(McpRequest *req, json_object *arguments);      /* navigate.c */
int tool_browser_navigate_back(McpRequest *req, json_object *arguments); /* navigate.c */
int tool_browser_snapshot(McpRequest *req, json_object *arguments);      /* snapshot-tool.c */
int tool_browser_click(McpRequest *req, json_object *arguments);         /* input.c */
int tool_browser_hover(McpRequest *req, json_object *arguments);
int tool_browser_drag(McpRequest *req, json_object *arguments);
int tool_browser_type(McpRequest *req, json_object *arguments);
int tool_browser_press_key(McpRequest *req, json_object *arguments);
int tool_browser_select_option(McpRequest *req, json_object *arguments); /* form.c */
int tool_browser_fill_form(McpRequest *req, json_object *arguments);
int tool_browser_take_screenshot(McpRequest *req, json_object *arguments); /* capture.c */
int tool_browser_pdf_save(McpRequest *req, json_object *arguments);
int tool_browser_console_messages(McpRequest *req, json_object *arguments); /* logs.c */
int tool_browser_network_requests(McpRequest *req, json_object *arguments);
int tool_browser_handle_dialog(McpRequest *req, json_object *arguments); /* page.c */
int tool_browser_wait_for(McpRequest *req, json_object *arguments);
int tool_browser_resize(McpRequest *req, json_object *arguments);
int tool_browser_tabs(McpRequest *req, json_object *arguments);
int tool_browser_close(McpRequest *req, json_object *arguments);
int tool_browser_evaluate(McpRequest *req, json_object *arguments);
int tool_browser_file_upload(McpRequest *req, json_object *arguments); /* upload.c */
void browser_session_remove_uploads(BrowserSession *s);

/* Replies with text and structured content, the tab's status lines first. */
int tab_reply(McpRequest *req, Tab *t, json_object *structured, const char *format, ...) _printf_(4, 5);
