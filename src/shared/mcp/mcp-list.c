/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The list methods' shared parts: descriptors built once from the tables, and cursor pagination. */
#include <stdio.h>

#include "mcp-internal.h"

/* Adds key with the parsed JSON text, when text is set, or else with a reference to the same key of the
 * parsed descriptor, when there is one and the key is in it. Returns -EINVAL when the text is not JSON. */
static int add_json_text(json_object *o, const char *key, const char *text, json_object *descriptor) {
        json_object *shared;
        if (!text && descriptor && json_object_object_get_ex(descriptor, key, &shared) &&
                !json_object_is_type(shared, json_type_null))
                return json_add(o, key, json_object_get(shared));
        if (!text)
                return 0;
        json_object *v;
        int r = json_parse_strict(text, strlen(text), &v, NULL);
        if (r < 0)
                return r;
        return json_add(o, key, v);
}

static int add_optional_string(json_object *o, const char *key, const char *value) {
        return value ? json_add_string(o, key, value) : 0;
}

json_object *mcp_tool_descriptor_new(const McpTool *t, json_object *input_schema) {
        _cleanup_json_ json_object *d = json_object_new_object();
        if (!d || json_add_string(d, "name", t->name) < 0 || add_optional_string(d, "title", t->title) < 0 ||
                add_optional_string(d, "description", t->description) < 0 ||
                json_add(d, "inputSchema", json_object_get(input_schema)) < 0 ||
                add_json_text(d, "outputSchema", t->output_schema, t->descriptor) < 0 ||
                add_json_text(d, "annotations", t->annotations, t->descriptor) < 0 ||
                add_json_text(d, "icons", t->icons, t->descriptor) < 0)
                return NULL;
        if (t->cache_ttl_msec > 0) {
                json_object *meta = json_object_new_object();
                if (!meta || json_add(d, "_meta", meta) < 0 ||
                        json_add(meta, MCP_META_CACHE_TTL, json_object_new_int64((int64_t) t->cache_ttl_msec)) < 0)
                        return NULL;
        }
        return TAKE_PTR(d);
}

static json_object *resource_descriptor_new(const McpResource *r) {
        _cleanup_json_ json_object *d = json_object_new_object();
        if (!d || json_add_string(d, "uri", r->uri) < 0 || json_add_string(d, "name", r->name ?: r->uri) < 0 ||
                add_optional_string(d, "title", r->title) < 0 ||
                add_optional_string(d, "description", r->description) < 0 ||
                add_optional_string(d, "mimeType", r->mime_type) < 0)
                return NULL;
        return TAKE_PTR(d);
}

static json_object *template_descriptor_new(const McpResourceTemplate *t) {
        _cleanup_json_ json_object *d = json_object_new_object();
        if (!d || json_add_string(d, "uriTemplate", t->uri_template) < 0 ||
                json_add_string(d, "name", t->name ?: t->uri_template) < 0 ||
                add_optional_string(d, "title", t->title) < 0 ||
                add_optional_string(d, "description", t->description) < 0 ||
                add_optional_string(d, "mimeType", t->mime_type) < 0)
                return NULL;
        return TAKE_PTR(d);
}

static json_object *prompt_descriptor_new(const McpPrompt *p) {
        _cleanup_json_ json_object *d = json_object_new_object();
        if (!d || json_add_string(d, "name", p->name) < 0 || add_optional_string(d, "title", p->title) < 0 ||
                add_optional_string(d, "description", p->description) < 0 ||
                add_json_text(d, "arguments", p->arguments, NULL) < 0)
                return NULL;
        return TAKE_PTR(d);
}

