/* SPDX-License-Identifier: Apache-2.0 */
/* The attack-model loader on every real model of the corpus: how many
 * indicators load, how many defects are reported (and where), and that one
 * bad object never refuses the rest; the shipped library loads clean. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/model.h>
#include <storm/stix.h>

#include "test.h"

static char path_buf[4096];

static const char *corpus(const char *name)
{
    const char *root = getenv("STORM_SOURCE_ROOT");
    snprintf(path_buf, sizeof path_buf, "%s/tests/data/corpus/attack-models/%s", root ? root : ".", name);
    return path_buf;
}

static storm_models *load(const char *path)
{
    storm_models *m = NULL;
    CHECK(storm_models_new(&m) == STORM_OK);
    storm_err err;
    storm_err_clear(&err);
    storm_models_load_path(m, path, &err);
    storm_models_finish(m);
    return m;
}

static size_t fatal_count(const storm_models *m)
{
    size_t n = 0;
    for (size_t i = 0; i < storm_models_n_defects(m); i++)
        n += storm_models_defect(m, i)->fatal;
    return n;
}

typedef struct expect {
    const char *file;
    size_t indicators, steps, defects, fatal;
} expect;

/* Counts checked by hand against the files (see each file's defects with
 * `storm models lint`): testpost bodies carry non-UUID ids, bundle ids "1".."15",
 * non-STIX bundle properties (name, version, spec_version) and objects without
 * spec_version/created/modified, and comparisons on paths Storm's observation
 * model does not have (process:extensions.function_name, file:path). */
static const expect expected[] = {
    {"honeycluster-demobundle.json", 3, 3, 36, 5},
    {"honeycluster-kubehound-stix.json", 7, 7, 65, 0},
    {"honeycluster-testpost-01-CE_NSENTER.json", 1, 1, 11, 0},
    {"honeycluster-testpost-02-CE_SYS_PTRACE.json", 1, 1, 12, 0},
    {"honeycluster-testpost-03-CE_PRIV_MOUNT.json", 1, 1, 11, 0},
    {"honeycluster-testpost-04-CE_MODULE_LOAD.json", 1, 1, 10, 0},
    {"honeycluster-testpost-05-CE_NET_MITM.json", 1, 1, 9, 0},
    {"honeycluster-testpost-06-CE_VAR_LOG_SYMLINK.json", 1, 1, 11, 0},
    {"honeycluster-testpost-07-CE_VAR_LOG_ROUTE.json", 1, 1, 9, 0},
    {"honeycluster-testpost-08-CE_VAR_LOG_TOKEN.json", 0, 1, 10, 2},
    {"honeycluster-testpost-09-CE_VAR_LOG_RM_SYMLINK.json", 1, 1, 9, 0},
    {"honeycluster-testpost-10-CE_UMH_CORE_PATTERN.json", 1, 1, 10, 0},
    {"honeycluster-testpost-11-EXPLOIT_CONTAINERD_SOCK.json", 1, 1, 11, 0},
    {"honeycluster-testpost-12-EXPLOIT_HOST_READ.json", 1, 1, 10, 0},
    {"honeycluster-testpost-13-EXPLOIT_HOST_WRITE.json", 1, 1, 11, 0},
    {"honeycluster-testpost-14-TREE.json", 1, 1, 11, 0},
    {"honeycluster-testpost-15-ESCAPEMOUNT.json", 1, 1, 11, 0},
    {"honeycluster-testpost-16-kubescapetest.json", 1, 1, 10, 0},
    {"honeycluster-testpost-17-NAME.json", 1, 1, 10, 0},
    /* 9 of its ids are 8-4-4-4-12 hex but not the RFC 4122 variant
     * (e.g. indicator--abcd1111-2222-3333-4444-...): defects, loaded as fixed ids */
    {"threatintel-stix-attack-model.json", 3, 5, 42, 4},
};

static void test_each_corpus_model(void)
{
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        const expect *e = &expected[i];
        storm_models *m = load(corpus(e->file));
        size_t ni = storm_models_n_indicators(m), ns = storm_models_n_steps(m), nd = storm_models_n_defects(m),
               nf = fatal_count(m);
        if (ni != e->indicators || ns != e->steps || nd != e->defects || nf != e->fatal)
            fprintf(stderr, "%s: %zu indicators, %zu steps, %zu defects, %zu fatal\n", e->file, ni, ns, nd, nf);
        CHECK(ni == e->indicators);
        CHECK(ns == e->steps);
        CHECK(nd == e->defects);
        CHECK(nf == e->fatal);
        for (size_t k = 0; k < nd; k++) {
            const storm_model_defect *d = storm_models_defect(m, k);
            CHECK(d->line > 0 && d->col > 0); /* every defect has a position */
            CHECK(strstr(d->file, e->file) != NULL);
        }
        storm_models_free(m);
    }
}

