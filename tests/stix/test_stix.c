/* SPDX-License-Identifier: Apache-2.0 */
/* The observation model: UUIDv5 ids against values computed independently
 * (Python's uuid.uuid5 over json.dumps(sort_keys=True)), RFC 8785 canonical
 * JSON, each SCO type Storm writes, the observed-data shape, the bundle, and
 * the strict-mode checker itself (it must reject what the validator rejects). */
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include <storm/decode.h>
#include <storm/io.h>
#include <storm/json.h>
#include <storm/stix.h>

#include "json_write_int.h"
#include "stix_int.h"

#include "test.h"
#include "stix_check.h"

static storm_arena *A;

static storm_value *parse(const char *text)
{
    storm_value *v = NULL;
    storm_err err;
    if (storm_json_parse(A, text, strlen(text), 0, &v, NULL, &err) != STORM_OK)
        return NULL;
    return v;
}

static void test_uuid5(void)
{
    char out[37];
    const char *name = "{\"value\":\"198.51.100.3\"}";
    CHECK(storm_stix_uuid5(STORM_STIX_SCO_NAMESPACE, name, strlen(name), out));
    CHECK_STR(out, "28bb3599-77cd-5a82-a950-b5bc3caf07c4");
    /* RFC 4122 appendix B: the DNS namespace and "www.example.com" (v5 as in Python's docs) */
    CHECK(storm_stix_uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org", 10, out));
    CHECK_STR(out, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    CHECK(!storm_stix_uuid5("not-a-uuid", "x", 1, out));
    storm_stix_uuid4_stable("abc", 3, out);
    CHECK(out[14] == '4' && strchr("89ab", out[19]));
    char again[37];
    storm_stix_uuid4_stable("abc", 3, again);
    CHECK_STR(out, again);
}

static void test_sco_ids(void)
{
    static const struct {
        const char *json, *id;
    } cases[] = {
        {"{\"type\":\"ipv4-addr\",\"value\":\"198.51.100.3\"}", "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"},
        {"{\"type\":\"ipv6-addr\",\"value\":\"2001:db8::1\"}", "ipv6-addr--6469e3a9-b053-5e34-a025-9396ae051d26"},
        {"{\"type\":\"domain-name\",\"value\":\"example.com\"}", "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7"},
        {"{\"type\":\"directory\",\"path\":\"/usr/bin\"}", "directory--f4f0869b-430a-594d-b01d-307cd4d341a8"},
        /* member order and non-contributing properties do not matter */
        {"{\"parent_directory_ref\":\"directory--x\",\"type\":\"file\",\"size\":3,\"name\":\"bash\"}",
         "file--a2f65a95-0d8c-526c-a4d8-a5e5bbc0427a"},
        {"{\"type\":\"user-account\",\"user_id\":\"0\",\"account_type\":\"unix\",\"display_name\":\"root\"}",
         "user-account--acfe997e-0089-55e8-93ca-5cfbdec46740"},
        {"{\"type\":\"software\",\"name\":\"nginx:1.25\"}", "software--895110cd-1368-5937-a69a-f069c0b0ee20"},
        /* escapes and non-ASCII, as RFC 8785 writes them */
        {"{\"type\":\"domain-name\",\"value\":\"\\u00fcn\\u00ef\\\"\\\\\\n\"}",
         "domain-name--52d6d317-0bb4-54a4-9c9f-1d0e9320f0b1"},
    };
    /* twice: the second pass is answered by the id cache and must agree */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            char id[STORM_STIX_ID_MAX];
            storm_value *v = parse(cases[i].json);
            CHECK(v != NULL);
            CHECK(storm_stix_sco_id(v, id) == STORM_OK);
            CHECK_STR(id, cases[i].id);
        }
    /* many distinct values through the bounded cache: each id is the one
     * computed from its canonical JSON (no stale or colliding entry) */
    for (int i = 0; i < 20000; i++) {
        char json[96], name[64], id[STORM_STIX_ID_MAX], want[37];
        snprintf(json, sizeof json, "{\"type\":\"ipv4-addr\",\"value\":\"10.%d.%d.%d\"}", i >> 16 & 255, i >> 8 & 255,
                 i & 255);
        int n = snprintf(name, sizeof name, "{\"value\":\"10.%d.%d.%d\"}", i >> 16 & 255, i >> 8 & 255, i & 255);
        storm_value *v = parse(json);
        if (!v || storm_stix_sco_id(v, id) != STORM_OK ||
            !storm_stix_uuid5(STORM_STIX_SCO_NAMESPACE, name, (size_t)n, want) || strcmp(id + 11, want) != 0) {
            CHECK_STR(id, want);
            break;
        }
        if (i % 3 == 0 && (storm_stix_sco_id(v, id) != STORM_OK || strcmp(id + 11, want) != 0)) {
            CHECK_STR(id + 11, want);
            break;
        }
    }
    char id[STORM_STIX_ID_MAX];
    CHECK(storm_stix_sco_id(parse("{\"type\":\"process\",\"pid\":1}"), id) == STORM_ERR_VALUE);
    CHECK(storm_stix_sco_id(parse("{\"type\":\"file\",\"size\":1}"), id) == STORM_ERR_VALUE);
}

static void test_time_text(void)
{
    /* the hot-path formatter agrees with the core one */
    int64_t samples[] = {0,
                         1,
                         -1,
                         999,
                         1000000,
                         1736942400123456789LL,
                         -62135596800LL / 1000 * 1000000000LL,
                         951782400000000000LL /* 2000-02-29 */,
                         4102444799999999999LL,
                         INT64_MAX / 2,
                         -9223372036854775807LL + 1000000000LL};
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 20000; i++) {
        int64_t t;
        if (i < (int)(sizeof samples / sizeof samples[0])) {
            t = samples[i];
        } else {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            t = (int64_t)(x % 9000000000000000000ULL) - 4500000000000000000LL;
        }
        char a[48], b[48];
        int min_digits = i % 2 ? STORM_TIME_STIX_MS : STORM_TIME_STIX_ANY;
        storm_time_format_stix(t, min_digits, a);
        stix_time_text(t, min_digits, b);
        if (strcmp(a, b) != 0) {
            CHECK_STR(b, a);
            break;
        }
    }
    CHECK(1);
}

static void test_canonical(void)
{
    storm_buf b;
    storm_buf_init(&b, 1 << 20);
    /* RFC 8785 3.2.3: keys sorted by UTF-16 code units: U+10000 (surrogates
     * D800..) sorts before U+FB33 although its UTF-8 bytes sort after */
    storm_value *v =
        parse("{\"\\ufb33\":1,\"\\ud800\\udc00\":2,\"b\":[true,null,\"\\u0001\"],\"a\":{\"z\":1,\"y\":-2}}");
    CHECK(v && storm_stix_canonical_json(&b, v) == STORM_OK);
    CHECK_STR(b.data,
              "{\"a\":{\"y\":-2,\"z\":1},\"b\":[true,null,\"\\u0001\"],\"\xf0\x90\x80\x80\":2,\"\xef\xac\xb3\":1}");
    storm_buf_reset(&b);
    CHECK(storm_stix_canonical_json(&b, parse("[1.5,100,1e2,\"\\t\\/\"]")) == STORM_OK);
    CHECK_STR(b.data, "[1.5,100,100,\"\\t/\"]");
    storm_buf_free(&b);
}

/* The compact writer's sixteen-bytes-at-a-time strings (storm_json_write,
 * storm_json_write_string) against the piecewise writer's word-at-a-time
 * ones, on strings mixing every class of byte at every alignment. */
