/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HTTP backends: what the remote offers, for /mcp (a private session, or the wire without sessions, that
 * reads tools/list, resources/list, resources/templates/list and prompts/list page by page, on one of the
 * endpoints). */
#include "backend-http-internal.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcp-protocol.h"

#define LIST_PAGES_MAX 1000U

/* --- what the remote offers, for /mcp -------------------------------------------------------------- */

/* The lists, in the order they are read; key is the result's array and the catalog's. */
static const struct {
        const char *method;
        const char *key;
        const char *capability; /* NULL: always there */
} lists[] = {
        { "tools/list", "tools", NULL },
        { "resources/list", "resources", "resources" },
        { "resources/templates/list", "resourceTemplates", "resources" },
        { "prompts/list", "prompts", "prompts" },
};

typedef enum ListPhase {
        LIST_INITIALIZE,
        LIST_INITIALIZED,
        LIST_PAGE,
} ListPhase;

/* A private session (or the wire without sessions) that reads the lists to their ends. */
struct Listing {
        HttpBackend *owner;
        HttpEndpoint *endpoint; /* the one endpoint asked */
        bool moved;             /* started over on another endpoint after one refused the connection */
        Transfer *transfer;
        ListPhase phase;
        bool stateless;
        char *remote_id;
        char *version;
        json_object *capabilities; /* the remote's, from initialize; NULL: unknown, every list is tried */
        size_t list;               /* the index in lists[] being read */
        json_object *catalog;      /* {"tools": [...], "resources": [...], ...} */
        unsigned n_pages;
};

Listing *listing_free(Listing *l) {
        if (!l)
                return NULL;
        transfer_free(l->transfer);
        free(l->remote_id);
        free(l->version);
        json_object_put(l->capabilities);
        json_object_put(l->catalog);
        free(l);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Listing *, listing_free);

bool listing_uses(const Listing *l, const HttpEndpoint *e) {
        return l && l->endpoint == e;
}

/* Ends the listing: its session at the remote goes, /mcp gets the catalog (NULL: none). why must outlive l. */
static void listing_finish(Listing *l, bool ok, const char *why) {
        HttpBackend *h = l->owner;
        Backend *b = h->backend;
        if (h->listing == l)
                h->listing = NULL;
        if (l->remote_id)
                (void) post_delete(l->endpoint, l->remote_id, l->version);
        json_object *catalog = ok ? TAKE_PTR(l->catalog) : NULL;
        if (!ok)
                log_warning("Failed to list what %s offers: %s", b->config->name, strempty(why));
        listing_free(l);
        backend_catalog_listed(b, catalog);
}

static const TransferOps listing_ops;

static int listing_step(Listing *l, const char *cursor) {
        HttpBackend *h = l->owner;
        _cleanup_json_ json_object *message = NULL;
        Request rq = {
                .method = HTTP_POST,
                .session_id = l->remote_id,
                .protocol_version = l->version,
                .timeout_usec = h->backend->config->timeout_usec,
        };

        switch (l->phase) {
        case LIST_INITIALIZE:
                message = initialize_new(h, MCP_VERSION_LATEST_SESSION, NULL);
                break;
        case LIST_INITIALIZED:
                message = jsonrpc_notification_new("notifications/initialized", NULL);
                break;
        case LIST_PAGE: {
                _cleanup_json_ json_object *params = json_object_new_object();
                if (!params || (cursor && json_add_string(params, "cursor", cursor) < 0))
                        return -ENOMEM;
                if (l->stateless) {
                        _cleanup_json_ json_object *meta = json_object_new_object();
                        if (!meta || json_add_string(meta, MCP_META_PROTOCOL_VERSION, MCP_VERSION_STATELESS) < 0 ||
                                json_add(meta, MCP_META_CLIENT_CAPABILITIES, json_object_new_object()) < 0 ||
                                json_add(meta, MCP_META_CLIENT_INFO, client_info_new()) < 0 ||
                                json_add(params, "_meta", TAKE_PTR(meta)) < 0)
                                return -ENOMEM;
                        rq.mcp_method = lists[l->list].method;
                }
                message = jsonrpc_request_new(request_id_new(h), lists[l->list].method, TAKE_PTR(params));
                break;
        }
        }
        if (!message)
                return -ENOMEM;
        json_object_object_get_ex(message, "id", &rq.expect_id);
        rq.body = message;
        return transfer_new(&l->endpoint->remote, &rq, &listing_ops, l, &l->transfer);
}

/* Takes in what a step brought. Returns 1 to go on (*ret_cursor: the next page's), 0 when the list is
 * complete, or -1 with *ret_why. */