static void test_whole_directory(void)
{
    storm_models *m = load(corpus(""));
    CHECK(storm_models_n_files(m) == 20);
    CHECK(storm_models_n_indicators(m) == 20); /* duplicates across files load once */
    CHECK(storm_models_n_intrusion_sets(m) == 1);
    CHECK(storm_models_n_defects(m) == 307);
    storm_models_free(m);
}

static const storm_model_defect *find_defect(const storm_models *m, const char *needle)
{
    for (size_t k = 0; k < storm_models_n_defects(m); k++)
        if (strstr(storm_models_defect(m, k)->message, needle))
            return storm_models_defect(m, k);
    return NULL;
}

static void test_positions(void)
{
    /* the unparsable pattern: "[process.extensions..." - the '.' at line 1, column 420 */
    storm_models *m = load(corpus("honeycluster-testpost-08-CE_VAR_LOG_TOKEN.json"));
    const storm_model_defect *d = find_defect(m, "pattern does not compile");
    CHECK(d != NULL);
    if (d) {
        CHECK(d->line == 1 && d->col == 420);
        CHECK(d->fatal);
        CHECK(d->object_id && strncmp(d->object_id, "indicator--", 11) == 0);
    }
    storm_models_free(m);
    /* EXISTS written after the path: not STIX; the other indicators still load */
    m = load(corpus("threatintel-stix-attack-model.json"));
    d = find_defect(m, "found 'EXISTS'");
    CHECK(d != NULL);
    if (d)
        CHECK(d->line == 59 && d->col == 68);
    storm_models_free(m);
}

static void test_model_paths(void)
{
    storm_models *m = load(corpus("honeycluster-testpost-01-CE_NSENTER.json"));
    const storm_model_defect *d = find_defect(m, "'process:extensions.function_name' is not a path");
    CHECK(d != NULL);
    if (d) {
        CHECK(!d->fatal); /* loaded: it simply never matches */
        CHECK(d->line == 26 && d->col == 22);
    }
    storm_models_free(m);
    /* AND across object types inside one [...]: loaded, reported as never matching */
    m = load(corpus("threatintel-stix-attack-model.json"));
    d = find_defect(m, "can never match");
    CHECK(d != NULL);
    if (d)
        CHECK(!d->fatal && d->line > 1);
    storm_models_free(m);
}

static void test_fixed_ids(void)
{
    storm_models *a = load(corpus("honeycluster-testpost-01-CE_NSENTER.json"));
    storm_models *b = load(corpus("honeycluster-testpost-01-CE_NSENTER.json"));
    CHECK(storm_models_n_indicators(a) == 1 && storm_models_n_indicators(b) == 1);
    if (storm_models_n_indicators(a) && storm_models_n_indicators(b)) {
        const storm_model_indicator *x = storm_models_indicator(a, 0), *y = storm_models_indicator(b, 0);
        CHECK(strncmp(x->id, "indicator--", 11) == 0 && strlen(x->id) == 11 + 36);
        CHECK_STR(x->id, y->id); /* deterministic */
        CHECK(x->n_steps == 1);  /* the relationship followed the fixed ids */
        CHECK_STR(storm_v_get_str(x->object, "modified"), "2024-01-01T00:00:00Z");
    }
    storm_models_free(a);
    storm_models_free(b);
}

/* The one id rule (storm/uuid.h, storm_stix_id_valid): upper-case hex is
 * kept as written; a UUID that is not the RFC 4122 variant is a defect and
 * loads under a fixed id, as python-stix2 and the OASIS schemas refuse it. */
