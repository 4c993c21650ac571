/*
 * report/robust_note.h - the sentence the report gives, on a study with
 * scenarios, saying how its configurations were judged across them
 * (analysis/scenarios.h: the weighted mean, guardrails under every
 * scenario, robust functions across them).
 *
 * Pure: builds text, no I/O.
 */
#ifndef BO_REPORT_ROBUST_NOTE_H
#define BO_REPORT_ROBUST_NOTE_H

#include <stddef.h>

#include "core/model.h"

/* Writes the note for study s into buf (size bytes, truncated) and returns
 * buf; "" for a study without scenarios. Plain text: the caller escapes it
 * for HTML or Markdown. */
const char *bo__report_scenario_note(const bo_study *s, char *buf, size_t size);

#endif