static void test_string_writer(void)
{
    static const char alphabet[] = {'a', '"', '\\', '\n', 0x1f, ' ', 0x7f, (char)0xc3, (char)0xa9, '/', 0x01, '~'};
    storm_buf fast, core, str_only;
    storm_buf_init(&fast, 1 << 20);
    storm_buf_init(&core, 1 << 20);
    storm_buf_init(&str_only, 1 << 20);
    uint64_t x = 0x2545F4914F6CDD1DULL;
    int same = 0, n = 0;
    for (int i = 0; i < 5000; i++, n++) {
        char str[64];
        size_t len = (size_t)(i % 41);
        for (size_t k = 0; k < len; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* mostly plain bytes, so that long clean runs occur */
            str[k] = x % 4 ? 'a' + (char)(x % 26) : alphabet[(x >> 8) % sizeof alphabet];
        }
        storm_value v = {.type = STORM_V_STRING, .pos = STORM_POS_NONE};
        v.u.s.ptr = str;
        v.u.s.len = len;
        storm_buf_reset(&fast);
        storm_buf_reset(&core);
        storm_buf_reset(&str_only);
        storm_json_write(&fast, &v, STORM_JSONW_COMPACT);
        json_write_piecewise(&core, &v, STORM_JSONW_COMPACT);
        storm_json_write_string(&str_only, str, len);
        /* and a byte-at-a-time reference (both writers skip words) */
        char ref[64 * 6 + 3];
        size_t r = 0;
        ref[r++] = '"';
        for (size_t k = 0; k < len; k++) {
            unsigned char c = (unsigned char)str[k];
            const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n" : NULL;
            if (esc) {
                memcpy(ref + r, esc, 2);
                r += 2;
            } else if (c < 0x20) {
                r += (size_t)snprintf(ref + r, 7, "\\u%04x", c);
            } else {
                ref[r++] = (char)c;
            }
        }
        ref[r++] = '"';
        same += fast.len == core.len && memcmp(fast.data, core.data, fast.len) == 0 && fast.len == r &&
                memcmp(fast.data, ref, r) == 0 && str_only.len == r && memcmp(str_only.data, ref, r) == 0;
    }
    CHECK(same == n);
    storm_buf_free(&fast);
    storm_buf_free(&core);
    storm_buf_free(&str_only);
}

static int check_obs_bundle(const storm_observation *obs, storm_value **out)
{
    storm_buf b;
    storm_buf_init(&b, 1 << 24);
    int problems = -1;
    if (storm_stix_write_observation_bundle(&b, obs) == STORM_OK) {
        storm_value *v = NULL;
        storm_err err;
        char *copy = storm_arena_strndup(A, b.data, b.len);
        if (storm_json_parse(A, copy, b.len, 0, &v, NULL, &err) == STORM_OK) {
            char msg[2048];
            problems = stix_check_bundle(v, msg, sizeof msg);
            if (problems)
                fprintf(stderr, "%s\n%s\n", b.data, msg);
            if (out)
                *out = v;
        }
    }
    storm_buf_free(&b);
    return problems;
}

static const storm_value *obj_of_type(const storm_observation *obs, const char *type, size_t nth)
{
    for (size_t i = 0; i < obs->n_objects; i++)
        if (storm_v_is_str(storm_v_get(obs->objects[i].value, "type"), type) && nth-- == 0)
            return obs->objects[i].value;
    return NULL;
}

static const char *s_of(const storm_value *o, const char *k)
{
    return storm_v_get_str(o, k);
}

static bool proc_known(const storm_process_info *p)
{
    /* an empty sensor object ("parent": {}) names nothing: no SCO */
    return p->has_pid || p->has_uid || (p->binary && *p->binary) || (p->command_line && *p->command_line) ||
           (p->exec_id && *p->exec_id) || (p->name && *p->name) || (p->cwd && *p->cwd);
}

/* Process SCOs an event must give: the actor, its parent, each ancestor
 * (ancestors[0] may repeat the parent: then it is the parent). A process
 * without exec id or pid must not be merged with another one (defect: the
 * actor and its parent once shared an id and the actor was dropped). */
static size_t expected_processes(const storm_event *ev)
{
    if (!proc_known(&ev->process) && !ev->process.present)
        return (size_t)-1; /* no actor: 0 or 1 context-only process */
    size_t n = 1 + proc_known(&ev->parent);
    for (size_t i = 0; i < ev->n_ancestors; i++) {
        const storm_process_info *p = &ev->ancestors[i];
        if (i == 0 && p->exec_id && ev->parent.exec_id && *p->exec_id && strcmp(p->exec_id, ev->parent.exec_id) == 0)
            continue;
        n += proc_known(p);
    }
    return n;
}