static void test_id_rule(void)
{
    static const char text[] =
        "{\"type\":\"bundle\",\"id\":\"bundle--6b1f3a52-9d0e-4c41-8a77-2e63c4901d5f\",\"objects\":["
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--0D2B6F3C-3C0E-4F7A-9A43-4A1F0F6A7A10\","
        "\"created\":\"2024-01-01T00:00:00Z\",\"modified\":\"2024-01-01T00:00:00Z\",\"pattern_type\":\"stix\","
        "\"valid_from\":\"2024-01-01T00:00:00Z\",\"pattern\":\"[file:name = 'a']\"},"
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--abcd1111-2222-3333-4444-555566667777\","
        "\"created\":\"2024-01-01T00:00:00Z\",\"modified\":\"2024-01-01T00:00:00Z\",\"pattern_type\":\"stix\","
        "\"valid_from\":\"2024-01-01T00:00:00Z\",\"pattern\":\"[file:name = 'b']\"}]}";
    storm_models *m = NULL;
    CHECK(storm_models_new(&m) == STORM_OK);
    storm_err err;
    storm_err_clear(&err);
    storm_models_load_text(m, "ids.json", text, sizeof text - 1, &err);
    storm_models_finish(m);
    CHECK(storm_models_n_indicators(m) == 2);
    bool upper_kept = false, variant_fixed = false;
    for (size_t i = 0; i < storm_models_n_indicators(m); i++) {
        const char *id = storm_models_indicator(m, i)->id;
        upper_kept |= strcmp(id, "indicator--0D2B6F3C-3C0E-4F7A-9A43-4A1F0F6A7A10") == 0;
        variant_fixed |= strncmp(id, "indicator--", 11) == 0 && !strstr(id, "abcd1111") &&
                         strcmp(id, "indicator--0D2B6F3C-3C0E-4F7A-9A43-4A1F0F6A7A10") != 0;
    }
    CHECK(upper_kept);
    CHECK(variant_fixed);
    CHECK(find_defect(m, "indicator id 'indicator--abcd1111-2222-3333-4444-555566667777' is not") != NULL);
    CHECK(find_defect(m, "0D2B6F3C") == NULL);
    storm_models_free(m);
}

static void test_bad_inputs(void)
{
    storm_models *m = NULL;
    storm_models_new(&m);
    storm_err err;
    storm_err_clear(&err);
    const char *notjson = "{\"type\": \"bundle\", \"objects\": [\n  {\"type\": \"indicator\",,}]}";
    storm_models_load_text(m, "broken.json", notjson, strlen(notjson), &err);
    const char *mixed =
        "[{\"type\":\"indicator\",\"id\":\"indicator--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\","
        "\"spec_version\":\"2.1\",\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\","
        "\"pattern\":\"[file:name = 'x']\",\"pattern_type\":\"stix\",\"valid_from\":\"2026-01-01T00:00:00Z\"},"
        "{\"type\":\"indicator\",\"id\":\"indicator--1c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\","
        "\"pattern\":\"[file:name = \",\"pattern_type\":\"stix\"}, 42, {\"id\": \"x\"},"
        "{\"type\":\"indicator\",\"id\":\"indicator--2c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\","
        "\"pattern\":\"x\",\"pattern_type\":\"sigma\"}]";
    storm_models_load_text(m, "mixed.json", mixed, strlen(mixed), &err);
    storm_models_load_path(m, "/nonexistent/storm-models", &err);
    storm_models_finish(m);
    CHECK(storm_models_n_indicators(m) == 1);
    CHECK(find_defect(m, "not valid JSON") != NULL);
    CHECK(find_defect(m, "pattern does not compile") != NULL);
    CHECK(find_defect(m, "expected a STIX object") != NULL);
    CHECK(find_defect(m, "has no 'type'") != NULL);
    CHECK(find_defect(m, "'sigma' is not supported") != NULL);
    CHECK(find_defect(m, "cannot read") != NULL);
    storm_models_free(m);
}

static void test_shipped_models(void)
{
    const char *root = getenv("STORM_SOURCE_ROOT");
    snprintf(path_buf, sizeof path_buf, "%s/models", root ? root : ".");
    storm_models *m = load(path_buf);
    CHECK(storm_models_n_defects(m) == 0);
    CHECK(storm_models_n_indicators(m) >= 20);
    CHECK(storm_models_n_steps(m) >= 12);
    CHECK(storm_models_n_intrusion_sets(m) == 1);
    for (size_t i = 0; i < storm_models_n_indicators(m); i++)
        CHECK(storm_models_indicator(m, i)->n_steps == 1);
    /* every shipped object is Storm's and TLP:CLEAR */
    for (size_t i = 0; i < storm_models_n_objects(m); i++) {
        const storm_value *o = storm_models_object(m, i);
        const storm_value *marks = storm_v_get(o, "object_marking_refs");
        CHECK(storm_v_is_str(storm_v_get(o, "created_by_ref"), STORM_STIX_IDENTITY_ID));
        CHECK(marks && marks->type == STORM_V_ARRAY && marks->u.a.len == 1 &&
              storm_v_is_str(marks->u.a.items[0], "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"));
    }
    for (size_t i = 0; i < storm_models_n_steps(m); i++) {
        CHECK(storm_models_step(m, i)->tactic != NULL);
        CHECK(storm_models_step(m, i)->technique != NULL);
    }
    storm_buf out;
    storm_buf_init(&out, 1 << 20);
    CHECK(storm_models_render_tree(m, &out) == STORM_OK);
    CHECK(out.data && strstr(out.data, "intrusion-set: Kubernetes container escape") != NULL);
    CHECK(out.data && strstr(out.data, "2a. Service-account token theft") != NULL);
    storm_buf_free(&out);
    storm_models_free(m);
}

