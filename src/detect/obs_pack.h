/* SPDX-License-Identifier: Apache-2.0 */
/* An observation packed into one byte string, for the observations partial
 * matches hold: a value tree copied into its own arena costs ~24 KB (nodes,
 * member arrays grown by doubling, 4 KB chunks), the same content packed and
 * deflated a tenth of that. Unpacking gives exactly what storm_v_copy would (same
 * members in the same order, same types, numbers and positions), so a
 * sighting written from an unpacked observation has the same bytes. The
 * bytes are compressed (Zstandard): a kprobe observation of ~8 KB packs to
 * ~1.4 KB against the packer's dictionary (obs_pack.c). */
#ifndef STORM_DETECT_OBS_PACK_H
#define STORM_DETECT_OBS_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/arena.h>
#include <storm/observation.h>

/* The compression context packing reuses (reset per observation): one made
 * and freed per observation shrank and regrew the heap each time. One per
 * detector (one thread at a time); NULL is allowed and packs with a context
 * of its own. */
typedef struct obs_packer obs_packer;
/* Owned: obs_packer_free. NULL on OOM. */
obs_packer *obs_packer_new(void);
void obs_packer_free(obs_packer *pk);

/* Pack obs's sdo, objects (keys and values) and scalar fields (not its id,
 * not its pending ids: the caller finished them), against pk's dictionary
 * (made from the first observation pk packs: unpack with the same pk).
 * Returns a malloc'd buffer of *len bytes, which the caller frees; NULL on
 * OOM. */
uint8_t *obs_pack(obs_packer *pk, const storm_observation *obs, size_t *len);

/* Rebuild the observation packed in packed[0..packed_len) into arena a (values, keys and
 * the objects array all live there), with id as its id (borrowed). pk: the
 * packer that packed it (its bytes may need its dictionary; NULL for bytes
 * packed without one). false on OOM or a malformed buffer. */
bool obs_unpack(obs_packer *pk, const uint8_t *packed, size_t packed_len, const char *id, storm_arena *a,
                storm_observation *out);

#endif
