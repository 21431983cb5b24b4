/* SPDX-License-Identifier: Apache-2.0 */
/* JSON parser/writer: unit cases, plus a differential check against cJSON on
 * every line of the bundled corpus (tests/data). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <storm/io.h>
#include <storm/json.h>

#include "test.h"
#include "value_same.h"

static storm_value *parse(storm_arena *a, const char *s, storm_err *err)
{
    storm_value *v = NULL;
    storm_err_clear(err);
    storm_json_parse(a, s, strlen(s), 0, &v, NULL, err);
    return v;
}

static char *roundtrip(storm_arena *a, const char *s, int flags)
{
    storm_err err;
    storm_value *v = parse(a, s, &err);
    if (!v)
        return NULL;
    storm_buf b;
    storm_buf_init(&b, 0);
    storm_json_write(&b, v, flags);
    char *r = storm_arena_strdup(a, b.data);
    storm_buf_free(&b);
    return r;
}

static void test_basic(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_err err;
    storm_value *v = parse(a, " {\"a\": [1, -2, 3.5, true, false, null, \"x\\u00e9\\n\"], \"b\": {}} ", &err);
    CHECK(v && v->type == STORM_V_OBJECT);
    storm_value *arr = storm_v_get(v, "a");
    CHECK(arr && arr->type == STORM_V_ARRAY && arr->u.a.len == 7);
    CHECK(arr->u.a.items[0]->type == STORM_V_INT && arr->u.a.items[0]->u.i == 1);
    CHECK(arr->u.a.items[1]->u.i == -2);
    CHECK(arr->u.a.items[2]->type == STORM_V_FLOAT && arr->u.a.items[2]->u.f == 3.5);
    CHECK(arr->u.a.items[6]->type == STORM_V_STRING && strcmp(arr->u.a.items[6]->u.s.ptr, "x\xc3\xa9\n") == 0);
    CHECK_STR(roundtrip(a, "{\"b\":1,\"a\":[1.0,2e3,\"\\\"\"]}", STORM_JSONW_SORT_KEYS),
              "{\"a\":[1.0,2000.0,\"\\\"\"],\"b\":1}");
    CHECK_STR(roundtrip(a, "9223372036854775807", 0), "9223372036854775807");
    CHECK_STR(roundtrip(a, "\"\\ud83d\\ude00\"", 0), "\"\xf0\x9f\x98\x80\"");
    /* an escaped NUL stays visible (U+FFFD) and nothing after it is lost */
    CHECK_STR(roundtrip(a, "\"a\\u0000b\"", 0), "\"a\xef\xbf\xbd"
                                                "b\"");
    storm_arena_free(a);
}

/* A copy is equal, owns its strings, stays growable, and collapses a
 * repeated key as storm_v_setn does (the first place, the last value). */
static void test_copy(void)
{
    storm_arena *a = storm_arena_new(0, 0), *b = storm_arena_new(0, 0);
    storm_err err;
    const char *text = "{\"a\":1,\"l\":[\"x\",{\"k\":null},[],2.5,true],\"o\":{},\"a\":\"last\",\"s\":\"\u00e9\"}";
    storm_value *v = parse(a, text, &err), *c = storm_v_copy(b, v);
    storm_buf w;
    storm_buf_init(&w, 0);
    CHECK(c && storm_json_write(&w, c, STORM_JSONW_COMPACT) == STORM_OK);
    CHECK_STR(w.data, "{\"a\":\"last\",\"l\":[\"x\",{\"k\":null},[],2.5,true],\"o\":{},\"s\":\"\xc3\xa9\"}");
    CHECK(c && storm_v_get_str(c, "s") != storm_v_get_str(v, "s"));
    storm_value *l = storm_v_get(c, "l");
    for (int i = 0; i < 10; i++)
        CHECK(storm_v_push(b, l, storm_v_int(b, i)) == 0);
    CHECK(storm_v_set_str(b, c, "n", "new") == 0 && storm_v_set_str(b, storm_v_get(c, "o"), "k", "v") == 0);
    storm_arena_free(a); /* the copy needs nothing of the original */
    storm_buf_reset(&w);
    CHECK(storm_json_write(&w, c, STORM_JSONW_COMPACT) == STORM_OK);
    CHECK_STR(w.data, "{\"a\":\"last\",\"l\":[\"x\",{\"k\":null},[],2.5,true,0,1,2,3,4,5,6,7,8,9],\"o\":{\"k\":\"v\"},"
                      "\"s\":\"\xc3\xa9\",\"n\":\"new\"}");
    storm_buf_free(&w);
    storm_arena_free(b);
}

