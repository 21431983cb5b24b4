/* SPDX-License-Identifier: Apache-2.0 */
/* Redaction and markings: nothing sensitive survives, ids are recomputed and
 * references stay consistent, TLP markings are the official objects. */
#include <stdio.h>
#include <stdlib.h>
#include <storm/json.h>
#include <storm/share.h>
#include <storm/stix.h>
#include <unistd.h>

#include "test.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";

static storm_value *parse(storm_arena *a, const char *s)
{
    storm_value *v = NULL;
    storm_json_parse(a, s, strlen(s), 0, &v, NULL, NULL);
    return v;
}

static char *to_json(storm_arena *a, const storm_value *v)
{
    storm_buf b;
    storm_buf_init(&b, 0);
    storm_json_write(&b, v, STORM_JSONW_SORT_KEYS);
    char *s = storm_arena_strdup(a, b.data);
    storm_buf_free(&b);
    return s;
}

static storm_value *find(const storm_value *objects, const char *type)
{
    for (size_t i = 0; i < objects->u.a.len; i++)
        if (storm_v_is_str(storm_v_get(objects->u.a.items[i], "type"), type))
            return objects->u.a.items[i];
    return NULL;
}

static void test_tlp(void)
{
    storm_tlp t;
    CHECK(storm_tlp_parse("TLP:AMBER+STRICT", &t) && t == STORM_TLP_AMBER_STRICT);
    CHECK(storm_tlp_parse("white", &t) && t == STORM_TLP_CLEAR);
    CHECK(storm_tlp_parse("Green", &t) && t == STORM_TLP_GREEN);
    CHECK(!storm_tlp_parse("purple", &t));
    CHECK_STR(storm_tlp_marking_id(STORM_TLP_RED), "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1");
    storm_arena *a = storm_arena_new(0, 0);
    storm_value *md = storm_tlp_marking_definition(a, STORM_TLP_CLEAR);
    CHECK_STR(to_json(a, md),
              "{\"created\":\"2022-10-01T00:00:00.000Z\",\"extensions\":{\"extension-definition--60a3c5c5-0d10-413e-"
              "aab3-9e08dde9e88d\":{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"clear\"}},\"id\":"
              "\"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487\",\"name\":\"TLP:CLEAR\",\"spec_"
              "version\":\"2.1\",\"type\":\"marking-definition\"}");
    storm_arena_free(a);
}

static void test_mark(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_value *objs =
        parse(a, "[{\"type\":\"sighting\",\"id\":\"sighting--1b6b3d4f-0d4c-4b8e-9a55-1d2a4f0e8a11\","
                 "\"object_marking_refs\":[\"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb\"]},"
                 "{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd\","
                 "\"value\":\"1.2.3.4\"}]");
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_mark_objects(a, objs, STORM_TLP_AMBER, "identity--016f8401-f37e-4a6b-851d-8e204aaa8f91", &err) ==
          STORM_OK);
    CHECK(objs->u.a.len == 3); /* the marking-definition was appended */
    storm_value *s = find(objs, "sighting");
    storm_value *refs = storm_v_get(s, "object_marking_refs");
    /* the GREEN marking was replaced: one TLP level per object */
    CHECK(refs && refs->u.a.len == 1 &&
          storm_v_is_str(refs->u.a.items[0], "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"));
    CHECK(storm_v_is_str(storm_v_get(s, "created_by_ref"), "identity--016f8401-f37e-4a6b-851d-8e204aaa8f91"));
    CHECK(storm_v_get(find(objs, "ipv4-addr"), "created_by_ref") == NULL); /* SCOs have no created_by_ref */
    CHECK(storm_v_get(find(objs, "ipv4-addr"), "object_marking_refs") != NULL);
    /* someone else's indicator: unchanged when it has a TLP level, else a new version */
    storm_value *more =
        parse(a, "[{\"type\":\"indicator\",\"id\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
                 "\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"2026-01-01T00:00:00.000Z\","
                 "\"object_marking_refs\":[\"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487\"]},"
                 "{\"type\":\"attack-pattern\",\"id\":\"attack-pattern--7e33a43e-e34b-40ec-89da-36c9bb2cacd5\","
                 "\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"2026-01-01T00:00:00.000Z\"}]");
    CHECK(storm_mark_objects(a, more, STORM_TLP_AMBER, "identity--016f8401-f37e-4a6b-851d-8e204aaa8f91", &err) ==
          STORM_OK);
    storm_value *ind = find(more, "indicator");
    CHECK(storm_v_is_str(storm_v_get(ind, "modified"), "2026-01-01T00:00:00.000Z"));
    CHECK(storm_v_get(ind, "object_marking_refs")->u.a.len == 1 &&
          storm_v_is_str(storm_v_get(ind, "object_marking_refs")->u.a.items[0],
                         "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"));
    storm_value *ap = find(more, "attack-pattern");
    CHECK(storm_v_is_str(storm_v_get(ap, "modified"), "2026-01-01T00:00:00.001Z"));
    CHECK(storm_v_get(ap, "object_marking_refs") != NULL);
    CHECK(storm_v_get(ap, "created_by_ref") == NULL); /* never claim someone else's model */
    /* marking twice adds no second definition */
    CHECK(storm_mark_objects(a, objs, STORM_TLP_AMBER, NULL, &err) == STORM_OK && objs->u.a.len == 3);
    storm_arena_free(a);
}

