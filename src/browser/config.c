/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-browserd's configuration: browser.conf and the drop-ins browser.conf.d/NAME.conf, [Browser] and [Origins]. */
#include <stdio.h>
#include <unistd.h>

#include "browser.h"
#include "conf-parser.h"
#include "log.h"
#include "strv.h"

#define EXPECTED_ORIGIN                                                                                                \
        "an origin pattern: https://example.com, https://example.com:8443, http://127.0.0.1:*, example.com, "          \
        "*.example.org or *; an empty value empties the list"

/* Allow= and Block= add up over lines and files; an empty value starts the list over. */
static int parse_origin_list(const char *value, void *data) {
        char ***l = data;
        if (isempty(value)) {
                *l = strv_free(*l);
                return 0;
        }
        if (!origin_pattern_is_valid(value))
                return -EINVAL;
        size_t n = strv_length(*l);
        char **grown = reallocarray(*l, n + 2, sizeof(char *));
        if (!grown)
                return -ENOMEM;
        *l = grown;
        grown[n + 1] = NULL;
        return (grown[n] = strdup(value)) ? 0 : -ENOMEM;
}

static int parse_dimension(const char *value, void *data) {
        unsigned *u = data;
        int r = config_parse_unsigned(value, u);
        if (r < 0)
                return r;
        return *u == 0 || (*u >= 100 && *u <= 8192) ? 0 : -EINVAL;
}

static const ConfigItem browser_items[] = {
        { "Executable", config_parse_path, offsetof(BrowserConfig, executable), CONFIG_EXPECTED_ABSOLUTE_PATH },
        { "NavigationTimeoutSec", config_parse_sec, offsetof(BrowserConfig, navigation_timeout_usec),
                CONFIG_EXPECTED_TIME_SPAN },
        { "Width", parse_dimension, offsetof(BrowserConfig, width), "a width in pixels, 100 to 8192" },
        { "Height", parse_dimension, offsetof(BrowserConfig, height), "a height in pixels, 100 to 8192" },
        { "MaxContexts", config_parse_unsigned, offsetof(BrowserConfig, max_contexts),
                CONFIG_EXPECTED_POSITIVE_INTEGER },
};

static const ConfigItem origin_items[] = {
        { "Allow", parse_origin_list, offsetof(BrowserConfig, allow), EXPECTED_ORIGIN },
        { "Block", parse_origin_list, offsetof(BrowserConfig, block), EXPECTED_ORIGIN },
        { "AllowLoopback", config_parse_bool, offsetof(BrowserConfig, allow_loopback), CONFIG_EXPECTED_BOOLEAN },
};

static int parse_file(const char *path, void *userdata) {
        BrowserConfig *c = userdata;
        ConfigSection more = { "Origins", origin_items, ELEMENTSOF(origin_items), c };
        ConfigFile f = {
                .path = path,
                .section = "Browser",
                .items = browser_items,
                .n_items = ELEMENTSOF(browser_items),
                .target = c,
                .more = &more,
                .n_more = 1,
        };
        return config_file_parse(&f);
}

int browser_config_load(BrowserConfig *c, const char *path) {
        if (!path)
                path = getenv("AIOS_BROWSER_CONFIG") ?: BROWSER_CONFIG_FILE;
        int r = config_parse_with_dropins(path, parse_file, c);
        if (r < 0)
                return r;

        if (!c->executable) {
                static const char *const candidates[] = { "/usr/bin/chromium", "/usr/bin/chromium-headless-shell" };
                FOREACH_ELEMENT(e, candidates)
                if (access(*e, X_OK) == 0) {
                        c->executable = strdup(*e);
                        if (!c->executable)
                                return log_oom();
                        break;
                }
        }
        if (c->navigation_timeout_usec == 0)
                c->navigation_timeout_usec = 30 * USEC_PER_SEC;
        if (c->width == 0)
                c->width = 1280;
        if (c->height == 0)
                c->height = 720;
        if (c->max_contexts == 0)
                c->max_contexts = 32;
        return 0;
}

void browser_config_done(BrowserConfig *c) {
        free(c->executable);
        strv_free(c->allow);
        strv_free(c->block);
        *c = (BrowserConfig){};
}
