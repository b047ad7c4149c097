/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /servers/<name>/mcp: one backend behind the gateway, every message passed on as it is. */
#include "forward.h"
#include "log.h"
#include "mcp-request.h"
#include "mcp-session.h"
#include "relay.h"

static int relay_request(McpRequest *req, json_object *message, void *userdata) {
        Backend *b = userdata;
        McpSession *session = mcp_request_get_session(req);
        /* An initialized session's revision and capabilities go along, so that a backend that does not hold the
         * session (this replica took it up from its sealed id, or the server started again) takes it as it is. */
        bool initialized = session && mcp_session_is_initialized(session);
        int r = forward_request(req, b, message, session ? mcp_session_get_id(session) : NULL,
                initialized ? mcp_session_get_version(session) : NULL,
                initialized ? mcp_session_get_client_capabilities(session) : NULL);
        return r < 0 ? r : 1;
}

static void relay_notify(McpSession *session, json_object *message, void *userdata) {
        Backend *b = userdata;
        /* Cancellation goes with the request it cancels (forward.c), also when the client just went away. */
        if (streq_ptr(json_get_string(message, "method"), "notifications/cancelled") || !session)
                return;
        (void) backend_notify(b, mcp_session_get_id(session), message);
}

static void relay_session_closed(McpSession *session, void *userdata) {
        (void) backend_end_session(userdata, mcp_session_get_id(session));
}

static const McpRelay relay_ops = {
        .request = relay_request,
        .notify = relay_notify,
        .session_closed = relay_session_closed,
};

int relay_new(Backend *b) {
        McpServerDefinition *def = new0(McpServerDefinition, 1);
        if (!def)
                return log_oom();
        def->name = b->config->name;
        def->relay = &relay_ops;

        int r = mcp_server_new(&b->relay, def, b->gateway->event, b);
        if (r < 0) {
                free(def);
                return r;
        }
        return 0;
}

void relay_free(Backend *b) {
        if (!b->relay)
                return;
        McpServerDefinition *def = (McpServerDefinition *) mcp_server_get_definition(b->relay);
        b->relay = mcp_server_free(b->relay);
        free(def);
}
