/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* subscriptions/listen: the stateless wire's channel for notifications that belong to no request. The
 * listen request stays open (its stream carries the notifications) until the client closes it. */
#include "mcp-internal.h"

static const char *const filter_flags[] = { "toolsListChanged", "promptsListChanged", "resourcesListChanged" };

/* The part of the client's filter we understand; unknown members are left out of the acknowledgement. */
static int filter_new(json_object *requested, json_object **ret) {
        _cleanup_json_ json_object *filter = json_object_new_object();
        if (!filter)
                return -ENOMEM;

        FOREACH_ELEMENT(flag, filter_flags) {
                json_object *v;
                if (!json_object_object_get_ex(requested, *flag, &v))
                        continue;
                if (!json_object_is_type(v, json_type_boolean))
                        return -EINVAL;
                if (json_add(filter, *flag, json_object_new_boolean(json_object_get_boolean(v))) < 0)
                        return -ENOMEM;
        }

        json_object *uris;
        if (json_object_object_get_ex(requested, "resourceSubscriptions", &uris)) {
                if (!json_object_is_type(uris, json_type_array))
                        return -EINVAL;
                for (size_t i = 0, n = json_object_array_length(uris); i < n; i++)
                        if (!json_object_is_type(json_object_array_get_idx(uris, i), json_type_string))
                                return -EINVAL;
                if (json_add(filter, "resourceSubscriptions", json_object_get(uris)) < 0)
                        return -ENOMEM;
        }

        *ret = TAKE_PTR(filter);
        return 0;
}

/* A notification for this listener: the params with the subscription id in their _meta. */
static json_object *tagged_notification_new(McpRequest *listener, const char *method, json_object *params) {
        /* The same params go to every listener: each gets its own copy to tag. */
        _cleanup_json_ json_object *p = NULL;
        if (!params)
                p = json_object_new_object();
        else if (json_object_deep_copy(params, &p, NULL) < 0)
                return NULL;
        _cleanup_json_ json_object *meta = json_object_new_object();
        if (!p || !meta || json_add(meta, MCP_META_SUBSCRIPTION_ID, json_object_get(listener->id)) < 0 ||
                json_add(p, "_meta", TAKE_PTR(meta)) < 0)
                return NULL;
        return jsonrpc_notification_new(method, TAKE_PTR(p));
}

int mcp_method_subscriptions_listen(McpRequest *req) {
        json_object *requested = json_get_object(req->params, "notifications");
        if (!requested)
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS,
                        "Invalid params: \"notifications\" must be an object naming what to listen for");

        _cleanup_json_ json_object *filter = NULL;
        int r = filter_new(requested, &filter);
        if (r == -EINVAL)
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS,
                        "Invalid params: the \"notifications\" flags must be booleans and \"resourceSubscriptions\" an array of URIs");
        if (r < 0)
                return r;

        _cleanup_json_ json_object *params = json_object_new_object();
        if (!params || json_add(params, "notifications", json_object_get(filter)) < 0)
                return -ENOMEM;
        _cleanup_json_ json_object *ack =
                tagged_notification_new(req, "notifications/subscriptions/acknowledged", params);
        if (!ack)
                return -ENOMEM;
        r = mcp_request_send(req, ack);
        if (r < 0)
                return r;

        req->listen_filter = TAKE_PTR(filter);
        req->listen_next = req->server->listeners;
        if (req->listen_next)
                req->listen_next->listen_prev = req;
        req->server->listeners = req;
        return 0; /* no answer: the stream stays open until the client closes it */
}

void mcp_subscriptions_forget(McpRequest *req) {
        if (!req->listen_filter)
                return;
        if (req->listen_prev)
                req->listen_prev->listen_next = req->listen_next;
        else
                req->server->listeners = req->listen_next;
        if (req->listen_next)
                req->listen_next->listen_prev = req->listen_prev;
        req->listen_next = req->listen_prev = NULL;
        req->listen_filter = (json_object_put(req->listen_filter), NULL);
}

static bool filter_wants(json_object *filter, const char *method, const char *uri) {
        if (streq(method, "notifications/tools/list_changed"))
                return json_get_bool(filter, "toolsListChanged", false);
        if (streq(method, "notifications/prompts/list_changed"))
                return json_get_bool(filter, "promptsListChanged", false);
        if (streq(method, "notifications/resources/list_changed"))
                return json_get_bool(filter, "resourcesListChanged", false);
        if (streq(method, "notifications/resources/updated") && uri) {
                json_object *uris = json_get_array(filter, "resourceSubscriptions");
                for (size_t i = 0, n = uris ? json_object_array_length(uris) : 0; i < n; i++)
                        if (streq_ptr(json_object_get_string(json_object_array_get_idx(uris, i)), uri))
                                return true;
        }
        return false;
}

void mcp_subscriptions_deliver(McpServer *s, const char *method, json_object *params, const char *uri) {
        for (McpRequest *l = s->listeners, *next; l; l = next) {
                next = l->listen_next; /* a failed send may end the listener */
                if (!filter_wants(l->listen_filter, method, uri))
                        continue;
                _cleanup_json_ json_object *n = tagged_notification_new(l, method, params);
                if (n)
                        (void) mcp_request_send(l, n);
        }
}