/* Numbers past int64 or past a double are JSON: they parse (1e400 was
 * "not JSON: number out of range"), and write back to the same value. */
static void test_big_numbers(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_err err;
    storm_value *v = parse(a, "[1e400, -1e400, 10000000000000000000000000000000000000000]", &err);
    CHECK(v && v->type == STORM_V_ARRAY && v->u.a.len == 3);
    if (v && v->u.a.len == 3) {
        CHECK(v->u.a.items[0]->type == STORM_V_FLOAT && isinf(v->u.a.items[0]->u.f) && v->u.a.items[0]->u.f > 0);
        CHECK(v->u.a.items[1]->type == STORM_V_FLOAT && isinf(v->u.a.items[1]->u.f) && v->u.a.items[1]->u.f < 0);
        CHECK(v->u.a.items[2]->type == STORM_V_FLOAT && v->u.a.items[2]->u.f == 1e40);
        CHECK(v->u.a.items[0]->pos == 1);
    }
    CHECK_STR(roundtrip(a, "[1e400,-1e400]", 0), "[1e999,-1e999]");
    storm_value *w = parse(a, "[1e999,-1e999]", &err);
    storm_value *x = parse(a, "[1e400,-1e400]", &err);
    CHECK(w && x && storm_v_equal(w, x));
    storm_arena_free(a);
}

static void test_errors(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    storm_err err;
    CHECK(parse(a, "{\"a\": }", &err) == NULL);
    CHECK(err.rc == STORM_ERR_SYNTAX && err.offset == 6 && err.line == 1 && err.col == 7);
    CHECK(parse(a, "[1,\n 2,\n x]", &err) == NULL);
    CHECK(err.line == 3 && err.col == 2);
    CHECK(parse(a, "\"\xff\"", &err) == NULL);
    CHECK(strstr(err.msg, "UTF-8") != NULL);
    CHECK(parse(a, "\"\\ud800\"", &err) == NULL);
    CHECK(parse(a, "{\"a\":1} x", &err) == NULL);
    CHECK(parse(a, "01", &err) == NULL);
    CHECK(parse(a, "", &err) == NULL);
    CHECK(parse(a, "\"abc", &err) == NULL);
    char deep[2000];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    CHECK(parse(a, deep, &err) == NULL && err.rc == STORM_ERR_LIMIT);
    storm_arena_free(a);
}

/* The string scanner reads eight bytes at a time: a quote, a backslash, a
 * control character or a non-ASCII byte at any position of a word, and a
 * string ending anywhere (also at the very end of the input), must be seen. */
static void test_string_scan_positions(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    static const struct {
        const char *json; /* inserted in the string */
        const char *text; /* what it decodes to; NULL: a syntax error */
    } special[] = {
        {"\\\"", "\""}, {"\\\\", "\\"}, {"\\n", "\n"},  {"\xc3\xa9", "\xc3\xa9"},
        {"\x01", NULL}, {"\x1f", NULL}, {"\xff", NULL}, {"", ""},
    };
    int ok = 0, total = 0;
    for (size_t k = 0; k < sizeof special / sizeof special[0]; k++)
        for (size_t before = 0; before < 20; before++)
            for (size_t after = 0; after < 12; after++) {
                char json[64], want[64];
                size_t n = 0, w = 0;
                json[n++] = '"';
                for (size_t i = 0; i < before; i++)
                    json[n++] = want[w++] = (char)('a' + i % 26);
                memcpy(json + n, special[k].json, strlen(special[k].json));
                n += strlen(special[k].json);
                if (special[k].text) {
                    memcpy(want + w, special[k].text, strlen(special[k].text));
                    w += strlen(special[k].text);
                }
                for (size_t i = 0; i < after; i++)
                    json[n++] = want[w++] = (char)('A' + i % 26);
                json[n++] = '"';
                want[w] = '\0';
                storm_value *v = NULL;
                storm_err err;
                storm_err_clear(&err);
                /* exact length: no terminator after the closing quote */
                char *exact = malloc(n);
                memcpy(exact, json, n);
                storm_rc rc = storm_json_parse(a, exact, n, 0, &v, NULL, &err);
                if (special[k].text)
                    ok += rc == STORM_OK && v->type == STORM_V_STRING && v->u.s.len == w &&
                          memcmp(v->u.s.ptr, want, w) == 0 && v->u.s.ptr[w] == '\0';
                else
                    ok += rc == STORM_ERR_SYNTAX;
                /* unterminated: the scan must stop at the end of the input */
                v = NULL;
                ok += storm_json_parse(a, exact, n - 1, 0, &v, NULL, &err) == STORM_ERR_SYNTAX;
                total += 2;
                free(exact);
            }
    CHECK(total > 0 && ok == total);
    storm_arena_free(a);
}