/* Lint reports revoked objects (not loaded), modified < created and a
 * validity that ends before it starts (not loaded). */
static void test_lifecycle_defects(void)
{
    static const char text[] =
        "[{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-000000000001\","
        "\"created\":\"2023-01-01T00:00:00Z\",\"modified\":\"2023-01-01T00:00:00Z\",\"revoked\":true,"
        "\"pattern_type\":\"stix\",\"pattern\":\"[process:name = 'x']\",\"valid_from\":\"2023-01-01T00:00:00Z\"},"
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-000000000002\","
        "\"created\":\"2023-01-02T00:00:00Z\",\"modified\":\"2023-01-01T00:00:00Z\","
        "\"pattern_type\":\"stix\",\"pattern\":\"[process:name = 'x']\",\"valid_from\":\"2023-01-01T00:00:00Z\"},"
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-000000000003\","
        "\"created\":\"2023-01-01T00:00:00Z\",\"modified\":\"2023-01-01T00:00:00Z\",\"valid_until\":\"2023-01-01T00:00:"
        "00Z\","
        "\"pattern_type\":\"stix\",\"pattern\":\"[process:name = 'x']\",\"valid_from\":\"2023-01-01T00:00:00Z\"},"
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-000000000004\","
        "\"created\":\"2023-01-01T00:00:00Z\",\"modified\":\"2023-01-01T00:00:00Z\",\"valid_until\":\"2024-01-01T00:00:"
        "00Z\","
        "\"pattern_type\":\"stix\",\"pattern\":\"[process:name = 'x']\",\"valid_from\":\"2023-01-01T00:00:00Z\"}]";
    storm_models *m = NULL;
    CHECK(storm_models_new(&m) == STORM_OK);
    storm_err err;
    storm_err_clear(&err);
    storm_models_load_text(m, "life", text, sizeof text - 1, &err);
    storm_models_finish(m);
    const storm_model_defect *d = find_defect(m, "revoked");
    CHECK(d && d->fatal && d->object_id && strstr(d->object_id, "000000000001"));
    d = find_defect(m, "'modified' is earlier than 'created'");
    CHECK(d && !d->fatal);
    d = find_defect(m, "'valid_until' is not later than 'valid_from'");
    CHECK(d && d->fatal);
    CHECK(storm_models_n_indicators(m) == 2); /* #2 (loaded with its defect) and #4 */
    bool has_until = false;
    for (size_t i = 0; i < storm_models_n_indicators(m); i++)
        has_until |= storm_models_indicator(m, i)->valid_until == 1704067200LL * 1000000000LL;
    CHECK(has_until);
    CHECK(storm_models_has_id(m, "indicator--00000000-0000-4000-8000-000000000004"));
    CHECK(!storm_models_has_id(m, "indicator--00000000-0000-4000-8000-000000000001"));
    storm_models_free(m);
}

/* What the models keep is a copy of each object, made before the parsed
 * document is freed: every property survives (nested ones too), the fixes
 * are in it, and the loader's strings are the copy's. */
