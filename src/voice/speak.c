/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* voice_speak: text or SSML to audio content (WAV or Ogg Opus), and optionally to the host's speakers. */
#include "base64.h"
#include "device.h"
#include "encode.h"
#include "mcp-content.h"
#include "mcp-request.h"
#include "synth.h"
#include "voice.h"

typedef struct Speak {
        json_object *arguments; /* the options point into it */
        SynthOptions synth;
        VoiceFormat format;
        bool play;
} Speak;

static void speak_free(void *userdata) {
        Speak *s = userdata;
        json_object_put(s->arguments);
        free(s);
}

static int get_int(json_object *arguments, const char *key, int def) {
        json_object *v;
        return json_object_object_get_ex(arguments, key, &v) && json_object_is_type(v, json_type_int)
                ? json_object_get_int(v)
                : def;
}

static json_object *speak_work(VoiceChild *c, void *userdata) {
        Speak *s = userdata;
        _cleanup_(voice_pcm_done) VoicePcm pcm = {};
        if (voice_synth(c, &s->synth, &pcm) < 0)
                return NULL;
        voice_child_progress(c, 100, 100, "Encoding");
        _cleanup_free_ char *bytes = NULL;
        size_t size;
        if (voice_encode(&pcm, s->format, &bytes, &size) < 0)
                return voice_child_fail(c, "The speech could not be encoded as %s.", voice_format_mime_type(s->format));
        if (s->play) {
                voice_child_progress(c, 100, 100, "Playing");
                if (voice_play(c, &pcm) < 0)
                        return NULL;
        }
        _cleanup_free_ char *b64 = base64_encode(bytes, size);
        _cleanup_json_ json_object *structured = json_object_new_object();
        _cleanup_json_ json_object *result = json_object_new_object();
        if (!b64 || !structured || !result)
                return voice_child_fail(c, "Out of memory.");
        const char *mime = voice_format_mime_type(s->format);
        json_object *content = JSON_ARRAY(mcp_content_audio(b64, mime));
        if (json_add_string(structured, "mimeType", mime) < 0 ||
                json_add(structured, "sampleRate", json_object_new_int((int) pcm.rate)) < 0 ||
                json_add(structured, "seconds", json_object_new_double(voice_pcm_seconds(&pcm))) < 0 ||
                json_add(structured, "bytes", json_object_new_int64((int64_t) size)) < 0 ||
                json_add_string(structured, "voice", s->synth.voice ?: "en-us") < 0 ||
                json_add(structured, "played", json_object_new_boolean(s->play)) < 0 ||
                json_add(result, "content", content) < 0 || json_add(result, "structured", TAKE_PTR(structured)) < 0)
                return voice_child_fail(c, "Out of memory.");
        return TAKE_PTR(result);
}

int tool_voice_speak(McpRequest *req, json_object *arguments) {
        Speak *s = new0(Speak, 1);
        if (!s)
                return -ENOMEM;
        s->arguments = json_object_get(arguments);
        s->synth = (SynthOptions){
                .text = json_get_string(arguments, "text"),
                .ssml = json_get_bool(arguments, "ssml", false),
                .voice = json_get_string(arguments, "voice"),
                .rate = get_int(arguments, "rate", 175),
                .pitch = get_int(arguments, "pitch", 50),
                .volume = get_int(arguments, "volume", 100),
        };
        s->play = json_get_bool(arguments, "play", false);
        const char *error = NULL;
        if (isempty(s->synth.text) || s->synth.text[strspn(s->synth.text, " \t\r\n")] == 0)
                error = "text is empty or white space: there is nothing to say.";
        else if (s->synth.voice && !voice_synth_voice_exists(s->synth.voice))
                error = "There is no such voice; voice_voices lists the voices and languages.";
        else if (voice_format_from_string(json_get_string(arguments, "format"), &s->format) < 0)
                error = "format is \"wav\" or \"ogg\" (Ogg Opus).";
        if (error) {
                speak_free(s);
                return mcp_request_reply_tool_error(req, "%s", error);
        }
        VoiceJobSpec spec = { .what = "synthesis",
                .timeout_usec = VOICE_JOB_TIMEOUT_USEC,
                .work = speak_work,
                .work_data = s,
                .userdata = s,
                .free_userdata = speak_free };
        int r = voice_job_start(req, &spec);
        return r < 0 ? voice_reply_job_error(req, r) : 0;
}
