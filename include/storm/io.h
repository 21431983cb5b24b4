/* SPDX-License-Identifier: Apache-2.0 */
/* Small file helpers with size caps. */
#ifndef STORM_IO_H
#define STORM_IO_H

#include <stddef.h>
#include <storm/err.h>
#include <storm/time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Read a whole file ("-" = standard input) of at most max bytes. On success
 * *data is owned by the caller (free()), NUL-terminated, *len its size.
 * Fails with STORM_ERR_LIMIT past max, STORM_ERR_IO with the reason otherwise. */
storm_rc storm_read_file(const char *path, size_t max, char **data, size_t *len, storm_err *err);

/* The modification time of the regular file at path, or fallback for "-"
 * (standard input) and anything that is not a regular file. Records that
 * carry no time are dated by it: stable when the same file is read again. */
storm_time_ns storm_file_mtime(const char *path, storm_time_ns fallback);

#ifdef __cplusplus
}
#endif
#endif