static void test_kept_copies(void)
{
    static const char text[] =
        "{\"type\": \"bundle\", \"id\": \"bundle--00000000-0000-4000-8000-0000000000b1\", \"objects\": [\n"
        " {\"type\": \"attack-pattern\", \"spec_version\": \"2.1\", \"id\": \"attack-pattern--bad-id\",\n"
        "  \"created\": \"2024-01-01T00:00:00Z\", \"modified\": \"2024-01-01T00:00:00Z\", \"name\": \"step one\",\n"
        "  \"kill_chain_phases\": [{\"kill_chain_name\": \"mitre-attack\", \"phase_name\": \"execution\"}],\n"
        "  \"external_references\": [{\"source_name\": \"mitre-attack\", \"external_id\": \"T1059\"}]},\n"
        " {\"type\": \"indicator\", \"spec_version\": \"2.1\", \"id\": "
        "\"indicator--00000000-0000-4000-8000-0000000000c1\",\n"
        "  \"created\": \"2024-01-01T00:00:00Z\", \"modified\": \"2024-01-01T00:00:00Z\", \"name\": \"shell\",\n"
        "  \"pattern\": \"[process:name = 'sh']\", \"pattern_type\": \"stix\", \"valid_from\": "
        "\"2024-01-01T00:00:00Z\",\n"
        "  \"labels\": [\"a\", \"b\", \"a\"], \"x_score\": 7, \"x_nested\": {\"k\": [1, 2.5, true, null]}},\n"
        " {\"type\": \"relationship\", \"spec_version\": \"2.1\", \"id\": "
        "\"relationship--00000000-0000-4000-8000-0000000000d1\",\n"
        "  \"created\": \"2024-01-01T00:00:00Z\", \"modified\": \"2024-01-01T00:00:00Z\", \"relationship_type\": "
        "\"indicates\",\n"
        "  \"source_ref\": \"indicator--00000000-0000-4000-8000-0000000000c1\", \"target_ref\": "
        "\"attack-pattern--bad-id\"}\n"
        "]}\n";
    storm_models *m = NULL;
    CHECK(storm_models_new(&m) == STORM_OK);
    storm_arena *a = storm_arena_new(0, 0); /* outlives what it adds to the models' objects */
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_models_load_text(m, "kept.json", text, strlen(text), &err) == STORM_OK);
    storm_models_finish(m);
    CHECK(storm_models_n_indicators(m) == 1 && storm_models_n_steps(m) == 1 && storm_models_n_objects(m) == 3);
    if (storm_models_n_indicators(m) == 1 && storm_models_n_steps(m) == 1) {
        const storm_model_indicator *ind = storm_models_indicator(m, 0);
        const storm_model_step *st = storm_models_step(m, 0);
        CHECK(strncmp(st->id, "attack-pattern--", 16) == 0 && strlen(st->id) == 16 + 36);
        CHECK_STR(storm_v_get_str(st->object, "id"), st->id);
        CHECK_STR(st->name, "step one");
        CHECK_STR(st->tactic, "execution");
        CHECK_STR(st->technique, "T1059");
        CHECK(ind->n_steps == 1 && ind->steps && ind->steps[0] == 0);
        CHECK_STR(ind->name, "shell");
        CHECK(ind->name == storm_v_get_str(ind->object, "name"));
        CHECK_STR(storm_v_get_str(ind->object, "pattern"), "[process:name = 'sh']");
        CHECK(storm_v_get_str(ind->object, "pattern") == ind->pattern_text); /* one copy */
        const storm_value *labels = storm_v_get(ind->object, "labels");
        CHECK(labels && labels->type == STORM_V_ARRAY && labels->u.a.len == 3);
        if (labels && labels->type == STORM_V_ARRAY && labels->u.a.len == 3) {
            CHECK_STR(labels->u.a.items[2]->u.s.ptr, "a");
            CHECK(labels->u.a.items[0]->u.s.ptr == labels->u.a.items[2]->u.s.ptr); /* shared */
        }
        const storm_value *score = storm_v_get(ind->object, "x_score");
        CHECK(score && score->type == STORM_V_INT && score->u.i == 7);
        const storm_value *k = storm_v_path(ind->object, (const char *const[]){"x_nested", "k", NULL});
        CHECK(k && k->type == STORM_V_ARRAY && k->u.a.len == 4);
        if (k && k->type == STORM_V_ARRAY && k->u.a.len == 4) {
            CHECK(k->u.a.items[1]->type == STORM_V_FLOAT && k->u.a.items[1]->u.f == 2.5);
            CHECK(k->u.a.items[2]->type == STORM_V_BOOL && k->u.a.items[2]->u.b);
            CHECK(k->u.a.items[3]->type == STORM_V_NULL);
        }
        /* a kept object can still be added to (the store and sightings do) */
        storm_value *o = (storm_value *)ind->object;
        CHECK(a && storm_v_set_str(a, o, "x_more", "yes") == 0);
        CHECK_STR(storm_v_get_str(ind->object, "x_more"), "yes");
        /* the relationship's copy names the fixed id */
        for (size_t i = 0; i < storm_models_n_objects(m); i++) {
            const storm_value *r = storm_models_object(m, i);
            if (storm_v_is_str(storm_v_get(r, "type"), "relationship"))
                CHECK_STR(storm_v_get_str(r, "target_ref"), st->id);
        }
    }
    storm_models_free(m);
    storm_arena_free(a);
}

int main(void)
{
    RUN(test_lifecycle_defects);
    RUN(test_each_corpus_model);
    RUN(test_whole_directory);
    RUN(test_positions);
    RUN(test_model_paths);
    RUN(test_fixed_ids);
    RUN(test_id_rule);
    RUN(test_bad_inputs);
    RUN(test_shipped_models);
    RUN(test_kept_copies);
    return test_report("test_models");
}