#define BUILD_ARRAY(out, table, field, builder)                                                                        \
        ({                                                                                                             \
                int _r = 0;                                                                                            \
                (out) = json_object_new_array();                                                                       \
                if (!(out))                                                                                            \
                        _r = -ENOMEM;                                                                                  \
                for (const typeof(*(table)) *_e = (table); _r == 0 && _e && _e->field; _e++) {                         \
                        json_object *_d = builder(_e);                                                                 \
                        if (!_d || json_object_array_add((out), _d) < 0)                                               \
                                _r = -EINVAL;                                                                          \
                }                                                                                                      \
                _r;                                                                                                    \
        })

int mcp_server_build_descriptors(McpServer *s) {
        const McpServerDefinition *def = s->def;
        if (BUILD_ARRAY(s->resource_descriptors, def->resources, uri, resource_descriptor_new) < 0 ||
                BUILD_ARRAY(s->template_descriptors, def->resource_templates, uri_template, template_descriptor_new) <
                        0 ||
                BUILD_ARRAY(s->prompt_descriptors, def->prompts, name, prompt_descriptor_new) < 0)
                return -EINVAL;
        return 0;
}

/* Cursors are opaque to clients; ours is the offset of the next page. */
static int cursor_parse(json_object *params, size_t n, size_t *ret) {
        json_object *c;
        if (!params || !json_object_object_get_ex(params, "cursor", &c) || json_object_is_type(c, json_type_null)) {
                *ret = 0;
                return 0;
        }

        const char *s = json_object_is_type(c, json_type_string) ? json_object_get_string(c) : NULL;
        unsigned long long v;
        int consumed = 0;
        if (!s || sscanf(s, "o%llu%n", &v, &consumed) != 1 || s[consumed] || v > n)
                return -EINVAL;
        *ret = (size_t) v;
        return 0;
}

/* The entries of all that req may see, a new reference. */
static json_object *list_filtered(McpRequest *req, const char *key, json_object *all) {
        if (!req->server->def->list_filter)
                return json_object_get(all);
        _cleanup_json_ json_object *visible = json_object_new_array();
        if (!visible)
                return NULL;
        for (size_t i = 0; i < json_object_array_length(all); i++) {
                json_object *entry = json_object_array_get_idx(all, i);
                if (req->server->def->list_filter(req, key, entry) &&
                        json_object_array_add(visible, json_object_get(entry)) < 0)
                        return NULL;
        }
        return TAKE_PTR(visible);
}

int mcp_reply_page(McpRequest *req, const char *key, json_object *unfiltered) {
        _cleanup_json_ json_object *all = list_filtered(req, key, unfiltered);
        if (!all)
                return -ENOMEM;
        size_t n = json_object_array_length(all);
        size_t page = req->server->def->page_size ?: MCP_DEFAULT_PAGE_SIZE;
        size_t offset;

        if (cursor_parse(req->params, n, &offset) < 0)
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS, "Invalid params: unknown cursor.");

        _cleanup_json_ json_object *result = json_object_new_object();
        if (!result)
                return -ENOMEM;

        if (offset == 0 && n <= page) {
                /* The common case: everything in one page, shared with the descriptor cache. */
                if (json_add(result, key, json_object_get(all)) < 0)
                        return -ENOMEM;
                return mcp_request_reply(req, TAKE_PTR(result));
        }

        _cleanup_json_ json_object *items = json_object_new_array_ext((int) MIN(page, n - offset));
        if (!items)
                return -ENOMEM;
        for (size_t i = offset; i < n && i < offset + page; i++)
                if (json_object_array_add(items, json_object_get(json_object_array_get_idx(all, i))) < 0)
                        return -ENOMEM;
        if (json_add(result, key, TAKE_PTR(items)) < 0)
                return -ENOMEM;

        if (offset + page < n) {
                char cursor[32];
                snprintf(cursor, sizeof(cursor), "o%zu", offset + page);
                if (json_add_string(result, "nextCursor", cursor) < 0)
                        return -ENOMEM;
        }
        return mcp_request_reply(req, TAKE_PTR(result));
}

int mcp_request_reply_page(McpRequest *req, const char *key, json_object *all) {
        return mcp_reply_page(req, key, all);
}
