/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-voiced: the table of its tools, and what the handlers share. */
#pragma once

#include "job.h"
#include "mcp-server.h"

/* polkit actions (polkit/org.aios.policy). */
#define VOICE_ACTION_SPEAK "org.aios.voice.speak"
#define VOICE_ACTION_LISTEN "org.aios.voice.listen"

/* How long a job may run before it is killed (besides what it waits on a device). */
#define VOICE_JOB_TIMEOUT_USEC (300ULL * USEC_PER_SEC)

extern const McpTool voice_tools[]; /* tools.c: voice_speak, voice_transcribe, voice_listen, voice_voices */

/* Loads the speech engine (once, before any job forks) and adds the tools. */
int voice_setup(McpServer *server);
/* Whether jobs run (the server stays up for them). */
bool voice_busy(void *userdata);

/* The handlers, one file each. */
int tool_voice_speak(McpRequest *req, json_object *arguments);      /* speak.c */
int tool_voice_transcribe(McpRequest *req, json_object *arguments); /* transcribe.c */
int tool_voice_listen(McpRequest *req, json_object *arguments);     /* listen.c */
int tool_voice_voices(McpRequest *req, json_object *arguments);     /* voices.c */

/* transcribe.c: the recognizer's options from a call's keywords and grammar (the call is answered and -EINVAL
 * returned when both are given), and the reply both recognizing tools make. */
typedef struct RecognizeOptions RecognizeOptions;
int voice_recognize_options(McpRequest *req, json_object *arguments, RecognizeOptions *ret);
/* In a job's child: the result of voice_transcribe and voice_listen from a transcript (voice_recognize()),
 * what the audio was, and when the work started (CLOCK_MONOTONIC seconds, voice_now()). */
json_object *voice_transcript_result(VoiceChild *c, json_object *transcript, json_object *audio, double started);
double voice_now(void);
/* A tool error after a job could not start. */
int voice_reply_job_error(McpRequest *req, int error);