/* An observation like storm convert writes for a Tetragon connect from a pod. */
static const char *sample =
    "[{\"type\":\"observed-data\",\"spec_version\":\"2.1\",\"id\":\"observed-data--5e8f5bd3-7c1e-4a43-9d0e-"
    "1b1c57b8e2a0\","
    "\"created\":\"2024-05-30T15:39:47.311Z\",\"modified\":\"2024-05-30T15:39:47.311Z\","
    "\"first_observed\":\"2024-05-30T15:39:47.311Z\",\"last_observed\":\"2024-05-30T15:39:47.311Z\","
    "\"number_observed\":1,\"object_refs\":[\"process--0b1e7c3a-8d2f-4e55-9a0b-6c1d2e3f4a5b\","
    "\"network-traffic--2b9cbd0a-3f0f-5a31-8c44-2f0e2a3a3d57\",\"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd\"]},"
    "{\"type\":\"process\",\"spec_version\":\"2.1\",\"id\":\"process--0b1e7c3a-8d2f-4e55-9a0b-6c1d2e3f4a5b\","
    "\"command_line\":\"curl -H 'Authorization: Bearer abcdefghijklmnop123' http://10.96.0.1/api?token=s3cr3t "
    "--password hunter2 on webapp-7d9f8b6c5-x2k4q\","
    "\"x_k8s_pod\":\"webapp-7d9f8b6c5-x2k4q\",\"x_k8s_namespace\":\"payments\",\"x_k8s_node\":\"kind-worker\","
    "\"x_proc_exec_id\":\"a2luZC13b3JrZXI6MTIzNDU2Nzg5OjQyMQ==\",\"opened_connection_refs\":"
    "[\"network-traffic--2b9cbd0a-3f0f-5a31-8c44-2f0e2a3a3d57\"]},"
    "{\"type\":\"network-traffic\",\"spec_version\":\"2.1\",\"id\":\"network-traffic--2b9cbd0a-3f0f-5a31-8c44-"
    "2f0e2a3a3d57\","
    "\"dst_ref\":\"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd\",\"src_port\":41234,\"dst_port\":443,"
    "\"protocols\":[\"ipv4\",\"tcp\"]},"
    "{\"type\":\"ipv4-addr\",\"spec_version\":\"2.1\",\"id\":\"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd\","
    "\"value\":\"10.244.1.17\"}]";