static void test_parse_next(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    const char *text = " {\"a\":1}\n[2]  3\n\n{\"b\": x}\n";
    size_t off = 0, start = 0;
    storm_value *v = NULL;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_json_parse_next(a, text, strlen(text), &off, &v, &start, &err) == STORM_OK);
    CHECK(v && v->type == STORM_V_OBJECT && start == 1);
    CHECK(storm_json_parse_next(a, text, strlen(text), &off, &v, &start, &err) == STORM_OK);
    CHECK(v && v->type == STORM_V_ARRAY && start == 9);
    CHECK(storm_json_parse_next(a, text, strlen(text), &off, &v, &start, &err) == STORM_OK);
    CHECK(v && v->type == STORM_V_INT && v->u.i == 3);
    /* an error is positioned in the whole text */
    CHECK(storm_json_parse_next(a, text, strlen(text), &off, &v, &start, &err) == STORM_ERR_SYNTAX);
    CHECK(err.line == 4 && err.col == 7);
    off = strlen(text);
    CHECK(storm_json_parse_next(a, text, strlen(text), &off, &v, &start, &err) == STORM_ERR_NOTFOUND);
    storm_arena_free(a);
}

/* JSON Lines bodies: blank lines skipped but counted, spaces, tabs and CRs
 * around a line cut, the last line without a newline kept. */
static void test_lines_next(void)
{
    const char *t = "{\"a\":1}\r\n\n  \t\r\n \t[2] \r\n\"x y\"";
    size_t off = 0, n = 0;
    uint64_t line = 0;
    const char *l = NULL;
    CHECK(storm_json_lines_next(t, strlen(t), &off, &line, &l, &n));
    CHECK(line == 1 && n == 7 && memcmp(l, "{\"a\":1}", 7) == 0);
    CHECK(storm_json_lines_next(t, strlen(t), &off, &line, &l, &n));
    CHECK(line == 4 && n == 3 && memcmp(l, "[2]", 3) == 0);
    CHECK(storm_json_lines_next(t, strlen(t), &off, &line, &l, &n));
    CHECK(line == 5 && n == 5 && memcmp(l, "\"x y\"", 5) == 0);
    CHECK(!storm_json_lines_next(t, strlen(t), &off, &line, &l, &n));
    off = 0;
    line = 0;
    CHECK(!storm_json_lines_next(" \r\n\t\n", 5, &off, &line, &l, &n));
    CHECK(line == 2);
}