/* The index in obs->objects a reference resolves to, or -1. */
static long resolve_index(const storm_observation *obs, const storm_value *ref)
{
    if (!ref || ref->type != STORM_V_STRING)
        return -1;
    const storm_value *t = storm_observation_resolve(obs, ref->u.s.ptr, ref->u.s.len);
    for (size_t i = 0; t && i < obs->n_objects; i++)
        if (obs->objects[i].value == t)
            return (long)i;
    return -1;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* A lazy observation before finish: the same objects (types, order) as the
 * eager one, every key a placeholder (no UUID, never a real id), and every
 * reference resolving to the object at the same place: what the matcher
 * sees of an observation it reads without finishing it. Returns the number
 * of mismatches. */
static int check_unfinished(const storm_observation *eager, const storm_observation *lazy)
{
    int bad = 0;
    if (eager->n_objects != lazy->n_objects || !strstr(lazy->id, "--zzzzzzzz-zzzz-zzzz-zzzz-"))
        return 1;
    for (size_t i = 0; i < lazy->n_objects; i++) {
        const storm_value *e = eager->objects[i].value, *l = lazy->objects[i].value;
        const char *key = lazy->objects[i].key;
        const char *dash = strstr(key, "--");
        bad += !dash || strncmp(dash + 2, "zzzzzzzz-zzzz-zzzz-zzzz-", 24) != 0 || strlen(dash + 2) != 36 ||
               strlen(key) != strlen(eager->objects[i].key);
        bad += !storm_v_equal(storm_v_get(e, "type"), storm_v_get(l, "type"));
        const storm_value *idv = storm_v_get(l, "id");
        bad += !idv || idv->type != STORM_V_STRING || strcmp(idv->u.s.ptr, key) != 0;
        for (size_t m = 0; m < l->u.o.len; m++) {
            const storm_member *mb = &l->u.o.members[m];
            const storm_value *ev = storm_v_getn(e, mb->key, mb->key_len);
            if (ends_with(mb->key, mb->key_len, "_ref")) {
                bad += resolve_index(lazy, mb->value) != resolve_index(eager, ev) || resolve_index(lazy, mb->value) < 0;
            } else if (ends_with(mb->key, mb->key_len, "_refs") && mb->value->type == STORM_V_ARRAY) {
                bad += !ev || ev->type != STORM_V_ARRAY || ev->u.a.len != mb->value->u.a.len;
                for (size_t k = 0; !bad && k < mb->value->u.a.len; k++)
                    bad += resolve_index(lazy, mb->value->u.a.items[k]) != resolve_index(eager, ev->u.a.items[k]);
            }
        }
    }
    const storm_value *refs = storm_v_get(lazy->sdo, "object_refs");
    for (size_t k = 0; refs && k < refs->u.a.len; k++)
        bad += resolve_index(lazy, refs->u.a.items[k]) != (long)k;
    return bad;
}

/* A finished observation: keys unique, each SCO's key its UUIDv5 when its
 * type has one (so deduplication merged exactly the SCOs with one id). */
static int check_finished_ids(const storm_observation *obs)
{
    int bad = 0;
    for (size_t i = 0; i < obs->n_objects; i++) {
        bad += strstr(obs->objects[i].key, "zzzz") != NULL;
        for (size_t j = 0; j < i; j++)
            bad += strcmp(obs->objects[i].key, obs->objects[j].key) == 0;
        char id[STORM_STIX_ID_MAX];
        if (storm_stix_sco_id(obs->objects[i].value, id) == STORM_OK)
            bad += strcmp(id, obs->objects[i].key) != 0;
    }
    return bad;
}

static size_t count_type(const storm_observation *obs, const char *type)
{
    size_t n = 0;
    for (size_t i = 0; i < obs->n_objects; i++)
        n += storm_v_is_str(storm_v_get(obs->objects[i].value, "type"), type);
    return n;
}

static storm_event tetragon_kprobe(void)
{
    storm_event ev = {0};
    ev.sensor = STORM_SENSOR_TETRAGON;
    ev.kind = STORM_EV_KERNEL_HOOK;
    ev.type = "process_kprobe";
    ev.has_time = true;
    ev.time = 1736942400123456789LL; /* 2025-01-15T12:00:00.123456789Z */
    ev.k8s.node = "kind-control-plane";
    ev.k8s.namespace_ = "default";
    ev.k8s.pod = "attacker";
    ev.k8s.container = "shell";
    ev.k8s.image = "docker.io/library/ubuntu:22.04";
    ev.k8s.labels = parse("{\"app.kubernetes.io/name\":\"attacker\",\"Team\":\"Red\",\"team\":\"blue\"}");
    ev.process = (storm_process_info){.present = true,
                                      .has_pid = true,
                                      .pid = 4242,
                                      .has_uid = true,
                                      .uid = 0,
                                      .binary = "/usr/bin/nsenter",
                                      .arguments = "-t 1 -m -u -i -n sh",
                                      .cwd = "/",
                                      .exec_id = "a2luZDo0MjQyOjQyNDI=",
                                      .has_start_time = true,
                                      .start_time = 1736942399000000000LL,
                                      .parent_exec_id = "a2luZDoxOjE="};
    ev.parent = (storm_process_info){
        .present = true, .has_pid = true, .pid = 1, .binary = "/bin/bash", .exec_id = "a2luZDoxOjE="};
    ev.hook = (storm_hook_info){
        .present = true,
        .kind = "kprobe",
        .name = "__x64_sys_setns",
        .policy = "ce-nsenter",
        .action = "KPROBE_ACTION_POST",
        .args = parse("[{\"type\":\"int_arg\",\"value\":3},{\"type\":\"int_arg\",\"value\":1073741824}]"),
        .ret = parse("{\"type\":\"int_arg\",\"value\":0}")};
    return ev;
}

static void test_process_event(void)
{
    storm_event ev = tetragon_kprobe();
    storm_observation obs;
    storm_err err;
    storm_stix_opts o = {.record = "line one", .record_len = 8};
    CHECK(storm_stix_observe(A, &ev, &o, &obs, &err) == STORM_OK);
    CHECK(obs.number_observed == 1 && obs.first_observed == ev.time && obs.last_observed == ev.time);
    CHECK(strncmp(obs.id, "observed-data--", 15) == 0);
    /* subject first */
    const storm_value *p = obs.objects[0].value;
    CHECK(storm_v_is_str(storm_v_get(p, "type"), "process"));
    CHECK(storm_v_get(p, "pid") && storm_v_get(p, "pid")->u.i == 4242);
    CHECK_STR(s_of(p, "command_line"), "/usr/bin/nsenter -t 1 -m -u -i -n sh");
    CHECK_STR(s_of(p, "created_time"), "2025-01-15T11:59:59Z"); /* as python-stix2 writes it */
    CHECK_STR(s_of(p, "x_hook_name"), "__x64_sys_setns");
    CHECK_STR(s_of(p, "x_k8s_pod"), "attacker");
    CHECK_STR(s_of(p, "x_proc_exec_id"), "a2luZDo0MjQyOjQyNDI=");
    const storm_value *labels = storm_v_get(p, "x_k8s_labels");
    /* labels: "key=value" strings, exact (no dictionary: `Team` and `team` stay apart) */
    CHECK(labels && labels->type == STORM_V_ARRAY && labels->u.a.len == 3);
    if (labels && labels->type == STORM_V_ARRAY && labels->u.a.len == 3) {
        CHECK(storm_v_is_str(labels->u.a.items[0], "app.kubernetes.io/name=attacker"));
        CHECK(storm_v_is_str(labels->u.a.items[1], "Team=Red"));
        CHECK(storm_v_is_str(labels->u.a.items[2], "team=blue"));
    }
    const char *args1[] = {"x_hook_args", NULL};
    const storm_value *args = storm_v_path(p, args1);
    CHECK(args && args->type == STORM_V_ARRAY && args->u.a.len == 2 &&
          storm_v_get(args->u.a.items[1], "value")->u.i == 1073741824);
    /* refs resolve inside the observation */
    const char *img = s_of(p, "image_ref");
    const storm_value *f = img ? storm_observation_resolve(&obs, img, strlen(img)) : NULL;
    CHECK(f && storm_v_is_str(storm_v_get(f, "name"), "nsenter"));
    CHECK(f && storm_v_is_str(storm_v_get(f, "x_file_path"), "/usr/bin/nsenter"));
    const char *dref = f ? s_of(f, "parent_directory_ref") : NULL;
    const storm_value *d = dref ? storm_observation_resolve(&obs, dref, strlen(dref)) : NULL;
    CHECK(d && storm_v_is_str(storm_v_get(d, "path"), "/usr/bin"));
    const char *pref = s_of(p, "parent_ref");
    const storm_value *parent = pref ? storm_observation_resolve(&obs, pref, strlen(pref)) : NULL;
    CHECK(parent && storm_v_get(parent, "pid")->u.i == 1 && !storm_v_get(parent, "x_hook_name"));
    const char *uref = s_of(p, "creator_user_ref");
    const storm_value *u = uref ? storm_observation_resolve(&obs, uref, strlen(uref)) : NULL;
    CHECK(u && storm_v_is_str(storm_v_get(u, "user_id"), "0") &&
          storm_v_is_str(storm_v_get(u, "account_type"), "unix"));
    CHECK(obj_of_type(&obs, "software", 0) != NULL);
    /* observed-data shape */
    const storm_value *od = obs.sdo;
    /* microseconds at most (python-stix2 reads no more), truncated */
    CHECK_STR(s_of(od, "first_observed"), "2025-01-15T12:00:00.123456Z");
    CHECK_STR(s_of(od, "created"), "2025-01-15T12:00:00.123456Z");
    CHECK(obs.first_observed == ev.time); /* the nanoseconds stay in memory */
    CHECK_STR(s_of(od, "created_by_ref"), STORM_STIX_IDENTITY_ID);
    CHECK_STR(s_of(od, "x_storm_sensor"), "tetragon");
    CHECK(storm_v_get(od, "object_refs")->u.a.len == obs.n_objects);
    CHECK(check_obs_bundle(&obs, NULL) == 0);
    for (size_t i = 0; i < obs.n_objects; i++) {
        const storm_value *so = obs.objects[i].value;
        const char *const *known = storm_stix_known_properties(s_of(so, "type"));
        CHECK(known != NULL);
        for (size_t m = 0; known && m < so->u.o.len; m++) {
            bool found = false;
            for (const char *const *k = known; *k; k++)
                found |= strcmp(*k, so->u.o.members[m].key) == 0;
            if (!found)
                fprintf(stderr, "not in storm_stix_known_properties: %s\n", so->u.o.members[m].key);
            CHECK(found);
        }
    }

    /* idempotent: same record -> same ids; other record -> other observed-data id */
    storm_observation again;
    CHECK(storm_stix_observe(A, &ev, &o, &again, &err) == STORM_OK);
    CHECK_STR(again.id, obs.id);
    CHECK_STR(again.objects[0].key, obs.objects[0].key);
    CHECK_STR(again.objects[1].key, obs.objects[1].key);
    storm_stix_opts o2 = {.record = "line two", .record_len = 8};
    CHECK(storm_stix_observe(A, &ev, &o2, &again, &err) == STORM_OK);
    CHECK(strcmp(again.id, obs.id) != 0);
    /* the parent keeps its process-key id across events; the subject of a hook hit is per event */
    const char *pref2 = s_of(again.objects[0].value, "parent_ref");
    CHECK(pref && pref2 && strcmp(pref, pref2) == 0);
    CHECK(strcmp(again.objects[0].key, obs.objects[0].key) != 0);

    /* an exec event's subject has the process-key id: the same as the parent_ref of its children */
    storm_event exec = {0};
    exec.sensor = STORM_SENSOR_TETRAGON;
    exec.type = "process_exec";
    exec.k8s.node = "kind-control-plane";
    exec.process = ev.parent;
    exec.has_time = true;
    exec.time = ev.time - 5;
    storm_observation eo;
    CHECK(storm_stix_observe(A, &exec, &o, &eo, &err) == STORM_OK);
    CHECK_STR(eo.objects[0].key, pref);
    CHECK(check_obs_bundle(&eo, NULL) == 0);
}

static void test_network_event(void)
{
    storm_event ev = {0};
    ev.sensor = STORM_SENSOR_HUBBLE;
    ev.kind = STORM_EV_NETWORK;
    ev.type = "flow";
    ev.has_time = true;
    ev.time = 1700000000000000000LL;
    ev.k8s.namespace_ = "web";
    ev.k8s.pod = "frontend-1";
    ev.net = (storm_net_info){.present = true,
                              .src_ip = "10.0.0.5",
                              .dst_ip = "fd00::1",
                              .has_src_port = true,
                              .src_port = 43210,
                              .has_dst_port = true,
                              .dst_port = 6443,
                              .protocol = "TCP",
                              .verdict = "DROPPED",
                              .direction = "egress",
                              .dns_name = "kubernetes.default"};
    storm_observation obs;
    storm_err err;
    CHECK(storm_stix_observe(A, &ev, NULL, &obs, &err) == STORM_OK);
    const storm_value *nt = obs.objects[0].value;
    CHECK(storm_v_is_str(storm_v_get(nt, "type"), "network-traffic"));
    CHECK(storm_v_get(nt, "dst_port")->u.i == 6443);
    CHECK_STR(s_of(nt, "x_net_verdict"), "DROPPED");
    CHECK_STR(s_of(nt, "x_k8s_pod"), "frontend-1");
    const storm_value *protos = storm_v_get(nt, "protocols");
    CHECK(protos && protos->u.a.len == 2 && storm_v_is_str(protos->u.a.items[1], "tcp"));
    CHECK(obj_of_type(&obs, "ipv4-addr", 0) && obj_of_type(&obs, "ipv6-addr", 0));
    const storm_value *dn = obj_of_type(&obs, "domain-name", 0);
    CHECK(dn && storm_v_get(dn, "resolves_to_refs"));
    CHECK(check_obs_bundle(&obs, NULL) == 0);
    /* no ports (ICMP): both become 0, which strict validation wants present */
    ev.net.has_src_port = ev.net.has_dst_port = false;
    ev.net.protocol = "ICMPv6";
    CHECK(storm_stix_observe(A, &ev, NULL, &obs, &err) == STORM_OK);
    CHECK(storm_v_get(obs.objects[0].value, "src_port")->u.i == 0);
    CHECK(check_obs_bundle(&obs, NULL) == 0);
    /* bad addresses are not written as addresses */
    ev.net.src_ip = "<nil>";
    ev.net.dst_ip = "not-an-ip";
    ev.net.dns_name = NULL;
    CHECK(storm_stix_observe(A, &ev, NULL, &obs, &err) == STORM_OK);
    CHECK(!obj_of_type(&obs, "ipv4-addr", 0) && !obj_of_type(&obs, "network-traffic", 0));
    CHECK(check_obs_bundle(&obs, NULL) == 0);
}

static void test_audit_event(void)
{
    storm_event ev = {0};
    ev.sensor = STORM_SENSOR_K8S_AUDIT;
    ev.kind = STORM_EV_API_REQUEST;
    ev.type = "Event";
    ev.has_time = true;
    ev.time = 1600000000123000000LL;
    ev.audit = (storm_audit_info){.present = true,
                                  .audit_id = "1234",
                                  .stage = "ResponseComplete",
                                  .verb = "create",
                                  .resource = "pods",
                                  .subresource = "exec",
                                  .object_namespace = "default",
                                  .object_name = "web-0",
                                  .user = "system:anonymous",
                                  .groups = parse("[\"system:unauthenticated\"]"),
                                  .source_ip = "192.0.2.7",
                                  .user_agent = "kubectl/v1.29",
                                  .has_code = true,
                                  .code = 101,
                                  .decision = "allow",
                                  .request_uri = "/api/v1/namespaces/default/pods/web-0/exec",
                                  .request_object = parse("{\"apiVersion\":\"v1\",\"spec\":{\"hostPID\":true}}")};
    storm_observation obs;
    storm_err err;
    CHECK(storm_stix_observe(A, &ev, NULL, &obs, &err) == STORM_OK);
    const storm_value *nt = obs.objects[0].value;
    CHECK(storm_v_is_str(storm_v_get(nt, "type"), "network-traffic"));
    CHECK_STR(s_of(nt, "x_audit_verb"), "create");
    CHECK_STR(s_of(nt, "x_audit_subresource"), "exec");
    CHECK(storm_v_get(nt, "x_audit_code")->u.i == 101);
    const char *path[] = {"x_audit_request_object", "spec", "hostpid", NULL};
    CHECK(storm_v_path(nt, path) && storm_v_path(nt, path)->type == STORM_V_BOOL);
    const char *mpath[] = {"extensions", "http-request-ext", "request_method", NULL};
    CHECK(storm_v_is_str(storm_v_path(nt, mpath), "POST"));
    /* a header's values are a list of strings (STIX 2.1 section 6.12.3.2) */
    const char *hpath[] = {"extensions", "http-request-ext", "request_header", "User-Agent", NULL};
    const storm_value *agent = storm_v_path(nt, hpath);
    CHECK(agent && agent->type == STORM_V_ARRAY && agent->u.a.len == 1 &&
          storm_v_is_str(agent->u.a.items[0], "kubectl/v1.29"));
    /* created/modified keep milliseconds; the others drop trailing zeros, as
     * python-stix2 writes them (network-traffic:start is hashed into the id) */
    CHECK_STR(s_of(nt, "start"), "2020-09-13T12:26:40.123Z");
    CHECK_STR(s_of(obs.sdo, "created"), "2020-09-13T12:26:40.123Z");
    ev.time = 1600000000640000000LL;
    CHECK(storm_stix_observe(A, &ev, NULL, &obs, &err) == STORM_OK);
    CHECK_STR(s_of(obs.objects[0].value, "start"), "2020-09-13T12:26:40.64Z");
    CHECK_STR(s_of(obs.sdo, "modified"), "2020-09-13T12:26:40.640Z");
    ev.time = 1600000000000000000LL;
    CHECK(storm_stix_observe(A, &ev, NULL, &obs, &err) == STORM_OK);
    CHECK_STR(s_of(obs.objects[0].value, "start"), "2020-09-13T12:26:40Z");
    CHECK_STR(s_of(obs.sdo, "first_observed"), "2020-09-13T12:26:40Z");
    CHECK_STR(s_of(obs.sdo, "modified"), "2020-09-13T12:26:40.000Z");
    ev.time = 1600000000999999999LL; /* truncated, never rounded into the next second */
    CHECK(storm_stix_observe(A, &ev, NULL, &obs, &err) == STORM_OK);
    CHECK_STR(s_of(obs.objects[0].value, "start"), "2020-09-13T12:26:40.999999Z");
    CHECK_STR(s_of(obs.sdo, "created"), "2020-09-13T12:26:40.999999Z");
    CHECK(check_obs_bundle(&obs, NULL) == 0);
    const storm_value *ua = obj_of_type(&obs, "user-account", 0);
    CHECK(ua && storm_v_is_str(storm_v_get(ua, "user_id"), "system:anonymous"));
    CHECK(check_obs_bundle(&obs, NULL) == 0);
}

/* A keyed process's id is the stable UUIDv4 of its key message, whether the
 * message is short (gathered, through the digest cache: asked twice, and
 * past the cache's size) or too long to gather (streamed). */
static void test_process_key_ids(void)
{
    static char exec_id[700];
    size_t lens[] = {12, 40, 499, 500, 600, 699, 12};
    for (int round = 0; round < 2; round++)
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            memset(exec_id, 'a' + (int)li % 26, lens[li]);
            exec_id[lens[li]] = '\0';
            storm_event ev = {0};
            ev.sensor = STORM_SENSOR_TETRAGON;
            ev.type = "process_exec";
            ev.has_time = true;
            ev.time = 1746000000000000000LL;
            ev.k8s.node = "node-1";
            ev.process = (storm_process_info){.present = true, .exec_id = exec_id, .binary = "/bin/true"};
            storm_observation obs;
            storm_err err;
            CHECK(storm_stix_observe(A, &ev, NULL, &obs, &err) == STORM_OK);
            char msg[800];
            size_t n = 0;
            memcpy(msg + n, "storm-process", 14), n += 14;
            memcpy(msg + n, "tetragon", 9), n += 9;
            memcpy(msg + n, "node-1", 7), n += 7;
            msg[n++] = 'e';
            memcpy(msg + n, exec_id, lens[li]), n += lens[li];
            char want[9 + 37] = "process--";
            storm_stix_uuid4_stable(msg, n, want + 9);
            CHECK_STR(obs.objects[0].key, want);
        }
    /* more distinct keys than the cache holds, each asked twice */
    int same = 0;
    for (int i = 0; i < 3000; i++) {
        char m[32], want[37], got[37];
        int n = snprintf(m, sizeof m, "key %d", i % 1500);
        unsigned char md[20];
        stix_sha1_cached(m, (size_t)n, md);
        stix_uuid4_from_digest(md, got);
        storm_stix_uuid4_stable(m, (size_t)n, want);
        same += strcmp(got, want) == 0;
    }
    CHECK(same == 3000);
}