static void test_redact(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_redactor *r = NULL;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_redactor_default(key, sizeof key, &r, &err) == STORM_OK);
    storm_value *objs = parse(a, sample);
    CHECK(objs != NULL);
    storm_redact_stats st = {0};
    CHECK(storm_redact_objects(r, a, objs, &st, &err) == STORM_OK);
    char *out = to_json(a, objs);
    /* nothing sensitive is left, anywhere */
    const char *secrets[] = {"10.244.1.17", "10.96.0.1", "abcdefghijklmnop123", "s3cr3t", "hunter2",
                             "webapp-7d9f8b6c5-x2k4q", "payments", "kind-worker",
                             "a2luZC13b3JrZXI6MTIzNDU2Nzg5OjQyMQ==",
                             /* the old ids derived from the address and the flow */
                             "ff26c055-6336-5bc5-b98d-13d6226742dd", "2b9cbd0a-3f0f-5a31-8c44-2f0e2a3a3d57",
                             "0b1e7c3a-8d2f-4e55-9a0b-6c1d2e3f4a5b"};
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
        if (strstr(out, secrets[i]))
            fprintf(stderr, "leaked: %s\n", secrets[i]);
        CHECK(strstr(out, secrets[i]) == NULL);
    }
    CHECK(strstr(out, "10.0.0.0/8") != NULL);
    CHECK(strstr(out, "Bearer <redacted>") != NULL);
    CHECK(st.addresses_masked >= 2 && st.secrets_scrubbed >= 3 && st.names_pseudonymised >= 4);
    /* the address SCO got the spec's id for its new value, and refs follow it */
    storm_value *ip = find(objs, "ipv4-addr");
    char want[STORM_STIX_ID_MAX];
    CHECK(storm_stix_sco_id(ip, want) == STORM_OK);
    CHECK_STR(storm_v_get_str(ip, "id"), want);
    storm_value *nt = find(objs, "network-traffic");
    CHECK_STR(storm_v_get_str(nt, "dst_ref"), want);
    char want_nt[STORM_STIX_ID_MAX];
    CHECK(storm_stix_sco_id(nt, want_nt) == STORM_OK);
    CHECK_STR(storm_v_get_str(nt, "id"), want_nt);
    storm_value *od = find(objs, "observed-data");
    storm_value *refs = storm_v_get(od, "object_refs");
    CHECK(refs && storm_v_is_str(refs->u.a.items[1], want_nt) && storm_v_is_str(refs->u.a.items[2], want));
    storm_value *proc = find(objs, "process");
    CHECK_STR(refs->u.a.items[0]->u.s.ptr, storm_v_get_str(proc, "id"));
    /* pseudonyms are stable and keyed */
    const char *p1 = storm_redactor_pseudonym(r, a, "pod", "web", 3);
    const char *p2 = storm_redactor_pseudonym(r, a, "pod", "web", 3);
    const char *p3 = storm_redactor_pseudonym(r, a, "node", "web", 3);
    CHECK_STR(p1, p2);
    CHECK(strcmp(p1, p3) != 0 && strncmp(p1, "pod-", 4) == 0);
    CHECK_STR(storm_v_get_str(proc, "x_k8s_pod"), storm_redactor_pseudonym(r, a, "pod", "webapp-7d9f8b6c5-x2k4q", 22));
    /* redacting the same input twice gives the same output (re-publishing is stable) */
    storm_value *again = parse(a, sample);
    storm_redact_objects(r, a, again, NULL, &err);
    CHECK_STR(to_json(a, again), out);
    storm_redactor_free(r);
    storm_arena_free(a);
}

static void test_rules_file(void)
{
    char dir[] = "/tmp/storm-redact-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], keyp[256];
    snprintf(keyp, sizeof keyp, "%s/redact.key", dir);
    FILE *f = fopen(keyp, "wb");
    fwrite(key, 1, sizeof key, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/rules.json", dir);
    f = fopen(path, "w");
    fputs("{\"secret_file\": \"redact.key\",\n \"mask_cidrs\": [\"203.0.113.0/24\"],\n"
          " \"pseudonymise\": {\"team\": [\"x_team\"]},\n \"scrub\": [{\"regex\": \"sk_live_[0-9a-z]+\"}]}\n",
          f);
    fclose(f);
    storm_redactor *r = NULL;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_redactor_load(path, &r, &err) == STORM_OK);
    storm_arena *a = storm_arena_new(0, 0);
    storm_value *objs = parse(a, "[{\"type\":\"x-thing\",\"id\":\"x-thing--0b1e7c3a-8d2f-4e55-9a0b-6c1d2e3f4a5b\","
                                 "\"addr\":\"203.0.113.9\",\"x_team\":\"blue\",\"note\":\"key sk_live_abc123\"}]");
    CHECK(storm_redact_objects(r, a, objs, NULL, &err) == STORM_OK);
    char *out = to_json(a, objs);
    CHECK(strstr(out, "203.0.113.0/24") && !strstr(out, "203.0.113.9"));
    CHECK(strstr(out, "team-") && !strstr(out, "blue"));
    CHECK(strstr(out, "<redacted>") && !strstr(out, "sk_live_abc123"));
    storm_redactor_free(r);
    /* errors carry the file position */
    f = fopen(path, "w");
    fputs("{\"secret_file\": \"redact.key\",\n \"mask_cidrs\": [\"10.0.0.0/33\"]}\n", f);
    fclose(f);
    storm_err_clear(&err);
    CHECK(storm_redactor_load(path, &r, &err) != STORM_OK && r == NULL);
    CHECK(err.line == 2 && strstr(err.msg, "10.0.0.0/33") != NULL);
    /* the one CIDR rule (storm/cidr.h): "/0032" is no prefix here either */
    f = fopen(path, "w");
    fputs("{\"secret_file\": \"redact.key\",\n \"mask_cidrs\": [\"10.0.0.0/0032\"]}\n", f);
    fclose(f);
    storm_err_clear(&err);
    CHECK(storm_redactor_load(path, &r, &err) != STORM_OK && r == NULL);
    CHECK(err.line == 2 && strstr(err.msg, "10.0.0.0/0032") != NULL);
    f = fopen(path, "w");
    fputs("{\"secret_file\": \"missing.key\"}", f);
    fclose(f);
    storm_err_clear(&err);
    CHECK(storm_redactor_load(path, &r, &err) != STORM_OK && strstr(err.msg, "missing.key") != NULL);
    f = fopen(path, "w");
    fputs("{\"secret_file\": \"redact.key\", \"mask\": []}", f);
    fclose(f);
    storm_err_clear(&err);
    CHECK(storm_redactor_load(path, &r, &err) != STORM_OK && strstr(err.msg, "unknown key \"mask\"") != NULL);
    unlink(path);
    unlink(keyp);
    rmdir(dir);
    storm_arena_free(a);
}

