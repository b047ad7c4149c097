/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Speech recognition with pocketsphinx and Debian's US English model: free-form with its language model, or
 * constrained to a keyword list or a JSGF grammar for commands. */
#pragma once

#include "job.h"
#include "pcm.h"

#ifndef VOICE_MODEL_DIR
#define VOICE_MODEL_DIR "/usr/share/pocketsphinx/model/en-us"
#endif

typedef struct RecognizeOptions {
        json_object *keywords; /* array of words or phrases, or NULL */
        const char *grammar;   /* JSGF text, or NULL */
} RecognizeOptions;

/* Whether the model's files are where the recognizer looks (AIOS_VOICE_MODEL_DIR, or VOICE_MODEL_DIR). */
const char *voice_model_dir(void);
int voice_model_check(void);

/* Loads the acoustic model and the dictionary once, in the server before any job: each job's child inherits
 * them. Without it each child loads its own. */
int voice_recognizer_preload(void);

/* In a job's child: transcribes pcm (VOICE_RECOGNIZER_RATE mono). *ret: {"text", "confidence", "words":
 * [{"word", "start", "end", "confidence"}], "mode"}. Returns 0 or a negative errno after voice_child_fail(). */
int voice_recognize(VoiceChild *c, const VoicePcm *pcm, const RecognizeOptions *o, json_object **ret);