/* Lazy ids against eager ones where the builder must merge objects before
 * any id exists: an ancestor that repeats the parent's exec id (not at
 * ancestors[0]), pid-keyed relatives with the same pid and start, an actor
 * without hook that repeats an ancestor, unkeyed relatives, binaries in one
 * directory, one user for all, and the same address as source and
 * destination. The finished lazy observation is byte for byte the eager one,
 * the unfinished one shows no UUID, and nothing is merged that the ids keep
 * apart. */
static void test_lazy_merges(void)
{
    static const char record[] = "{\"a synthetic record\":1}";
    storm_process_info anc[5] = {
        {.present = true, .exec_id = "C", .binary = "/usr/bin/sh", .has_uid = true, .uid = 0},
        {.present = true, .exec_id = "B", .binary = "/usr/bin/bash", .has_uid = true, .uid = 0},
        {.present = true, .has_pid = true, .pid = 7, .has_start_time = true, .start_time = 5, .binary = "/usr/bin/x"},
        {.present = true, .has_pid = true, .pid = 7, .has_start_time = true, .start_time = 5, .binary = "/usr/bin/x"},
        {.present = true, .binary = "/usr/bin/unkeyed", .name = "u"},
    };
    for (int variant = 0; variant < 4; variant++) {
        storm_event ev = {0};
        ev.sensor = STORM_SENSOR_TETRAGON;
        ev.type = "process_exec";
        ev.has_time = true;
        ev.time = 1746000000123456789LL;
        ev.k8s.node = "node-1";
        ev.k8s.container_id = "cid";
        ev.process = (storm_process_info){.present = true,
                                          .exec_id = variant == 1 ? "B" : "A",
                                          .binary = "/usr/bin/env",
                                          .has_uid = true,
                                          .uid = 0,
                                          .has_pid = variant == 2,
                                          .pid = 7,
                                          .has_start_time = variant == 2,
                                          .start_time = 5};
        if (variant == 2)
            ev.process.exec_id = NULL;
        ev.parent = (storm_process_info){.present = true, .exec_id = "B", .binary = "/usr/bin/bash"};
        ev.ancestors = anc;
        ev.n_ancestors = variant == 3 ? 1 : 5;
        ev.net.present = true;
        ev.net.src_ip = "10.0.0.1";
        ev.net.dst_ip = "10.0.0.1";
        ev.net.protocol = "TCP";
        if (variant == 3) {
            ev.hook.present = true;
            ev.hook.name = "tcp_connect";
        }
        storm_stix_opts eo = {.record = record, .record_len = sizeof record - 1, .record_index = 2};
        storm_stix_opts lo = eo;
        lo.lazy_ids = true;
        storm_observation eager, lazy;
        storm_err err;
        CHECK(storm_stix_observe(A, &ev, &eo, &eager, &err) == STORM_OK);
        CHECK(storm_stix_observe(A, &ev, &lo, &lazy, &err) == STORM_OK);
        CHECK(check_unfinished(&eager, &lazy) == 0);
        storm_stix_observation_finish(&lazy);
        CHECK(check_finished_ids(&eager) == 0);
        storm_buf x, y;
        storm_buf_init(&x, 1 << 20);
        storm_buf_init(&y, 1 << 20);
        CHECK(storm_stix_write_observation_bundle(&x, &eager) == STORM_OK);
        CHECK(storm_stix_write_observation_bundle(&y, &lazy) == STORM_OK);
        CHECK(x.len == y.len && memcmp(x.data, y.data, x.len) == 0);
        CHECK(strstr(y.data, "zzzz") == NULL);
        /* what was merged: one directory, one user, one address */
        CHECK(count_type(&eager, "directory") == 1);
        CHECK(count_type(&eager, "user-account") == 1);
        CHECK(count_type(&eager, "ipv4-addr") == 1);
        storm_buf_free(&x);
        storm_buf_free(&y);
    }
}