static int listing_advance(Listing *l, Transfer *t, Outcome o, json_object *response, const char *message,
        const char **ret_cursor, const char **ret_why) {
        json_object *res = json_get_object(response, "result");
        const char *error = json_get_string(json_get_object(response, "error"), "message");

        switch (l->phase) {
        case LIST_INITIALIZE: {
                const char *version = json_get_string(res, "protocolVersion");
                if (o == OUTCOME_RESPONSE && version) {
                        l->remote_id = TAKE_PTR(t->session_id);
                        l->capabilities = json_object_get(json_get_object(res, "capabilities"));
                        l->phase = LIST_INITIALIZED;
                } else if ((o == OUTCOME_RESPONSE && error) || (o == OUTCOME_FAILED && t->status >= 400)) {
                        /* No sessions there: perhaps the wire without them. */
                        l->stateless = true;
                        version = MCP_VERSION_STATELESS;
                        l->phase = LIST_PAGE;
                } else {
                        *ret_why = message ?: "it did not answer initialize";
                        return -1;
                }
                l->version = strdup(version);
                if (!l->version) {
                        *ret_why = "out of memory";
                        return -1;
                }
                return 1;
        }

        case LIST_INITIALIZED:
                l->phase = LIST_PAGE; /* tools/list tells whether the session works */
                return 1;

        case LIST_PAGE: {
                const char *key = lists[l->list].key;
                json_object *entries = json_get_array(res, key);
                if (o == OUTCOME_RESPONSE && error && l->list > 0)
                        entries = NULL; /* the remote has no such list after all: an empty one */
                else if (o != OUTCOME_RESPONSE || !entries) {
                        *ret_why = message ?: error ?: "a list result without its entries";
                        return -1;
                }
                json_object *all = json_get_array(l->catalog, key);
                for (size_t i = 0; entries && i < json_object_array_length(entries); i++)
                        if (json_object_array_add(all, json_object_get(json_object_array_get_idx(entries, i))) < 0) {
                                *ret_why = "out of memory";
                                return -1;
                        }
                *ret_cursor = entries ? json_get_string(res, "nextCursor") : NULL;
                if (!isempty(*ret_cursor)) {
                        if (++l->n_pages >= LIST_PAGES_MAX) {
                                *ret_why = "a list that does not end";
                                return -1;
                        }
                        return 1;
                }
                /* This list is complete: the next one the remote has, if any. */
                *ret_cursor = NULL;
                while (++l->list < ELEMENTSOF(lists))
                        if (!l->capabilities || !lists[l->list].capability ||
                                json_get_object(l->capabilities, lists[l->list].capability))
                                return 1;
                return 0;
        }
        }
        return -1;
}

static void on_listing_done(Transfer *t, CURLcode result) {
        _cleanup_(transfer_freep) Transfer *owned = t;
        Listing *l = t->userdata;
        l->transfer = NULL;

        json_object *response;
        BackendFailure failure;
        const char *message, *cursor = NULL, *why = NULL;
        Outcome o = transfer_outcome(t, result, &response, &failure, &message);
        _cleanup_json_ json_object *owned_response = response;

        if (o == OUTCOME_FAILED && l->phase == LIST_INITIALIZE && transfer_never_sent(t, result)) {
                /* Refused before anything was sent: the endpoint is out; another is asked, once. */
                HttpEndpoint *failed = l->endpoint;
                endpoint_failed(failed, message);
                HttpEndpoint *other = l->moved ? NULL : endpoint_choose(l->owner, failed);
                if (other) {
                        l->endpoint = other;
                        l->moved = true;
                        if (listing_step(l, NULL) >= 0)
                                return;
                }
        }

        int r = listing_advance(l, t, o, response, message, &cursor, &why);
        if (r > 0 && listing_step(l, cursor) < 0) {
                r = -1;
                why = "the next request could not be sent";
        }
        if (r <= 0)
                listing_finish(l, r == 0, why);
}

static const TransferOps listing_ops = {
        .done = on_listing_done,
};

int http_list_tools(Backend *b) {
        HttpBackend *h = b->transport_data;

        if (h->listing) {
                /* Start over: the list may have changed since that one began. */
                if (h->listing->remote_id)
                        (void) post_delete(h->listing->endpoint, h->listing->remote_id, h->listing->version);
                h->listing = listing_free(h->listing);
        }

        HttpEndpoint *e = endpoint_choose(h, NULL);
        if (!e) {
                backend_catalog_listed(b, NULL); /* nothing to ask: nothing offered, for now */
                return 0;
        }
        _cleanup_(listing_freep) Listing *l = new0(Listing, 1);
        if (!l)
                return -ENOMEM;
        h->was_down = false;
        l->owner = h;
        l->endpoint = e;
        l->catalog = json_object_new_object();
        if (!l->catalog)
                return -ENOMEM;
        FOREACH_ELEMENT(list, lists)
        if (json_add(l->catalog, list->key, json_object_new_array()) < 0)
                return -ENOMEM;
        int r = listing_step(l, NULL);
        if (r < 0)
                return r;
        h->listing = TAKE_PTR(l);
        return 0;
}
