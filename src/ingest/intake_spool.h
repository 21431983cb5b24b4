/* SPDX-License-Identifier: Apache-2.0 */
/* The intake's spool file (intake_spool.c), private to src/ingest. */
#ifndef STORM_INTAKE_SPOOL_H
#define STORM_INTAKE_SPOOL_H

#include <stdint.h>
#include <storm/intake.h>

typedef struct intake_spool {
    int fd; /* -1: no spool */
    uint64_t gen;
    uint64_t end; /* bytes written: the position after the last body */
} intake_spool;

/* Open (creating) and lock path, and start a new, empty generation: what it
 * held must have been replayed and committed first. */
storm_rc intake_spool_open(intake_spool *sp, const char *path, storm_err *err);
/* Empty the file and start the next generation. */
storm_rc intake_spool_reset(intake_spool *sp, storm_err *err);
/* Append one body; on failure the file is cut back to where it was. */
storm_rc intake_spool_append(intake_spool *sp, const char *body, size_t len, storm_err *err);
void intake_spool_close(intake_spool *sp);
void intake_spool_position(uint64_t gen, uint64_t end, char out[STORM_INTAKE_POSITION_MAX]);

#endif