static void test_arena_cap(void)
{
    storm_arena *a = storm_arena_new(1024, 4096);
    storm_err err;
    CHECK(parse(a, "[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",1,2,3]", &err));
    char big[8192];
    memset(big, 'a', sizeof big);
    big[0] = '"';
    big[sizeof big - 2] = '"';
    big[sizeof big - 1] = '\0';
    CHECK(parse(a, big, &err) == NULL && err.rc == STORM_ERR_NOMEM);
    storm_arena_free(a);
}

/* A whole document is parsed in place (its own copy, the cursor in a
 * register); a value followed by more text is not (STORM_JSON_ALLOW_TRAILING).
 * On a text that is one value, both paths must give the same tree and
 * positions, or the same error, position and message. Returns whether they
 * did; *rc what the in-place parse returned, *off its error offset. */
static bool both_paths_agree(const char *text, size_t len, storm_rc *rc, size_t *off)
{
    storm_arena *a = storm_arena_new(0, 0), *b = storm_arena_new(0, 0);
    storm_value *x = NULL, *y = NULL;
    storm_err ex, ey;
    storm_err_clear(&ex);
    storm_err_clear(&ey);
    char *own = malloc(len ? len : 1); /* exact size: ASan sees a read past the text */
    memcpy(own, text, len);
    storm_rc rx = storm_json_parse(a, own, len, STORM_JSON_DEFAULT, &x, NULL, &ex);
    storm_rc ry = storm_json_parse(b, own, len, STORM_JSON_ALLOW_TRAILING, &y, NULL, &ey);
    bool same = rx == ry && ex.offset == ey.offset && strcmp(ex.msg, ey.msg) == 0;
    if (same && rx == STORM_OK)
        same = test_value_same(x, y);
    if (!same)
        fprintf(stderr, "  paths differ on %.60s: %d/%d at %zu/%zu (%s / %s)\n", text, rx, ry, ex.offset, ey.offset,
                ex.msg, ey.msg);
    *rc = rx;
    *off = ex.offset;
    free(own);
    storm_arena_free(a);
    storm_arena_free(b);
    return same;
}

static bool agree(const char *text)
{
    storm_rc rc;
    size_t off;
    return both_paths_agree(text, strlen(text), &rc, &off);
}

/* The error of an in-place parse: its code, offset and that both paths agree. */
static bool fails_at(const char *text, storm_rc want, size_t want_off)
{
    storm_rc rc;
    size_t off;
    return both_paths_agree(text, strlen(text), &rc, &off) && rc == want && off == want_off;
}

/* Objects and arrays parsed in place: every punctuation error, compact and
 * with whitespace around each token, at the position the generic parser
 * gives; member and item arrays past the scratch stack and past the small
 * container pool; the nesting limit reached through containers and scalars. */
static void test_in_place_containers(void)
{
    CHECK(fails_at("{\"a\" 1}", STORM_ERR_SYNTAX, 5));
    CHECK(fails_at("{\"a\":1 \"b\":2}", STORM_ERR_SYNTAX, 7));
    CHECK(fails_at("{\"a\":1,}", STORM_ERR_SYNTAX, 7));
    CHECK(fails_at("{,}", STORM_ERR_SYNTAX, 1));
    CHECK(fails_at("{\"a\":1", STORM_ERR_SYNTAX, 6));
    CHECK(fails_at("{\"a\":1 ", STORM_ERR_SYNTAX, 7));
    CHECK(fails_at("{\"a\"", STORM_ERR_SYNTAX, 4));
    CHECK(fails_at("{\"a\":", STORM_ERR_SYNTAX, 5));
    CHECK(fails_at("{ \"a\" : 1 , ", STORM_ERR_SYNTAX, 12));
    CHECK(fails_at("[1 2]", STORM_ERR_SYNTAX, 3));
    CHECK(fails_at("[1,]", STORM_ERR_SYNTAX, 3));
    CHECK(fails_at("[1", STORM_ERR_SYNTAX, 2));
    CHECK(fails_at("[ 1 ,\n", STORM_ERR_SYNTAX, 6));
    CHECK(fails_at("{\"a\":[1,{\"b\":tru}]}", STORM_ERR_SYNTAX, 13));
    CHECK(fails_at("{\"a\":\"x\xff\"}", STORM_ERR_SYNTAX, 7));
    CHECK(fails_at("{\"k\x01\":1}", STORM_ERR_SYNTAX, 3));
    CHECK(fails_at("{\"a\":\"\\q\"}", STORM_ERR_SYNTAX, 6));
    CHECK(fails_at("{\"a\":-}", STORM_ERR_SYNTAX, 5));
    CHECK(fails_at("{\"a\":01}", STORM_ERR_SYNTAX, 6));
    CHECK(fails_at("[-01]", STORM_ERR_SYNTAX, 3));
    CHECK(fails_at("[0x1]", STORM_ERR_SYNTAX, 2));
    CHECK(agree("[0,-0,0.5,-0.0e-0,0E+1,{\"z\":0},{\"z\":-0 },10,-7]"));
    CHECK(
        agree(" { \"a\" : [ 1 , -2.5e3 , { \"b\" : \"c\\u00e9\\n\" } , [ ] , { } ] , \"c\" : true , \"d\" : null } "));
    CHECK(agree("{\"a\":[1,-2.5e3,{\"b\":\"c\\u00e9\\n\"},[],{}],\"c\":true,\"d\":null,\"a\":\"last\"}"));
    CHECK(agree("{\n\t\"a\"\r\n:\t[\n1\n,\n2\n]\n}"));

    /* 300 members and 300 items: past the scratch stacks (256) */
    char buf[16384];
    size_t n = 0;
    buf[n++] = '[';
    buf[n++] = '{';
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\"k%d\":[%d,%d]", i ? "," : "", i, i, -i);
    n += (size_t)snprintf(buf + n, sizeof buf - n, "},[");
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s{\"i\":%d}", i ? "," : "", i);
    n += (size_t)snprintf(buf + n, sizeof buf - n, "]]");
    CHECK(agree(buf));
    storm_arena *a = storm_arena_new(0, 0);
    storm_err err;
    storm_value *v = parse(a, buf, &err);
    CHECK(v && v->u.a.len == 2 && v->u.a.items[0]->u.o.len == 300 && v->u.a.items[1]->u.a.len == 300);
    if (v && v->u.a.len == 2) {
        storm_value *k299 = storm_v_get(v->u.a.items[0], "k299");
        CHECK(k299 && k299->u.a.len == 2 && k299->u.a.items[1]->u.i == -299);
        storm_value *last = v->u.a.items[1]->u.a.len == 300 ? v->u.a.items[1]->u.a.items[299] : NULL;
        CHECK(last && storm_v_get(last, "i") && storm_v_get(last, "i")->u.i == 299);
    }
    /* many small objects (the container pool across chunks), objects of 8,
     * 9 and 20 members (copied member by member, by memcpy, allocated alone) */
    n = 0;
    buf[n++] = '[';
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s{\"a\":%d,\"b\":\"%d\"}", i ? "," : "", i, i);
    for (int m = 8; m <= 20; m += m == 9 ? 11 : 1) {
        buf[n++] = ',';
        buf[n++] = '{';
        for (int i = 0; i < m; i++)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\"m%d\":%d", i ? "," : "", i, i * m);
        buf[n++] = '}';
    }
    buf[n++] = ']';
    buf[n] = '\0';
    CHECK(agree(buf));
    v = parse(a, buf, &err);
    CHECK(v && v->u.a.len == 203);
    if (v && v->u.a.len == 203) {
        storm_value *o = v->u.a.items[202];
        CHECK(o->u.o.len == 20 && storm_v_get(o, "m19") && storm_v_get(o, "m19")->u.i == 19 * 20);
        o = v->u.a.items[201];
        CHECK(o->u.o.len == 9 && storm_v_get(o, "m8") && storm_v_get(o, "m8")->u.i == 72);
        CHECK(storm_v_get(v->u.a.items[199], "b") && strcmp(storm_v_get(v->u.a.items[199], "b")->u.s.ptr, "199") == 0);
    }
    storm_arena_free(a);

    /* the nesting limit: 512 levels parse, 513 do not, whatever is nested */
    static const char *const opens[] = {"[", "{\"a\":", " [ ", "{\"a\" : "};
    static const char *const closes[] = {"]", "}", " ] ", " } "};
    static const char *const inner[] = {"1", "\"s\"", "{}", "[]", "true", "{\"x\":1}"};
    char *deep = malloc(520 * 12 + 16); /* the longest open and close: 7 + 3 bytes a level */
    for (size_t o = 0; o < 4; o++)
        for (size_t k = 0; k < sizeof inner / sizeof inner[0]; k++)
            for (int levels = 510; levels <= 512; levels++) {
                size_t d = 0;
                for (int i = 0; i < levels; i++)
                    d += (size_t)sprintf(deep + d, "%s", opens[o]);
                d += (size_t)sprintf(deep + d, "%s", inner[k]);
                for (int i = 0; i < levels; i++)
                    d += (size_t)sprintf(deep + d, "%s", closes[o]);
                storm_rc rc;
                size_t off;
                CHECK(both_paths_agree(deep, d, &rc, &off));
                /* the inner value is one level more; a container inside it one more still */
                int depth = levels + 1 + (inner[k][0] == '{' && inner[k][1] == '"');
                CHECK(depth <= STORM_JSON_MAX_DEPTH ? rc == STORM_OK : rc == STORM_ERR_LIMIT);
            }
    free(deep);
}

