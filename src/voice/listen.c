/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* voice_listen: records from the host's input for a bounded time or until silence, then transcribes it. */
#include <math.h>

#include "device.h"
#include "log.h"
#include "mcp-request.h"
#include "recognize.h"
#include "voice.h"

typedef struct Listen {
        json_object *arguments;
        ListenOptions listen;
        RecognizeOptions recognize;
} Listen;

static void listen_free(void *userdata) {
        Listen *l = userdata;
        json_object_put(l->arguments);
        free(l);
}

static double get_number(json_object *arguments, const char *key, double def) {
        json_object *v;
        if (!json_object_object_get_ex(arguments, key, &v) ||
                !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
                return def;
        double d = json_object_get_double(v);
        return isfinite(d) ? d : def;
}

static json_object *listen_work(VoiceChild *c, void *userdata) {
        Listen *l = userdata;
        double started = voice_now();
        _cleanup_(voice_pcm_done) VoicePcm pcm = {};
        if (voice_record(c, &l->listen, &pcm) < 0)
                return NULL;
        _cleanup_json_ json_object *transcript = NULL;
        if (voice_recognize(c, &pcm, &l->recognize, &transcript) < 0)
                return NULL;
        _cleanup_json_ json_object *audio = json_object_new_object();
        if (!audio || json_add_string(audio, "device", voice_input_device()) < 0 ||
                json_add(audio, "sampleRate", json_object_new_int((int) pcm.rate)) < 0 ||
                json_add(audio, "channels", json_object_new_int(1)) < 0 ||
                json_add(audio, "seconds", json_object_new_double(voice_pcm_seconds(&pcm))) < 0)
                return voice_child_fail(c, "Out of memory.");
        return voice_transcript_result(c, transcript, audio, started);
}

int tool_voice_listen(McpRequest *req, json_object *arguments) {
        Listen *l = new0(Listen, 1);
        if (!l)
                return -ENOMEM;
        l->arguments = json_object_get(arguments);
        l->listen = (ListenOptions){
                .max_seconds = get_number(arguments, "max_seconds", 5),
                .silence_seconds = get_number(arguments, "silence_seconds", 1),
                .threshold = get_number(arguments, "silence_threshold", 500),
        };
        /* The schema bounds them too; these hold where a caller skipped it. */
        l->listen.max_seconds = MIN(MAX(l->listen.max_seconds, 0.5), 30.0);
        l->listen.silence_seconds = MIN(MAX(l->listen.silence_seconds, 0.2), 10.0);
        l->listen.threshold = MIN(MAX(l->listen.threshold, 1.0), 32767.0);
        if (voice_recognize_options(req, arguments, &l->recognize) < 0) {
                listen_free(l);
                return 0;
        }
        VoiceJobSpec spec = { .what = "recording",
                .timeout_usec = VOICE_JOB_TIMEOUT_USEC,
                .work = listen_work,
                .work_data = l,
                .userdata = l,
                .free_userdata = listen_free };
        return voice_recognition_start(req, &spec);
}
