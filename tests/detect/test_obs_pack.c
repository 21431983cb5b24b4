/* SPDX-License-Identifier: Apache-2.0 */
/* The observations partial matches hold are packed (obs_pack.c: a plain
 * layout, compressed) and rebuilt when a complete match is written. The
 * rebuilt observation must be the original's tree exactly (types, numbers,
 * strings, member order, positions, keys, scalar fields): every observation
 * of the sensor corpus goes through one reused packer and back, then a few
 * through a packer of their own; the packed bytes must be much smaller than
 * the observation's JSON; damaged packed bytes must be refused, not crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/arena.h>
#include <storm/buf.h>
#include <storm/json.h>
#include <storm/stix.h>

#include "obs_pack.h"

#include "test.h"
#include "value_same.h"
#include "detect_test_util.h"

static bool obs_same(const storm_observation *x, const storm_observation *y)
{
    if (x->index != y->index || x->first_observed != y->first_observed || x->last_observed != y->last_observed ||
        x->number_observed != y->number_observed || x->n_objects != y->n_objects || !test_value_same(x->sdo, y->sdo))
        return false;
    for (size_t i = 0; i < x->n_objects; i++) {
        const char *kx = x->objects[i].key, *ky = y->objects[i].key;
        if (!kx != !ky || (kx && strcmp(kx, ky) != 0) || !test_value_same(x->objects[i].value, y->objects[i].value))
            return false;
    }
    return true;
}

typedef struct run {
    obs_packer *pk;
    storm_arena *unpacked;
    size_t observations, same, own_packer_same, refused_damaged, damaged, refused_no_packer;
    size_t packed_bytes, json_bytes;
} run;

static void round_trip(void *ctx, storm_arena *a, const storm_event *ev, const char *where)
{
    run *r = ctx;
    (void)where;
    storm_stix_opts so = {0};
    so.default_time = 1700000000LL * 1000000000LL;
    so.record = where;
    so.record_len = strlen(where);
    so.record_index = r->observations;
    storm_observation obs;
    storm_err err;
    storm_err_clear(&err);
    if (storm_stix_observe(a, ev, &so, &obs, &err) != STORM_OK)
        return;
    r->observations++;
    size_t len = 0;
    uint8_t *packed = obs_pack(r->pk, &obs, &len);
    if (!packed)
        return;
    storm_arena_reset(r->unpacked);
    storm_observation back;
    if (obs_unpack(r->pk, packed, len, obs.id, r->unpacked, &back) && obs_same(&obs, &back))
        r->same++;
    /* packed against the packer's dictionary: refused without it */
    storm_arena_reset(r->unpacked);
    r->refused_no_packer += !obs_unpack(NULL, packed, len, obs.id, r->unpacked, &back);
    r->packed_bytes += len;
    storm_buf j;
    storm_buf_init(&j, 1u << 24);
    storm_json_write(&j, obs.sdo, 0);
    for (size_t i = 0; i < obs.n_objects; i++)
        storm_json_write(&j, obs.objects[i].value, 0);
    r->json_bytes += j.len;
    storm_buf_free(&j);
    /* every 7th: damaged copies (cut short, a byte changed in the middle)
     * are refused or rebuild something, never crash or read past the end */
    if (r->observations % 7 == 0 && len > 4) {
        uint8_t *cut = malloc(len);
        memcpy(cut, packed, len);
        storm_arena_reset(r->unpacked);
        r->damaged++;
        r->refused_damaged += !obs_unpack(r->pk, cut, len / 2, obs.id, r->unpacked, &back);
        cut[len / 2] ^= 0x5a;
        storm_arena_reset(r->unpacked);
        (void)obs_unpack(r->pk, cut, len, obs.id, r->unpacked, &back);
        free(cut);
    }
    free(packed);
    /* every 5th: a packer of its own (NULL) packs the same */
    if (r->observations % 5 == 0) {
        uint8_t *own = obs_pack(NULL, &obs, &len);
        storm_arena_reset(r->unpacked);
        if (own && obs_unpack(NULL, own, len, obs.id, r->unpacked, &back) && obs_same(&obs, &back))
            r->own_packer_same++;
        free(own);
    }
}

static void corpus_round_trip(void)
{
    run r;
    memset(&r, 0, sizeof r);
    r.pk = obs_packer_new();
    r.unpacked = storm_arena_new(0, 0);
    CHECK(r.pk != NULL);
    storm_arena *a = storm_arena_new(0, 0);
    if (r.pk)
        test_corpus_events(a, true, round_trip, &r);
    printf("# %zu observations, %zu rebuilt alike (%zu with their own packer); packed %zu bytes for %zu of JSON; "
           "%zu of %zu cut short refused\n",
           r.observations, r.same, r.own_packer_same, r.packed_bytes, r.json_bytes, r.refused_damaged, r.damaged);
    CHECK(r.observations >= 300);
    CHECK(r.same == r.observations);
    CHECK(r.refused_no_packer == r.observations);
    CHECK(r.own_packer_same == r.observations / 5);
    CHECK(r.packed_bytes * 2 < r.json_bytes);
    CHECK(r.damaged > 0 && r.refused_damaged == r.damaged);
    obs_packer_free(r.pk);
    storm_arena_free(r.unpacked);
    storm_arena_free(a);
}

int main(void)
{
    RUN(corpus_round_trip);
    return test_report("test_obs_pack");
}