/* Same tree as cJSON? (cJSON keeps all numbers as doubles) */
static int same_as_cjson(const storm_value *v, const cJSON *c)
{
    switch (v->type) {
    case STORM_V_NULL: return cJSON_IsNull(c);
    case STORM_V_BOOL: return v->u.b ? cJSON_IsTrue(c) : cJSON_IsFalse(c);
    case STORM_V_INT: return cJSON_IsNumber(c) && (double)v->u.i == c->valuedouble;
    case STORM_V_FLOAT:
        return cJSON_IsNumber(c) && (v->u.f == c->valuedouble || fabs(v->u.f - c->valuedouble) < 1e-9 * fabs(v->u.f));
    case STORM_V_STRING: return cJSON_IsString(c) && strcmp(v->u.s.ptr, c->valuestring) == 0;
    case STORM_V_ARRAY: {
        if (!cJSON_IsArray(c) || (size_t)cJSON_GetArraySize(c) != v->u.a.len)
            return 0;
        size_t i = 0;
        for (const cJSON *e = c->child; e; e = e->next, i++)
            if (!same_as_cjson(v->u.a.items[i], e))
                return 0;
        return 1;
    }
    case STORM_V_OBJECT: {
        if (!cJSON_IsObject(c) || (size_t)cJSON_GetArraySize(c) != v->u.o.len)
            return 0;
        size_t i = 0;
        for (const cJSON *e = c->child; e; e = e->next, i++)
            if (strcmp(e->string, v->u.o.members[i].key) != 0 || !same_as_cjson(v->u.o.members[i].value, e))
                return 0;
        return 1;
    }
    }
    return 0;
}

