/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON writer's two halves (private to src/core): the piecewise writer
 * (json_write.c: every flag, exact near the buffer's cap) and the compact
 * writer (json_write_compact.c: the same bytes, faster), which
 * storm_json_write uses for STORM_JSONW_COMPACT. The tests compare them. */
#ifndef STORM_CORE_JSON_WRITE_INT_H
#define STORM_CORE_JSON_WRITE_INT_H

#include <stdbool.h>
#include <storm/buf.h>
#include <storm/value.h>

/* v appended to out with the flags, one token at a time. */
storm_rc json_write_piecewise(storm_buf *out, const storm_value *v, int flags);
/* s[0..len) as a JSON string, one escape at a time (exact near the cap). */
storm_rc json_write_string_exact(storm_buf *out, const char *s, size_t len);

/* v appended to out compactly: the bytes of json_write_piecewise(out, v,
 * STORM_JSONW_COMPACT). */
storm_rc json_write_compact(storm_buf *out, const storm_value *v);
/* Whether the worst case of a string of len bytes (every byte escaped) fits
 * out's cap; then json_write_string_room writes it, reserving room once. */
bool json_string_fits(const storm_buf *out, size_t len);
storm_rc json_write_string_room(storm_buf *out, const char *s, size_t len);

#endif
