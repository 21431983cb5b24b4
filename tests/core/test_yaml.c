/* SPDX-License-Identifier: Apache-2.0 */
/* storm_yaml_documents (storm/yaml.h): the one YAML reader of the
 * Kubescape import and the TracingPolicy loader. */
#include <storm/arena.h>
#include <storm/yaml.h>
#include <string.h>

#include "test.h"

static storm_arena *arena;

static storm_rc read_docs(const char *text, size_t max_nodes, storm_value **docs, storm_err *err)
{
    *docs = storm_v_array(arena);
    storm_err_clear(err);
    return storm_yaml_documents(arena, text, strlen(text), max_nodes, *docs, err);
}

static void documents(void)
{
    storm_value *docs;
    storm_err err;
    const char *text = "a: 1\nb: [x, y]\n---\n- one\n- two\n---\nplain\n";
    CHECK(read_docs(text, 1000, &docs, &err) == STORM_OK);
    CHECK(docs->u.a.len == 3);
    const storm_value *d0 = docs->u.a.items[0];
    CHECK(d0->type == STORM_V_OBJECT);
    CHECK_STR(storm_v_get_str(d0, "a"), "1"); /* scalars stay strings */
    const storm_value *b = storm_v_get(d0, "b");
    CHECK(b && b->type == STORM_V_ARRAY && b->u.a.len == 2);
    CHECK(b && b->pos == (uint32_t)(strchr(text, '[') - text)); /* positions are byte offsets */
    CHECK(docs->u.a.items[1]->type == STORM_V_ARRAY);
    CHECK(docs->u.a.items[2]->type == STORM_V_STRING);
}

static void aliases_and_keys(void)
{
    storm_value *docs;
    storm_err err;
    /* an alias reads as null; a mapping used as a key is dropped */
    CHECK(read_docs("a: &x v\nb: *x\n? [k]\n: dropped\nc: kept\n", 1000, &docs, &err) == STORM_OK);
    const storm_value *d = docs->u.a.len == 1 ? docs->u.a.items[0] : NULL;
    CHECK(d && storm_v_get(d, "b") && storm_v_get(d, "b")->type == STORM_V_NULL);
    CHECK(d && storm_v_get(d, "c") && storm_v_get(d, "c")->type == STORM_V_STRING);
    CHECK(d && d->type == STORM_V_OBJECT && d->u.o.len == 3);
}

static void errors(void)
{
    storm_value *docs;
    storm_err err;
    CHECK(read_docs("a: 1\nb: [unclosed\n", 1000, &docs, &err) == STORM_ERR_SYNTAX);
    CHECK(strncmp(err.msg, "YAML: ", 6) == 0 && err.line >= 2);
    /* the node cap: 1 mapping + 2 keys + 2 values = 5 nodes */
    CHECK(read_docs("a: 1\nb: 2\n", 5, &docs, &err) == STORM_OK);
    CHECK(read_docs("a: 1\nb: 2\n", 4, &docs, &err) == STORM_ERR_SYNTAX && strstr(err.msg, "too many nodes"));
    char deep[2 * (STORM_YAML_MAX_DEPTH + 2) + 1];
    size_t n = 0;
    for (int i = 0; i < STORM_YAML_MAX_DEPTH + 2; i++)
        deep[n++] = '[';
    for (int i = 0; i < STORM_YAML_MAX_DEPTH + 2; i++)
        deep[n++] = ']';
    deep[n] = '\0';
    CHECK(read_docs(deep, 100000, &docs, &err) == STORM_ERR_SYNTAX && strstr(err.msg, "nested too deeply"));
    deep[STORM_YAML_MAX_DEPTH + 1] = '\0'; /* depth 0..64: allowed */
    memset(deep + STORM_YAML_MAX_DEPTH + 1, ']', STORM_YAML_MAX_DEPTH + 1);
    deep[2 * (STORM_YAML_MAX_DEPTH + 1)] = '\0';
    CHECK(read_docs(deep, 100000, &docs, &err) == STORM_OK);
    CHECK(read_docs("", 10, &docs, &err) == STORM_OK && docs->u.a.len == 0);
}

int main(void)
{
    arena = storm_arena_new(1u << 16, 64u << 20);
    RUN(documents);
    RUN(aliases_and_keys);
    RUN(errors);
    storm_arena_free(arena);
    return test_report("test_yaml");
}
