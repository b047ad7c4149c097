/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* voice_transcribe: audio content (WAV, FLAC, Ogg), or an audio file of an IDE workspace, to text with word
 * timings and confidence. */
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "decode.h"
#include "log.h"
#include "mcp-content.h"
#include "mcp-request.h"
#include "recognize.h"
#include "voice.h"
#include "workspace-file.h"

typedef struct Transcribe {
        json_object *arguments;
        const char *data; /* base64, or NULL for a workspace file */
        int fd;           /* the workspace file, which the job's child inherits */
        uint64_t size;
        RecognizeOptions recognize;
} Transcribe;

static void transcribe_free(void *userdata) {
        Transcribe *t = userdata;
        json_object_put(t->arguments);
        safe_close(t->fd);
        free(t);
}

int voice_reply_job_error(McpRequest *req, int error) {
        if (error == -EBUSY)
                return mcp_request_reply_tool_error(req,
                        "This server is already doing as much speech work as it allows (%u calls at once); try "
                        "again shortly.",
                        VOICE_MAX_JOBS);
        return mcp_request_reply_tool_error(req, "The work could not start: %s.", strerror(-error));
}

int voice_recognize_options(McpRequest *req, json_object *arguments, RecognizeOptions *ret) {
        json_object *keywords = json_get_array(arguments, "keywords");
        const char *grammar = json_get_string(arguments, "grammar");
        if (keywords && grammar) {
                (void) mcp_request_reply_tool_error(req, "Give keywords or grammar, not both.");
                return -EINVAL;
        }
        if (keywords && json_object_array_length(keywords) == 0) {
                (void) mcp_request_reply_tool_error(req, "keywords is empty: leave it out for free-form speech.");
                return -EINVAL;
        }
        *ret = (RecognizeOptions){ .keywords = keywords, .grammar = grammar };
        return 0;
}

double voice_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The reply of voice_transcribe and voice_listen: the text as content, everything in structuredContent. */
json_object *voice_transcript_result(VoiceChild *c, json_object *transcript, json_object *audio, double started) {
        _cleanup_json_ json_object *result = json_object_new_object();
        const char *text = json_get_string(transcript, "text");
        json_object *content = JSON_ARRAY(mcp_content_text(isempty(text) ? "(no speech recognized)" : text));
        if (!result || json_add(transcript, "audio", json_object_get(audio)) < 0 ||
                json_add(transcript, "processingSeconds", json_object_new_double(voice_now() - started)) < 0 ||
                json_add(result, "content", content) < 0 ||
                json_add(result, "structured", json_object_get(transcript)) < 0)
                return voice_child_fail(c, "Out of memory.");
        return TAKE_PTR(result);
}

static json_object *transcribe_work(VoiceChild *c, void *userdata) {
        Transcribe *t = userdata;
        double started = voice_now();
        _cleanup_free_ char *bytes = NULL;
        size_t size;
        if (!t->data) {
                int r = workspace_file_read_all(t->fd, t->size, &bytes, &size);
                if (r < 0)
                        return voice_child_fail(c, "The workspace file could not be read: %s.", strerror(-r));
        } else if (base64_decode(t->data, strlen(t->data), &bytes, &size) < 0)
                return voice_child_fail(c, "audio.data is not base64.");
        _cleanup_(voice_pcm_done) VoicePcm pcm = {};
        DecodeInfo info;
        if (voice_decode(c, bytes, size, &pcm, &info) < 0)
                return NULL;
        _cleanup_json_ json_object *transcript = NULL;
        if (voice_recognize(c, &pcm, &t->recognize, &transcript) < 0)
                return NULL;
        _cleanup_json_ json_object *audio = json_object_new_object();
        if (!audio || json_add_string(audio, "format", info.format) < 0 ||
                json_add(audio, "sampleRate", json_object_new_int((int) info.rate)) < 0 ||
                json_add(audio, "channels", json_object_new_int((int) info.channels)) < 0 ||
                json_add(audio, "seconds", json_object_new_double(info.seconds)) < 0)
                return voice_child_fail(c, "Out of memory.");
        return voice_transcript_result(c, transcript, audio, started);
}

static int transcribe_start(McpRequest *req, Transcribe *t) {
        VoiceJobSpec spec = { .what = "recognition",
                .timeout_usec = VOICE_JOB_TIMEOUT_USEC,
                .work = transcribe_work,
                .work_data = t,
                .userdata = t,
                .free_userdata = transcribe_free };
        return voice_recognition_start(req, &spec);
}

static void on_workspace_file(McpRequest *req, WorkspaceFile *f, void *userdata) {
        Transcribe *t = userdata;
        if (mcp_request_is_done(req)) {
                transcribe_free(t);
                return;
        }
        if (f->fd < 0) {
                (void) mcp_request_reply_tool_error(req, "%s", f->error);
                transcribe_free(t);
                return;
        }
        t->fd = TAKE_FD(f->fd);
        t->size = f->size;
        /* The job owns t from here, and frees it also when it cannot start. */
        (void) transcribe_start(req, t);
}

int tool_voice_transcribe(McpRequest *req, json_object *arguments) {
        json_object *audio = json_get_object(arguments, "audio");
        json_object *file = json_get_object(arguments, "file");
        const char *data = json_get_string(audio, "data");
        if (audio && file)
                return mcp_request_reply_tool_error(req, "Give audio or file, not both.");
        if (!data && !file)
                return mcp_request_reply_tool_error(req,
                        "audio.data is missing: give the audio as base64, or file: {workspace, path} for an audio "
                        "file of an IDE workspace.");
        /* Checked here too, before a child is started for it: base64 holds 3 bytes in 4 characters. */
        if (data && strlen(data) / 4 * 3 > VOICE_MAX_AUDIO_BYTES + 3)
                return mcp_request_reply_tool_error(req, "The audio is larger than %u bytes; send at most %u s of it.",
                        VOICE_MAX_AUDIO_BYTES, VOICE_MAX_SECONDS);
        Transcribe *t = new0(Transcribe, 1);
        if (!t)
                return -ENOMEM;
        t->arguments = json_object_get(arguments);
        t->data = data;
        t->fd = -EBADF;
        if (voice_recognize_options(req, arguments, &t->recognize) < 0) {
                transcribe_free(t);
                return 0;
        }
        if (data)
                return transcribe_start(req, t);
        int r = workspace_file_open(req, json_get_string(file, "workspace"), json_get_string(file, "path"),
                VOICE_MAX_AUDIO_BYTES, on_workspace_file, t);
        if (r < 0) {
                transcribe_free(t);
                return mcp_request_reply_tool_error(req, "The workspace file could not be asked for: %s.",
                        strerror(-r));
        }
        return 0;
}