static void test_alert_event(void)
{
    storm_event ev = {0};
    ev.sensor = STORM_SENSOR_KUBESCAPE;
    ev.kind = STORM_EV_ALERT;
    ev.type = "R0002";
    ev.has_time = true;
    ev.time = 1746000000000000000LL;
    ev.k8s.namespace_ = "honey";
    ev.k8s.pod = "ssh-proxy";
    ev.alert =
        (storm_alert_info){.present = true,
                           .rule = "Unexpected file access",
                           .rule_id = "R0002",
                           .severity = "1",
                           .fields = parse("{\"flags\":[\"O_RDONLY\"],\"Path\":\"/etc/shadow\",\"empty\":\"\","
                                           "\"proc.cmdline\":\"cat\",\"proc_cmdline\":\"x\",\"PROC.cmdline\":\"y\","
                                           "\"fd\":3,\"o\":{\"a/b\":1}}")};
    ev.process = (storm_process_info){.present = true,
                                      .has_pid = true,
                                      .pid = 77,
                                      .name = "cat",
                                      .command_line = "cat /etc/shadow",
                                      .binary = "/bin/cat"};
    ev.n_files = 1;
    ev.files[0].path = "/etc/shadow";
    storm_observation obs;
    storm_err err;
    CHECK(storm_stix_observe(A, &ev, NULL, &obs, &err) == STORM_OK);
    const storm_value *p = obs.objects[0].value;
    CHECK_STR(s_of(p, "x_alert_rule_id"), "R0002");
    const storm_value *fields = storm_v_get(p, "x_alert_fields");
    CHECK(fields && storm_v_get(fields, "path") && !storm_v_get(fields, "empty"));
    /* dictionary keys: [a-z0-9_-] (others -> '_'), 3..250, collisions numbered in input order */
    CHECK(storm_v_is_str(storm_v_get(fields, "proc_cmdline"), "cat"));
    CHECK(storm_v_is_str(storm_v_get(fields, "proc_cmdline_2"), "x"));
    CHECK(storm_v_is_str(storm_v_get(fields, "proc_cmdline_3"), "y"));
    CHECK(storm_v_get(fields, "fd_") && storm_v_get(fields, "fd_")->u.i == 3);
    const char *ab[] = {"o__", "a_b", NULL};
    CHECK(storm_v_path(fields, ab) != NULL);
    int files = 0;
    for (size_t i = 0; i < obs.n_objects; i++)
        if (storm_v_is_str(storm_v_get(obs.objects[i].value, "type"), "file"))
            files++;
    CHECK(files == 2); /* the binary and the accessed file */
    CHECK(check_obs_bundle(&obs, NULL) == 0);

    /* an alert with context only: a process carrying x_k8s/x_alert */
    storm_event bare = {0};
    bare.sensor = STORM_SENSOR_FALCO;
    bare.type = "alert";
    bare.k8s.pod = "p";
    bare.alert = (storm_alert_info){.present = true, .rule = "Disallowed K8s User", .source = "k8s_audit"};
    CHECK(storm_stix_observe(A, &bare, NULL, &obs, &err) == STORM_OK);
    CHECK(obs.n_objects == 1 && storm_v_is_str(storm_v_get(obs.objects[0].value, "type"), "process"));
    CHECK(check_obs_bundle(&obs, NULL) == 0);

    /* a pseudo-path is no file; a relative path gives no directory */
    storm_event kern = {0};
    kern.sensor = STORM_SENSOR_TETRAGON;
    kern.type = "process_kprobe";
    kern.process = (storm_process_info){.present = true, .has_pid = true, .pid = 0, .binary = "<kernel>"};
    kern.n_files = 2;
    kern.files[0].path = "etc/passwd";
    kern.files[1].path = "pipe:[4026]";
    CHECK(storm_stix_observe(A, &kern, NULL, &obs, &err) == STORM_OK);
    CHECK_STR(s_of(obs.objects[0].value, "x_proc_binary"), "<kernel>");
    CHECK(!storm_v_get(obs.objects[0].value, "image_ref"));
    CHECK(!storm_v_get(obs.objects[0].value, "command_line")); /* "<kernel>" is no command line */
    CHECK(count_type(&obs, "directory") == 0);
    CHECK(count_type(&obs, "file") == 1);
    const storm_value *rel = obj_of_type(&obs, "file", 0);
    CHECK(rel && storm_v_is_str(storm_v_get(rel, "name"), "passwd") &&
          storm_v_is_str(storm_v_get(rel, "x_file_path"), "etc/passwd") && !storm_v_get(rel, "parent_directory_ref"));
    CHECK(check_obs_bundle(&obs, NULL) == 0);

    /* nothing to observe */
    storm_event none = {0};
    none.sensor = STORM_SENSOR_FALCO;
    CHECK(storm_stix_observe(A, &none, NULL, &obs, &err) == STORM_ERR_VALUE);
}