static size_t count_id(const storm_value *objects, const char *id)
{
    size_t n = 0;
    for (size_t i = 0; i < objects->u.a.len; i++)
        n += storm_v_is_str(storm_v_get(objects->u.a.items[i], "id"), id);
    return n;
}

/* The share step as storm run uses it (unmarked: the cluster's own copy)
 * and as storm publish does: what it writes stands alone. */
static void test_prepare(void)
{
    static const char green[] = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
    static const char amber[] = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
    /* a sighting, and a shipped indicator (created by Storm, TLP:GREEN, a
     * pattern without x_ properties: no extension is used anywhere) */
    static const char text[] =
        "[{\"type\":\"sighting\",\"spec_version\":\"2.1\",\"id\":\"sighting--1b6b3d4f-0d4c-4b8e-9a55-1d2a4f0e8a11\","
        "\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\","
        "\"sighting_of_ref\":\"indicator--00000000-0000-4000-8000-000000000001\"},"
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-000000000001\","
        "\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\","
        "\"created_by_ref\":\"" STORM_STIX_IDENTITY_ID "\",\"object_marking_refs\":[\"marking-definition--"
        "bab4a63c-aed9-4cf5-a766-dfca5abac2bb\"],\"pattern\":\"[file:name = 'x']\",\"pattern_type\":\"stix\","
        "\"valid_from\":\"2026-01-01T00:00:00Z\"}]";
    storm_arena *a = storm_arena_new(0, 0);
    storm_err err;
    char cluster[STORM_STIX_ID_MAX];
    storm_stix_cluster_identity_id("c1", cluster);

    storm_value *objs = parse(a, text);
    storm_share_opts local = {.identity = "c1", .unmarked = true};
    storm_err_clear(&err);
    CHECK(storm_share_prepare(a, objs, &local, NULL, &err) == STORM_OK);
    CHECK(count_id(objs, cluster) == 1);                /* the cluster's identity */
    CHECK(count_id(objs, STORM_STIX_IDENTITY_ID) == 1); /* the indicator's creator travels with it */
    CHECK(count_id(objs, green) == 1);                  /* and the TLP level it carries */
    CHECK(count_id(objs, amber) == 0);
    CHECK(storm_v_get(find(objs, "sighting"), "object_marking_refs") == NULL); /* unmarked: not marked */
    size_t n = objs->u.a.len;
    storm_err_clear(&err);
    CHECK(storm_share_prepare(a, objs, &local, NULL, &err) == STORM_OK);
    CHECK(objs->u.a.len == n); /* nothing twice */

    /* publish: marked AMBER; the indicator keeps its creator's GREEN, whose
     * definition travels too (it used to be left dangling) */
    objs = parse(a, text);
    storm_share_opts shared = {.tlp = STORM_TLP_AMBER, .identity = "c1"};
    storm_err_clear(&err);
    CHECK(storm_share_prepare(a, objs, &shared, NULL, &err) == STORM_OK);
    CHECK(count_id(objs, amber) == 1 && count_id(objs, green) == 1);
    CHECK(count_id(objs, STORM_STIX_IDENTITY_ID) == 1);
    const storm_value *sref = storm_v_get(find(objs, "sighting"), "object_marking_refs");
    CHECK(sref && sref->u.a.len == 1 && storm_v_is_str(sref->u.a.items[0], amber));
    storm_arena_free(a);
}