static void diff_file(const char *path, int *lines)
{
    char *data;
    size_t len;
    if (storm_read_file(path, 64u << 20, &data, &len, NULL) != STORM_OK)
        return;
    storm_arena *a = storm_arena_new(0, 0);
    char *line = data;
    while (line < data + len) {
        char *nl = memchr(line, '\n', (size_t)(data + len - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(data + len - line);
        if (n > 0) {
            storm_value *v = NULL;
            int ours = storm_json_parse(a, line, n, 0, &v, NULL, NULL) == STORM_OK;
            cJSON *c = cJSON_ParseWithLength(line, n);
            /* cJSON accepts some invalid UTF-8; where both accept, trees must agree */
            if (ours && c) {
                if (!same_as_cjson(v, c))
                    fprintf(stderr, "differs from cJSON: %s:%zu\n", path, (size_t)(line - data));
                CHECK(same_as_cjson(v, c));
            } else {
                CHECK(!ours == !c || (c && !ours));
            }
            cJSON_Delete(c);
            (*lines)++;
        }
        storm_arena_reset(a);
        line += n + 1;
    }
    storm_arena_free(a);
    free(data);
}

static void walk(const char *dir, int *lines)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n = strlen(e->d_name);
        if (n > 6 && strcmp(e->d_name + n - 6, ".jsonl") == 0)
            diff_file(path, lines);
        else if (!strchr(e->d_name, '.'))
            walk(path, lines);
    }
    if (d)
        closedir(d);
}

static void test_differential_corpus(void)
{
    const char *root = getenv("STORM_SOURCE_ROOT");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/data/corpus", root ? root : ".");
    int lines = 0;
    walk(dir, &lines);
    CHECK(lines > 100); /* the corpus copy is there and was read */
}

int main(void)
{
    RUN(test_basic);
    RUN(test_copy);
    RUN(test_errors);
    RUN(test_big_numbers);
    RUN(test_string_scan_positions);
    RUN(test_parse_next);
    RUN(test_lines_next);
    RUN(test_arena_cap);
    RUN(test_in_place_containers);
    RUN(test_differential_corpus);
    return test_report("test_json");
}
