/* SPDX-License-Identifier: Apache-2.0 */
/* YAML (libyaml events) -> storm_value trees, one per document
 * (storm/yaml.h). */
#include <storm/yaml.h>
#include <yaml.h>

typedef struct yaml_builder {
    yaml_parser_t parser;
    storm_arena *arena;
    size_t nodes, max_nodes;
    storm_err *err;
} yaml_builder;

static storm_rc yaml_fail(yaml_builder *y, size_t line, size_t col, size_t off, const char *msg)
{
    storm_rc rc = storm_err_set(y->err, STORM_ERR_SYNTAX, off, "YAML: %s", msg);
    if (y->err) {
        y->err->line = (uint32_t)line + 1;
        y->err->col = (uint32_t)col + 1;
    }
    return rc;
}

static storm_rc next_event(yaml_builder *y, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&y->parser, ev))
        return yaml_fail(y, y->parser.problem_mark.line, y->parser.problem_mark.column, y->parser.problem_offset,
                         y->parser.problem ? y->parser.problem : "malformed document");
    return STORM_OK;
}

/* The node that starts with ev (consumed) into *out. */
static storm_rc build_node(yaml_builder *y, yaml_event_t *ev, int depth, storm_value **out)
{
    storm_rc rc = STORM_OK;
    if (++y->nodes > y->max_nodes || depth > STORM_YAML_MAX_DEPTH) {
        rc = yaml_fail(y, ev->start_mark.line, ev->start_mark.column, ev->start_mark.index,
                       depth > STORM_YAML_MAX_DEPTH ? "nested too deeply" : "too many nodes");
        yaml_event_delete(ev);
        return rc;
    }
    uint32_t pos = (uint32_t)ev->start_mark.index;
    if (ev->type == YAML_SCALAR_EVENT) {
        *out = storm_v_strn(y->arena, (const char *)ev->data.scalar.value, ev->data.scalar.length);
        yaml_event_delete(ev);
    } else if (ev->type == YAML_ALIAS_EVENT) {
        *out = storm_v_null(y->arena);
        yaml_event_delete(ev);
    } else if (ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT) {
        bool map = ev->type == YAML_MAPPING_START_EVENT;
        yaml_event_delete(ev);
        storm_value *c = map ? storm_v_object(y->arena) : storm_v_array(y->arena);
        if (!c)
            return storm_err_set(y->err, STORM_ERR_NOMEM, 0, "out of memory");
        for (;;) {
            yaml_event_t e;
            if ((rc = next_event(y, &e)) != STORM_OK)
                return rc;
            if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&e);
                break;
            }
            storm_value *k = NULL, *v = NULL;
            if ((rc = build_node(y, &e, depth + 1, map ? &k : &v)) != STORM_OK)
                return rc;
            if (map) {
                yaml_event_t ve;
                if ((rc = next_event(y, &ve)) != STORM_OK || (rc = build_node(y, &ve, depth + 1, &v)) != STORM_OK)
                    return rc;
                if (k->type == STORM_V_STRING && storm_v_setn(y->arena, c, k->u.s.ptr, k->u.s.len, v) != 0)
                    return storm_err_set(y->err, STORM_ERR_NOMEM, 0, "out of memory");
            } else if (storm_v_push(y->arena, c, v) != 0) {
                return storm_err_set(y->err, STORM_ERR_NOMEM, 0, "out of memory");
            }
        }
        *out = c;
    } else {
        rc = yaml_fail(y, ev->start_mark.line, ev->start_mark.column, ev->start_mark.index, "unexpected event");
        yaml_event_delete(ev);
        return rc;
    }
    if (!*out)
        return storm_err_set(y->err, STORM_ERR_NOMEM, 0, "out of memory");
    (*out)->pos = pos;
    return STORM_OK;
}

storm_rc storm_yaml_documents(storm_arena *a, const char *text, size_t len, size_t max_nodes, storm_value *docs,
                              storm_err *err)
{
    yaml_builder y = {.arena = a, .max_nodes = max_nodes, .err = err};
    if (!yaml_parser_initialize(&y.parser))
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    yaml_parser_set_input_string(&y.parser, (const unsigned char *)text, len);
    storm_rc rc = STORM_OK;
    for (;;) {
        yaml_event_t ev;
        if ((rc = next_event(&y, &ev)) != STORM_OK)
            break;
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT || t == YAML_SCALAR_EVENT ||
            t == YAML_ALIAS_EVENT) {
            storm_value *root = NULL;
            if ((rc = build_node(&y, &ev, 0, &root)) != STORM_OK)
                break;
            if (storm_v_push(a, docs, root) != 0) {
                rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
                break;
            }
            continue;
        }
        yaml_event_delete(&ev); /* stream and document starts and ends */
    }
    yaml_parser_delete(&y.parser);
    return rc;
}
