/* SPDX-License-Identifier: Apache-2.0 */
/* Rendering an attack model as a tree: intrusion-set -> steps in related-to
 * order (a step with several successors opens indented branches) -> the
 * indicators of each step. Cycles are cut where a step repeats. Steps are
 * numbered along their chain; each branch adds a letter (4a, 4b, then 5a
 * after 4a), so that sibling steps never share a number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models_int.h"

typedef struct tree_ctx {
    const storm_models *m;
    storm_buf *out;
    bool *printed;       /* per step */
    size_t *ind_of_step; /* CSR: indicators per step */
    size_t *ind_start;   /* n_steps + 1 */
    bool *has_incoming;  /* per step: target of a related-to edge */
} tree_ctx;

static void indent(storm_buf *out, int n)
{
    for (int i = 0; i < n; i++)
        storm_buf_putc(out, ' ');
}

/* branch: the letters of the branches taken to reach this step ("" on the
 * main chain). */
static void print_step(tree_ctx *t, size_t s, int depth, int number, const char *branch)
{
    const storm_model_step *st = &t->m->steps[s];
    indent(t->out, 2 + 3 * depth);
    storm_buf_printf(t->out, "%d%s. %s  [%s]", number, branch, st->name, st->id);
    if (st->tactic || st->technique)
        storm_buf_printf(t->out, " (%s%s%s)", st->tactic ? st->tactic : "", st->tactic && st->technique ? ", " : "",
                         st->technique ? st->technique : "");
    storm_buf_putc(t->out, '\n');
    if (t->printed[s]) {
        indent(t->out, 5 + 3 * depth);
        storm_buf_puts(t->out, "(shown above)\n");
        return;
    }
    t->printed[s] = true;
    for (size_t k = t->ind_start[s]; k < t->ind_start[s + 1]; k++) {
        const storm_model_indicator *ind = &t->m->indicators[t->ind_of_step[k]];
        indent(t->out, 5 + 3 * depth);
        storm_buf_printf(t->out, "indicator: %s  %s\n", ind->name, ind->pattern_text);
    }
    if (t->ind_start[s] == t->ind_start[s + 1]) {
        indent(t->out, 5 + 3 * depth);
        storm_buf_puts(t->out, "(no indicator: this step cannot be detected)\n");
    }
    size_t n_next = 0;
    for (size_t i = 0; i < t->m->n_step_next; i++)
        n_next += t->m->step_next[i].a == s;
    size_t k = 0;
    for (size_t i = 0; i < t->m->n_step_next; i++) {
        if (t->m->step_next[i].a != s)
            continue;
        /* a linear chain stays at this depth; branches are indented and lettered */
        char sub[64];
        int w;
        if (n_next < 2)
            w = snprintf(sub, sizeof sub, "%s", branch);
        else if (k < 26)
            w = snprintf(sub, sizeof sub, "%s%c", branch, (char)('a' + k));
        else
            w = snprintf(sub, sizeof sub, "%s.%zu", branch, k + 1);
        if (w < 0 || (size_t)w >= sizeof sub) /* branches 60 deep: the label says it was cut */
            memcpy(sub + sizeof sub - 4, "...", 4);
        k++;
        print_step(t, t->m->step_next[i].b, n_next > 1 ? depth + 1 : depth, number + 1, sub);
    }
}

/* The letter of the r-th chain of an intrusion-set ("" when it has one). */
static void root_branch(char *br, size_t cap, size_t n_roots, size_t r)
{
    if (n_roots < 2)
        br[0] = '\0';
    else if (r < 26)
        snprintf(br, cap, "%c", (char)('a' + r));
    else
        snprintf(br, cap, ".%zu", r + 1);
}

