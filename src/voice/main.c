/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-voiced: speech in and out on this machine, with no cloud: libespeak-ng speaks, pocketsphinx listens. */
#include "server-main.h"
#include "voice.h"

static McpServerDefinition definition = {
        .name = "aios-voiced",
        .title = "aios voice",
        .version = PROJECT_VERSION,
        .instructions = "Speech on this machine: voice_speak turns text into audio content (and can play it), "
                        "voice_transcribe turns audio content into text with word timings, voice_listen records from "
                        "the microphone and transcribes, voice_voices lists voices and languages. For commands, give "
                        "voice_transcribe and voice_listen the expected words as keywords.",
        .bus_name = "org.aios.Voice1",
};

static int setup(McpServer *server, void *userdata) {
        return voice_setup(server);
}

int main(int argc, char *argv[]) {
        static const McpServerMain m = {
                .definition = &definition,
                .summary = "Serves speech over MCP: text to speech, speech to text, the host's audio devices.",
                .setup = setup,
                .busy = voice_busy,
        };
        return mcp_server_main(argc, argv, &m);
}