static void test_bundle_collector(void)
{
    storm_stix_bundle *b = storm_stix_bundle_new();
    storm_event ev = tetragon_kprobe();
    storm_observation o1, o2;
    storm_err err;
    storm_stix_opts a1 = {.record = "1", .record_len = 1}, a2 = {.record = "2", .record_len = 1};
    CHECK(storm_stix_observe(A, &ev, &a1, &o1, &err) == STORM_OK);
    CHECK(storm_stix_observe(A, &ev, &a2, &o2, &err) == STORM_OK);
    CHECK(storm_stix_bundle_add(b, &o1) == STORM_OK);
    size_t after1 = storm_stix_bundle_count(b);
    CHECK(storm_stix_bundle_add(b, &o2) == STORM_OK);
    /* the second shares parent, files, user, software: only observed-data and subject are new */
    CHECK(storm_stix_bundle_count(b) == after1 + 2);
    storm_buf out;
    storm_buf_init(&out, 1 << 24);
    CHECK(storm_stix_bundle_write(b, &out) == STORM_OK);
    storm_value *v = NULL;
    char *copy = storm_arena_strndup(A, out.data, out.len);
    CHECK(storm_json_parse(A, copy, out.len, 0, &v, NULL, &err) == STORM_OK);
    char msg[2048];
    CHECK(stix_check_bundle(v, msg, sizeof msg) == 0);
    storm_buf_free(&out);
    storm_stix_bundle_free(b);
}

static void test_extension_definitions(void)
{
    for (int e = 0; e < STORM_STIX_EXT__COUNT; e++) {
        const storm_stix_ext_info *x = storm_stix_ext_get((storm_stix_ext)e);
        CHECK(x && x->properties[0]);
        for (const char *const *p = x->properties; *p; p++)
            CHECK(storm_stix_ext_of_property(*p, strlen(*p)) == e);
        storm_value *d = storm_stix_extension_definition(A, (storm_stix_ext)e);
        CHECK(d && storm_v_is_str(storm_v_get(d, "type"), "extension-definition"));
        /* "schema" is a JSON Schema (as JSON text) describing every property */
        const char *schema = d ? storm_v_get_str(d, "schema") : NULL;
        storm_value *sv = schema ? parse(schema) : NULL;
        CHECK(sv && storm_v_is_str(storm_v_get(sv, "$schema"), "https://json-schema.org/draft/2020-12/schema"));
        CHECK(sv && storm_v_is_str(storm_v_get(sv, "type"), "object"));
        for (const char *const *p = x->properties; sv && *p; p++) {
            const char *path[] = {"properties", *p, NULL};
            const storm_value *ps = storm_v_path(sv, path);
            CHECK(ps && (storm_v_get(ps, "type") || storm_v_get(ps, "enum")));
        }
    }
    const char *uid_path[] = {"properties", "x_proc_uid", "type", NULL};
    CHECK(storm_v_is_str(
        storm_v_path(parse(storm_v_get_str(storm_stix_extension_definition(A, STORM_STIX_EXT_PROC), "schema")),
                     uid_path),
        "integer"));
    /* the definitions a pattern's x_* properties need */
    CHECK(
        storm_stix_ext_mask_of_pattern("[process:x_k8s_pod = 'a' AND process:x_hook_args[0].path = '/x'] "
                                       "FOLLOWEDBY [file:x_file_path LIKE '%x_proc_uid']") ==
        (1u << STORM_STIX_EXT_K8S | 1u << STORM_STIX_EXT_HOOK | 1u << STORM_STIX_EXT_FILE | 1u << STORM_STIX_EXT_PROC));
    CHECK(storm_stix_ext_mask_of_pattern("[file:name = 'x_k8s'] AND [process:xx_k8s_pod = 1]") == 0);
    CHECK(storm_stix_ext_mask_of_pattern(NULL) == 0);
    CHECK(storm_stix_ext_of_property("x_k8s_pod", 9) == STORM_STIX_EXT_K8S);
    /* every x_ property of the known-property lists is declared by an extension */
    const char *types[] = {"process",   "network-traffic", "file",         "directory", "ipv4-addr",
                           "ipv6-addr", "domain-name",     "user-account", "software"};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        const char *const *props = storm_stix_known_properties(types[t]);
        CHECK(props != NULL);
        for (; props && *props; props++)
            if (strncmp(*props, "x_", 2) == 0)
                CHECK(storm_stix_ext_of_property(*props, strlen(*props)) >= 0);
    }
    CHECK(storm_stix_known_properties("malware") == NULL);
    CHECK(storm_stix_ext_of_property("pod", 3) == -1);
}