storm_rc storm_models_render_tree(const storm_models *m, storm_buf *out)
{
    size_t ns = m->n_steps;
    tree_ctx t = {
        m, out, calloc(ns + 1, sizeof(bool)), NULL, calloc(ns + 2, sizeof(size_t)), calloc(ns + 1, sizeof(bool))};
    size_t total = 0;
    for (size_t i = 0; i < m->n_indicators; i++)
        total += m->indicators[i].n_steps;
    t.ind_of_step = calloc(total + 1, sizeof(size_t));
    if (!t.printed || !t.ind_start || !t.has_incoming || !t.ind_of_step) {
        free(t.printed);
        free(t.ind_start);
        free(t.has_incoming);
        free(t.ind_of_step);
        return STORM_ERR_NOMEM;
    }
    for (size_t i = 0; i < m->n_indicators; i++)
        for (size_t k = 0; k < m->indicators[i].n_steps; k++)
            t.ind_start[m->indicators[i].steps[k] + 1]++;
    for (size_t s = 0; s < ns; s++)
        t.ind_start[s + 1] += t.ind_start[s];
    size_t *fill = calloc(ns + 1, sizeof(size_t));
    if (fill) {
        for (size_t i = 0; i < m->n_indicators; i++)
            for (size_t k = 0; k < m->indicators[i].n_steps; k++) {
                size_t s = m->indicators[i].steps[k];
                t.ind_of_step[t.ind_start[s] + fill[s]++] = i;
            }
        free(fill);
    }
    for (size_t i = 0; i < m->n_step_next; i++)
        t.has_incoming[m->step_next[i].b] = true;

    for (size_t si = 0; si < m->n_sets; si++) {
        storm_buf_printf(out, "intrusion-set: %s  [%s]\n", m->sets[si].name, m->sets[si].id);
        /* every chain starts at 1; when a set has several, each is a branch
         * of the set and gets a letter, so that their steps never share a number */
        size_t n_roots = 0, root = 0;
        for (size_t i = 0; i < m->n_set_steps; i++)
            if (m->set_steps[i].a == si && !t.has_incoming[m->set_steps[i].b])
                n_roots++;
        bool any = false;
        for (size_t i = 0; i < m->n_set_steps; i++) {
            if (m->set_steps[i].a != si)
                continue;
            any = true;
            size_t s = m->set_steps[i].b;
            if (!t.has_incoming[s]) {
                char br[16];
                root_branch(br, sizeof br, n_roots, root++);
                print_step(&t, s, 0, 1, br);
            }
        }
        /* steps it uses that sit inside a chain started elsewhere */
        for (size_t i = 0; i < m->n_set_steps; i++)
            if (m->set_steps[i].a == si && !t.printed[m->set_steps[i].b]) {
                char br[16];
                root_branch(br, sizeof br, n_roots + 2, root++);
                print_step(&t, m->set_steps[i].b, 0, 1, br);
            }
        if (!any)
            storm_buf_puts(out, "  (uses no attack-pattern)\n");
    }
    bool header = false;
    for (size_t s = 0; s < ns; s++) {
        if (t.printed[s] || t.has_incoming[s])
            continue;
        if (!header) {
            storm_buf_puts(out, m->n_sets ? "steps of no intrusion-set:\n" : "attack steps:\n");
            header = true;
        }
        print_step(&t, s, 0, 1, "");
    }
    for (size_t s = 0; s < ns; s++) /* steps only reachable through a cycle */
        if (!t.printed[s]) {
            if (!header) {
                storm_buf_puts(out, "attack steps:\n");
                header = true;
            }
            print_step(&t, s, 0, 1, "");
        }
    header = false;
    for (size_t i = 0; i < m->n_indicators; i++) {
        if (m->indicators[i].n_steps)
            continue;
        if (!header) {
            storm_buf_puts(out, "indicators of no attack step:\n");
            header = true;
        }
        storm_buf_printf(out, "  indicator: %s  %s\n", m->indicators[i].name, m->indicators[i].pattern_text);
    }
    free(t.printed);
    free(t.ind_start);
    free(t.has_incoming);
    free(t.ind_of_step);
    return STORM_OK;
}
