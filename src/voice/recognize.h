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

/* Starts loading the acoustic model and the dictionary in a thread of the server, once, when the first
 * recognition starts: the jobs started after it is done inherit them in their child, those started before load
 * their own (about a second more for them, aios-voiced(8)). Returns 0, -ENOENT without the model's files, or a
 * negative errno when the thread could not be started. */
int voice_recognizer_warm_up(sd_event *event);

/* Starts a recognition job (voice_job_start(), its failure answered), then the model's loading in the server
 * for the jobs after it. Returns 0. */
int voice_recognition_start(McpRequest *req, const VoiceJobSpec *spec);

/* In a job's child: transcribes pcm (VOICE_RECOGNIZER_RATE mono). *ret: {"text", "confidence", "words":
 * [{"word", "start", "end", "confidence"}], "mode"}. Returns 0 or a negative errno after voice_child_fail(). */
int voice_recognize(VoiceChild *c, const VoicePcm *pcm, const RecognizeOptions *o, json_object **ret);
