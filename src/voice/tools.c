/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-voiced: its whole surface, the table of its tools; their schemas are in schemas/. */
#include "log.h"
#include "pcm.h"
#include "recognize.h"
#include "schemas.h"
#include "synth.h"
#include "voice.h"

const McpTool voice_tools[] = {
        { .name = "voice_speak",
                .title = "Speak text",
                .description =
                        "Speaks text (or SSML with ssml: true) with libespeak-ng on this machine and returns the speech "
                        "as audio content: WAV (16-bit mono, 22050 Hz) by default, Ogg Opus with format \"ogg\". voice "
                        "is a name or language from voice_voices (default en-us); rate in words per minute (80-450, "
                        "default 175), pitch 0-100 (50), volume 0-200 (100). With play: true it is also played on the "
                        "host's audio output, and the call fails with a clear error where there is none. At most 4000 "
                        "characters and 120 s of speech; longer speech is an error, never cut short.",
                .input_schema = voice_schema_voice_speak_input,
                .output_schema = voice_schema_voice_speak_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":false,\"idempotentHint\":false,"
                               "\"openWorldHint\":false}",
                .polkit_action = VOICE_ACTION_SPEAK,
                .handler = tool_voice_speak },
        { .name = "voice_transcribe",
                .title = "Transcribe audio",
                .description =
                        "Transcribes US English speech with pocketsphinx on this machine: audio content (as voice_speak "
                        "returns it: {\"data\": base64, \"mimeType\": ...}) in WAV, FLAC or Ogg (Vorbis or Opus), any "
                        "rate from 8 to 192 kHz and up to 8 channels, converted to 16 kHz mono. Returns the text with "
                        "each word's start, end and confidence. For commands, keywords (words or phrases: only those "
                        "are recognized, in any order) or a JSGF grammar make recognition far more accurate. At most "
                        "16 MiB and 120 s of audio.",
                .input_schema = voice_schema_voice_transcribe_input,
                .output_schema = voice_schema_voice_transcribe_output,
                .annotations = "{\"readOnlyHint\":true,\"idempotentHint\":true,\"openWorldHint\":false}",
                .polkit_action = VOICE_ACTION_SPEAK,
                .handler = tool_voice_transcribe },
        { .name = "voice_listen",
                .title = "Listen and transcribe",
                .description =
                        "Records from the host's audio input for at most max_seconds (default 5, up to 30), or until "
                        "silence_seconds of silence follow speech, then transcribes it as voice_transcribe does "
                        "(keywords or grammar too). Fails with a clear error where there is no input device, or when "
                        "the input stayed silent. The microphone hears the room: polkit asks each time.",
                .input_schema = voice_schema_voice_listen_input,
                .output_schema = voice_schema_voice_transcribe_output,
                .annotations = "{\"readOnlyHint\":true,\"idempotentHint\":false,\"openWorldHint\":true}",
                .polkit_action = VOICE_ACTION_LISTEN,
                /* The server's user may be in the audio group: no caller polkit did not vouch for records. */
                .polkit_required = true,
                .handler = tool_voice_listen },
        { .name = "voice_voices",
                .title = "Voices and languages",
                .description = "The voices voice_speak has (name, identifier, languages, gender), optionally only "
                               "those for a language (\"en\", \"de\", \"pt-br\"), and the language voice_transcribe "
                               "and voice_listen recognize (US English).",
                .input_schema = voice_schema_voice_voices_input,
                .output_schema = voice_schema_voice_voices_output,
                .annotations = "{\"readOnlyHint\":true,\"idempotentHint\":true,\"openWorldHint\":false}",
                .polkit_action = VOICE_ACTION_SPEAK,
                .handler = tool_voice_voices },
        {}
};

int voice_setup(McpServer *server) {
        /* Loaded once here, before the seccomp filter and before any job: every job's child inherits them. The
         * recognizer's model is loaded when the first recognition starts (voice_recognizer_warm_up()). */
        int r = voice_synth_init();
        if (r < 0)
                return r;
        if (voice_model_check() < 0)
                log_warning("The speech recognition model in %s (pocketsphinx-en-us) is not there: "
                            "voice_transcribe and voice_listen will fail.",
                        voice_model_dir());
        for (const McpTool *t = voice_tools; t->name; t++) {
                r = mcp_server_add_tool(server, t);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool voice_busy(void *userdata) {
        return voice_jobs_running() > 0;
}