/* The checker must fail on what strict validation fails on. */
static void test_checker_rejects(void)
{
    static const char *bad[] = {
        /* custom property without x_<source>_ prefix */
        "{\"type\":\"bundle\",\"id\":\"bundle--3b3d4e1b-4e4d-4e7c-834d-437eab41a5d3\",\"objects\":[{\"type\":"
        "\"ipv4-addr\",\"id\":\"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4\",\"value\":\"198.51.100.3\","
        "\"pod\":\"x\"}]}",
        /* SCO with a UUIDv5 that is not the one of its value */
        "{\"type\":\"bundle\",\"id\":\"bundle--3b3d4e1b-4e4d-4e7c-834d-437eab41a5d3\",\"objects\":[{\"type\":"
        "\"ipv4-addr\",\"id\":\"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd\",\"value\":\"198.51.100.3\"}]}",
        /* SCO with a UUIDv4 */
        "{\"type\":\"bundle\",\"id\":\"bundle--3b3d4e1b-4e4d-4e7c-834d-437eab41a5d3\",\"objects\":[{\"type\":"
        "\"ipv4-addr\",\"id\":\"ipv4-addr--28bb3599-77cd-4a82-a950-b5bc3caf07c4\",\"value\":\"198.51.100.3\"}]}",
        /* network-traffic without ports, and a dangling ref */
        "{\"type\":\"bundle\",\"id\":\"bundle--3b3d4e1b-4e4d-4e7c-834d-437eab41a5d3\",\"objects\":[{\"type\":"
        "\"network-traffic\",\"id\":\"network-traffic--28bb3599-77cd-5a82-a950-b5bc3caf07c4\",\"src_ref\":"
        "\"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4\",\"protocols\":[\"tcp\"]}]}",
        /* observed-data with created at second precision, empty object_refs */
        "{\"type\":\"bundle\",\"id\":\"bundle--3b3d4e1b-4e4d-4e7c-834d-437eab41a5d3\",\"objects\":[{\"type\":"
        "\"observed-data\",\"spec_version\":\"2.1\",\"id\":\"observed-data--5f2d4e5b-3d4e-4e7c-834d-437eab41a5d3\","
        "\"created\":\"2024-03-30T18:14:23Z\",\"modified\":\"2024-03-30T18:14:23.000Z\",\"first_observed\":"
        "\"2024-03-30T18:14:23Z\",\"last_observed\":\"2024-03-30T18:14:23Z\",\"number_observed\":1,"
        "\"object_refs\":[]}]}",
        /* upper-case dictionary key in an SCO, empty string */
        "{\"type\":\"bundle\",\"id\":\"bundle--3b3d4e1b-4e4d-4e7c-834d-437eab41a5d3\",\"objects\":[{\"type\":"
        "\"software\",\"id\":\"software--895110cd-1368-5937-a69a-f069c0b0ee20\",\"name\":\"\"}]}",
    };
    CHECK(stix_check_bundle(parse("{\"type\":\"bundle\",\"id\":\"bundle--3b3d4e1b-4e4d-4e7c-834d-437eab41a5d3\","
                                  "\"objects\":[{\"type\":\"ipv4-addr\",\"id\":"
                                  "\"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4\",\"value\":\"198.51.100.3\"}]}"),
                            NULL, 0) == 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        storm_value *v = parse(bad[i]);
        CHECK(v != NULL);
        CHECK(stix_check_bundle(v, NULL, 0) > 0);
    }
    /* a Storm observation bundle passes; each of these changes fails it */
    storm_event ev = {0};
    ev.sensor = STORM_SENSOR_K8S_AUDIT;
    ev.kind = STORM_EV_API_REQUEST;
    ev.type = "Event";
    ev.has_time = true;
    ev.time = 1600000000123456789LL;
    ev.audit = (storm_audit_info){.present = true,
                                  .verb = "get",
                                  .resource = "pods",
                                  .user = "alice",
                                  .source_ip = "192.0.2.7",
                                  .user_agent = "curl/8",
                                  .has_code = true,
                                  .code = 200,
                                  .request_uri = "/api/v1/pods"};
    for (int change = 0; change < 5; change++) {
        storm_observation obs;
        storm_err err;
        storm_value *bundle = NULL;
        CHECK(storm_stix_observe(A, &ev, NULL, &obs, &err) == STORM_OK);
        CHECK(check_obs_bundle(&obs, &bundle) == 0);
        const storm_value *objs = bundle ? storm_v_get(bundle, "objects") : NULL;
        storm_value *nt = NULL, *od = NULL;
        for (size_t i = 0; objs && i < objs->u.a.len; i++) {
            if (storm_v_is_str(storm_v_get(objs->u.a.items[i], "type"), "network-traffic"))
                nt = objs->u.a.items[i];
            if (storm_v_is_str(storm_v_get(objs->u.a.items[i], "type"), "observed-data"))
                od = objs->u.a.items[i];
        }
        CHECK(nt && od);
        if (!nt || !od)
            break;
        const char *hpath[] = {"extensions", "http-request-ext", "request_header", NULL};
        storm_value *hdr = (storm_value *)storm_v_path(nt, hpath);
        switch (change) {
        case 0: storm_v_set_str(A, nt, "x_audit_code", "200"); break;   /* against its JSON Schema */
        case 1: storm_v_set_int(A, nt, "x_audit_user", 7); break;       /* against its JSON Schema */
        case 2: storm_v_set_str(A, hdr, "User-Agent", "curl/8"); break; /* a header value not a list */
        case 3:                                                         /* nanoseconds */
            storm_v_set_str(A, od, "first_observed", "2020-09-13T12:26:40.123456789Z");
            storm_v_set_str(A, od, "last_observed", "2020-09-13T12:26:40.123456789Z");
            break;
        default: storm_v_set_str(A, od, "created", "2020-09-13T12:26:40Z"); break; /* under ms */
        }
        CHECK(stix_check_bundle(bundle, NULL, 0) > 0);
    }
    /* the upstream threatintel observable bundle uses bare custom keys: rejected */
    const char *root = getenv("STORM_SOURCE_ROOT");
    if (root) {
        char path[1024];
        snprintf(path, sizeof path, "%s/tests/data/corpus/stix-observed/threatintel-stix-tetragon-observable.json",
                 root);
        FILE *f = fopen(path, "rb");
        CHECK(f != NULL);
        if (f) {
            static char text[1 << 16];
            size_t n = fread(text, 1, sizeof text - 1, f);
            fclose(f);
            storm_value *v = NULL;
            storm_err err;
            CHECK(storm_json_parse(A, text, n, 0, &v, NULL, &err) == STORM_OK);
            CHECK(stix_check_bundle(v, NULL, 0) > 0);
        }
    }
}

/* Every corpus event: the fast writer gives the bytes of the core writer,
 * and the bundle passes the checker (in-process, without the CLI). */
