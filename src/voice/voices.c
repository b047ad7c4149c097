/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* voice_voices: the synthesizer's voices and their languages, and the recognizer's one language. Quick: it
 * runs on the loop, from the list libespeak-ng keeps in memory. */
#include <strings.h>

#include "mcp-content.h"
#include "mcp-request.h"
#include "recognize.h"
#include "synth.h"
#include "voice.h"

static bool voice_speaks(json_object *voice, const char *language) {
        json_object *langs = json_get_array(voice, "languages");
        for (size_t i = 0; i < json_object_array_length(langs); i++) {
                const char *l = json_object_get_string(json_object_array_get_idx(langs, i));
                size_t n = strlen(language);
                /* "en" matches "en", "en-us", "en-gb-scotland"; "en-us" only itself and its variants. */
                if (strncasecmp(l, language, n) == 0 && (l[n] == 0 || l[n] == '-'))
                        return true;
        }
        return false;
}

int tool_voice_voices(McpRequest *req, json_object *arguments) {
        const char *language = json_get_string(arguments, "language");
        _cleanup_json_ json_object *all = voice_synth_voices();
        _cleanup_json_ json_object *voices = json_object_new_array();
        _cleanup_json_ json_object *structured = json_object_new_object();
        _cleanup_json_ json_object *recognition = json_object_new_object();
        if (!all || !voices || !structured || !recognition)
                return -ENOMEM;
        for (size_t i = 0; i < json_object_array_length(all); i++) {
                json_object *v = json_object_array_get_idx(all, i);
                if (!isempty(language) && !voice_speaks(v, language))
                        continue;
                if (json_object_array_add(voices, json_object_get(v)) < 0)
                        return -ENOMEM;
        }
        size_t n = json_object_array_length(voices);
        bool model = voice_model_check() >= 0;
        if (json_add_string(recognition, "language", "en-us") < 0 ||
                json_add(recognition, "available", json_object_new_boolean(model)) < 0 ||
                json_add_string(recognition, "model", voice_model_dir()) < 0 ||
                json_add(structured, "voices", TAKE_PTR(voices)) < 0 ||
                json_add(structured, "count", json_object_new_int((int) n)) < 0 ||
                json_add_string(structured, "default", "en-us") < 0 ||
                json_add(structured, "recognition", TAKE_PTR(recognition)) < 0)
                return -ENOMEM;
        char text[256];
        snprintf(text, sizeof(text), "%zu voice%s%s%s%s; speech recognition: US English%s.", n, n == 1 ? "" : "s",
                isempty(language) ? "" : " for \"", strempty(language), isempty(language) ? "" : "\"",
                model ? "" : " (its model is not installed)");
        return mcp_request_reply_content(req, JSON_ARRAY(mcp_content_text(text)), TAKE_PTR(structured), false);
}