/* What storm run keeps by address (storm_share_is_fixed) is only what the
 * unmarked share step appends from its process-wide copies; the cluster's
 * identity follows the name asked for each time (the id is remembered for
 * the last name); an extension is used only when its whole id is a key. */
static void test_fixed(void)
{
    const storm_stix_ext_info *x0 = storm_stix_ext_get((storm_stix_ext)0);
    char near[STORM_STIX_ID_MAX]; /* x0's id with another first uuid byte */
    snprintf(near, sizeof near, "%s", x0->id);
    near[22] = near[22] == 'a' ? 'b' : 'a';
    char text[1024];
    snprintf(text, sizeof text,
             "[{\"type\":\"sighting\",\"id\":\"sighting--1b6b3d4f-0d4c-4b8e-9a55-1d2a4f0e8a11\"},"
             "{\"type\":\"process\",\"id\":\"process--2b6b3d4f-0d4c-4b8e-9a55-1d2a4f0e8a11\","
             "\"extensions\":{\"%s\":{\"extension_type\":\"property-extension\"}}}]",
             near);
    storm_arena *a = storm_arena_new(0, 0);
    storm_err err;
    storm_value *objs = parse(a, text);
    storm_share_opts local = {.identity = "c1", .unmarked = true};
    storm_err_clear(&err);
    CHECK(storm_share_prepare(a, objs, &local, NULL, &err) == STORM_OK);
    CHECK(count_id(objs, x0->id) == 0); /* a key that is not its id */
    CHECK(objs->u.a.len == 3);          /* + the cluster's identity only */
    CHECK(!storm_share_is_fixed(objs->u.a.items[0]) && !storm_share_is_fixed(objs->u.a.items[2]));

    snprintf(text, sizeof text,
             "[{\"type\":\"process\",\"id\":\"process--2b6b3d4f-0d4c-4b8e-9a55-1d2a4f0e8a11\","
             "\"extensions\":{\"%s\":{\"extension_type\":\"property-extension\"}}}]",
             x0->id);
    objs = parse(a, text);
    storm_share_opts other = {.identity = "c2", .unmarked = true};
    storm_err_clear(&err);
    CHECK(storm_share_prepare(a, objs, &other, NULL, &err) == STORM_OK);
    char c2[STORM_STIX_ID_MAX];
    storm_stix_cluster_identity_id("c2", c2);
    CHECK(count_id(objs, c2) == 1); /* not c1's, remembered from before */
    CHECK(count_id(objs, x0->id) == 1 && count_id(objs, STORM_STIX_IDENTITY_ID) == 1);
    size_t fixed = 0;
    for (size_t i = 0; i < objs->u.a.len; i++) {
        bool is = storm_share_is_fixed(objs->u.a.items[i]);
        const char *id = storm_v_get_str(objs->u.a.items[i], "id");
        CHECK(is == (strcmp(id, x0->id) == 0 || strcmp(id, STORM_STIX_IDENTITY_ID) == 0));
        fixed += is;
    }
    CHECK(fixed == 2);

    /* marked (storm publish): own copies, which the marking changes */
    objs = parse(a, text);
    storm_share_opts marked = {.tlp = STORM_TLP_AMBER, .identity = "c2"};
    storm_err_clear(&err);
    CHECK(storm_share_prepare(a, objs, &marked, NULL, &err) == STORM_OK);
    CHECK(count_id(objs, x0->id) == 1);
    for (size_t i = 0; i < objs->u.a.len; i++)
        CHECK(!storm_share_is_fixed(objs->u.a.items[i]));
    CHECK(!storm_share_is_fixed(NULL));
    storm_arena_free(a);
}

int main(void)
{
    RUN(test_prepare);
    RUN(test_fixed);
    RUN(test_tlp);
    RUN(test_mark);
    RUN(test_redact);
    RUN(test_rules_file);
    return test_report("test_share");
}