static void test_corpus_writer(void)
{
    const char *root = getenv("STORM_SOURCE_ROOT");
    if (!root)
        return;
    static const char *sensors[] = {"tetragon", "k8s-audit", "falco", "kubescape", "hubble"};
    storm_arena *a = storm_arena_new(0, 0);
    storm_buf fast, core;
    storm_buf_init(&fast, 1 << 26);
    storm_buf_init(&core, 1 << 26);
    int events = 0, same = 0, lazy_same = 0, lazy_written = 0, ids_bad = 0;
    for (size_t si = 0; si < sizeof sensors / sizeof sensors[0]; si++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/tests/data/corpus/%s", root, sensors[si]);
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strstr(e->d_name, ".jsonl"))
                continue;
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            char *text;
            size_t len;
            storm_err err;
            if (storm_read_file(path, 1 << 26, &text, &len, &err) != STORM_OK)
                continue;
            for (char *p = text; *p;) {
                char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);
                storm_arena_reset(a);
                storm_value *rootv;
                if (storm_json_parse(a, p, n, 0, &rootv, NULL, &err) == STORM_OK) {
                    const storm_value *rec = NULL;
                    const storm_decoder *dec = NULL;
                    storm_event_list list = {0};
                    const char *skip;
                    storm_err_clear(&err);
                    if (storm_decode_classify(a, rootv, NULL, &rec, &dec, &err) == STORM_OK &&
                        dec->decode(a, rec, &list, &skip, &err) == STORM_OK) {
                        for (size_t i = 0; i < list.n; i++) {
                            storm_observation obs;
                            storm_stix_opts o = {.record = p, .record_len = n, .record_index = i};
                            if (storm_stix_observe(a, &list.items[i], &o, &obs, &err) != STORM_OK)
                                continue;
                            events++;
                            size_t want = expected_processes(&list.items[i]);
                            size_t got = count_type(&obs, "process");
                            if (want == (size_t)-1 ? got > 1 : got != want) {
                                fprintf(stderr, "%s: %.80s...: %zu process SCOs, want %zu\n", e->d_name, p, got, want);
                                CHECK(0);
                            }
                            bool eq = true;
                            for (size_t k = 0; k <= obs.n_objects; k++) {
                                const storm_value *v = k ? obs.objects[k - 1].value : obs.sdo;
                                storm_buf_reset(&fast);
                                storm_buf_reset(&core);
                                storm_json_write(&fast, v, STORM_JSONW_COMPACT);
                                json_write_piecewise(&core, v, STORM_JSONW_COMPACT);
                                eq = eq && fast.len == core.len && memcmp(fast.data, core.data, fast.len) == 0;
                            }
                            same += eq;
                            storm_value *bundle = NULL;
                            CHECK(check_obs_bundle(&obs, &bundle) == 0);
                            /* lazy ids: placeholders until finished, then the
                             * very bytes of the eager observation */
                            storm_observation lazy;
                            storm_stix_opts lo = o;
                            lo.lazy_ids = true;
                            if (storm_stix_observe(a, &list.items[i], &lo, &lazy, &err) == STORM_OK) {
                                storm_buf_reset(&fast);
                                storm_buf_reset(&core);
                                bool pending_before = lazy.pending && strstr(lazy.id, "zzzz") != NULL;
                                int unfinished_bad = check_unfinished(&obs, &lazy);
                                if (unfinished_bad)
                                    fprintf(stderr, "%s: %.80s...: unfinished lazy observation differs (%d)\n",
                                            e->d_name, p, unfinished_bad);
                                storm_stix_observation_finish(&lazy);
                                storm_stix_observation_finish(&lazy); /* again: nothing changes */
                                storm_stix_write_observation_bundle(&fast, &obs);
                                storm_stix_write_observation_bundle(&core, &lazy);
                                lazy_same += pending_before && !unfinished_bad && fast.len == core.len &&
                                             memcmp(fast.data, core.data, fast.len) == 0 &&
                                             strcmp(obs.id, lazy.id) == 0 && !strstr(core.data, "zzzz");
                                /* the writer finishes what is pending itself:
                                 * no placeholder leaves even unfinished */
                                storm_observation lazy2;
                                storm_buf_reset(&core);
                                if (storm_stix_observe(a, &list.items[i], &lo, &lazy2, &err) == STORM_OK &&
                                    storm_stix_write_observation_bundle(&core, &lazy2) == STORM_OK)
                                    lazy_written += fast.len == core.len && memcmp(fast.data, core.data, fast.len) == 0;
                            }
                            ids_bad += check_finished_ids(&obs);
                        }
                    }
                }
                p = nl ? nl + 1 : p + n;
            }
            free(text);
        }
        if (d)
            closedir(d);
    }
    CHECK(events > 500);
    CHECK(same == events);
    CHECK(lazy_same == events);
    CHECK(lazy_written == events);
    CHECK(ids_bad == 0);
    storm_buf_free(&fast);
    storm_buf_free(&core);
    storm_arena_free(a);
}

/* Line no (1-based) of text, its length into *len; NULL past the end. */
static const char *nth_line(const char *text, long no, size_t *len)
{
    const char *p = text;
    for (long i = 1; i < no && p; i++) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    if (!p || !*p)
        return NULL;
    const char *nl = strchr(p, '\n');
    *len = nl ? (size_t)(nl - p) : strlen(p);
    return p;
}

/* The SCO ids python-stix2 computes for what Storm makes of corpus lines
 * (tests/data/stix-ids/sco-ids.tsv, made by scripts/make_sco_id_table.py):
 * each must be among the ids of that line's observation. Catches both a
 * contributing value written otherwise than the library reads it back (a
 * timestamp's trailing zeros) and a hashing difference. */
static void test_sco_id_table(void)
{
    const char *root = getenv("STORM_SOURCE_ROOT");
    if (!root)
        return;
    char path[2048];
    snprintf(path, sizeof path, "%s/tests/data/stix-ids/sco-ids.tsv", root);
    char *table = NULL, *text = NULL;
    size_t tlen, len;
    storm_err err;
    CHECK(storm_read_file(path, 1 << 22, &table, &tlen, &err) == STORM_OK);
    if (!table)
        return;
    storm_arena *a = storm_arena_new(0, 0);
    char cur[512] = "";
    int rows = 0, found = 0;
    for (char *row = strtok(table, "\n"); row; row = strtok(NULL, "\n")) {
        if (row[0] == '#')
            continue;
        char file[512], type[64], want[128];
        long no;
        if (sscanf(row, "%511[^\t]\t%ld\t%63[^\t]\t%127s", file, &no, type, want) != 4) {
            CHECK(!"malformed sco-ids.tsv row");
            continue;
        }
        rows++;
        if (strcmp(file, cur) != 0) {
            free(text);
            text = NULL;
            snprintf(path, sizeof path, "%s/tests/data/corpus/%s", root, file);
            CHECK(storm_read_file(path, 1 << 26, &text, &len, &err) == STORM_OK);
            snprintf(cur, sizeof cur, "%s", file);
        }
        const char *line = text ? nth_line(text, no, &len) : NULL;
        storm_arena_reset(a);
        storm_value *rootv;
        bool hit = false;
        if (line && storm_json_parse(a, line, len, 0, &rootv, NULL, &err) == STORM_OK) {
            const storm_value *rec = NULL;
            const storm_decoder *dec = NULL;
            storm_event_list list = {0};
            const char *skip;
            storm_err_clear(&err);
            if (storm_decode_classify(a, rootv, NULL, &rec, &dec, &err) == STORM_OK &&
                dec->decode(a, rec, &list, &skip, &err) == STORM_OK)
                for (size_t i = 0; i < list.n && !hit; i++) {
                    storm_observation obs;
                    storm_stix_opts o = {.record = line, .record_len = len, .record_index = i};
                    if (storm_stix_observe(a, &list.items[i], &o, &obs, &err) != STORM_OK)
                        continue;
                    for (size_t k = 0; k < obs.n_objects && !hit; k++)
                        hit = storm_v_is_str(storm_v_get(obs.objects[k].value, "id"), want);
                }
        }
        if (!hit)
            fprintf(stderr, "%s:%ld: no %s with python-stix2's id %s\n", file, no, type, want);
        found += hit;
    }
    CHECK(rows > 300);
    CHECK(found == rows);
    free(text);
    free(table);
    storm_arena_free(a);
}

int main(void)
{
    A = storm_arena_new(0, 0);
    RUN(test_uuid5);
    RUN(test_sco_ids);
    RUN(test_canonical);
    RUN(test_time_text);
    RUN(test_string_writer);
    RUN(test_process_event);
    RUN(test_network_event);
    RUN(test_audit_event);
    RUN(test_process_key_ids);
    RUN(test_lazy_merges);
    RUN(test_alert_event);
    RUN(test_bundle_collector);
    RUN(test_extension_definitions);
    RUN(test_checker_rejects);
    RUN(test_corpus_writer);
    RUN(test_sco_id_table);
    storm_arena_free(A);
    return test_report("test_stix");
}
