/* SPDX-License-Identifier: Apache-2.0 */
/* The metrics registry and its Prometheus text rendering (see
 * storm/metrics.h). Families and series are small fixed arrays searched
 * linearly: a registry holds a few dozen series. */
#include <storm/metrics.h>

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAMILIES 64
#define NAME_MAX_LEN 96
#define LABEL_MAX_LEN 128

typedef struct series {
    char label_value[LABEL_MAX_LEN];
    double value;
    uint64_t buckets[STORM_METRICS_MAX_BUCKETS];
    uint64_t count;
} series;

typedef struct family {
    char name[NAME_MAX_LEN];
    char label[NAME_MAX_LEN]; /* "" when the family has one series */
    char *help;
    storm_metric_type type;
    double bounds[STORM_METRICS_MAX_BUCKETS];
    size_t n_bounds;
    series s[STORM_METRICS_MAX_SERIES];
    size_t n;
} family;

struct storm_metrics {
    pthread_mutex_t lock;
    family *f[MAX_FAMILIES];
    size_t n;
};

storm_metrics *storm_metrics_new(void)
{
    storm_metrics *m = calloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->lock, NULL);
    return m;
}

void storm_metrics_free(storm_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->f[i]->help);
        free(m->f[i]);
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static bool valid_name(const char *s, bool label)
{
    if (!s || !*s || strlen(s) >= NAME_MAX_LEN)
        return false;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c == ':' && !label);
        if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

static family *find_family(storm_metrics *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->f[i]->name, name) == 0)
            return m->f[i];
    return NULL;
}

storm_rc storm_metrics_declare(storm_metrics *m, const char *name, storm_metric_type type, const char *help,
                               const char *label, const double *bounds, size_t n_bounds, storm_err *err)
{
    bool labels_ok = true;
    if (label) { /* "a,b": each a label name */
        char one[NAME_MAX_LEN];
        for (const char *l = label; labels_ok && *l;) {
            size_t n = strcspn(l, ",");
            labels_ok = n > 0 && n < sizeof one;
            if (labels_ok) {
                memcpy(one, l, n);
                one[n] = '\0';
                labels_ok = valid_name(one, true);
            }
            l += n;
            if (*l == ',')
                l++;
        }
    }
    if (!valid_name(name, false) || !labels_ok)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "metric %s: bad metric or label name", name ? name : "?");
    if (n_bounds > STORM_METRICS_MAX_BUCKETS)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "metric %s: at most %d buckets", name, STORM_METRICS_MAX_BUCKETS);
    for (size_t i = 1; i < n_bounds; i++)
        if (!(bounds[i] > bounds[i - 1]))
            return storm_err_set(err, STORM_ERR_VALUE, 0, "metric %s: bucket bounds must increase", name);
    pthread_mutex_lock(&m->lock);
    storm_rc rc = STORM_OK;
    family *f = find_family(m, name);
    if (f) {
        if (f->type != type)
            rc = storm_err_set(err, STORM_ERR_VALUE, 0, "metric %s: declared twice with different types", name);
    } else if (m->n == MAX_FAMILIES) {
        rc = storm_err_set(err, STORM_ERR_VALUE, 0, "metric %s: at most %d families", name, MAX_FAMILIES);
    } else if (!(f = calloc(1, sizeof *f)) || !(f->help = strdup(help ? help : ""))) {
        free(f);
        rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    } else {
        strcpy(f->name, name);
        strcpy(f->label, label ? label : "");
        f->type = type;
        f->n_bounds = type == STORM_METRIC_HISTOGRAM ? n_bounds : 0;
        for (size_t i = 0; i < f->n_bounds; i++)
            f->bounds[i] = bounds[i];
        m->f[m->n++] = f;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* The series of label_value (created; the last slot takes every value past
 * the cap, as "other"); NULL when the family is unknown. Under the lock. */
static series *find_series(storm_metrics *m, const char *name, const char *label_value, family **out)
{
    family *f = find_family(m, name);
    if (!f)
        return NULL;
    *out = f;
    const char *v = f->label[0] ? (label_value ? label_value : "") : "";
    for (size_t i = 0; i < f->n; i++)
        if (strncmp(f->s[i].label_value, v, LABEL_MAX_LEN - 1) == 0)
            return &f->s[i];
    if (f->n == STORM_METRICS_MAX_SERIES - 1 && strcmp(v, "other") != 0)
        v = "other";
    if (f->n == STORM_METRICS_MAX_SERIES)
        return &f->s[STORM_METRICS_MAX_SERIES - 1];
    series *s = &f->s[f->n++];
    memset(s, 0, sizeof *s);
    strncpy(s->label_value, v, LABEL_MAX_LEN - 1);
    return s;
}

void storm_metrics_set(storm_metrics *m, const char *name, const char *label_value, double value)
{
    pthread_mutex_lock(&m->lock);
    family *f = NULL;
    series *s = find_series(m, name, label_value, &f);
    if (s && f->type != STORM_METRIC_HISTOGRAM)
        s->value = value;
    pthread_mutex_unlock(&m->lock);
}

void storm_metrics_add(storm_metrics *m, const char *name, const char *label_value, double delta)
{
    pthread_mutex_lock(&m->lock);
    family *f = NULL;
    series *s = find_series(m, name, label_value, &f);
    if (s && f->type != STORM_METRIC_HISTOGRAM)
        s->value += delta;
    pthread_mutex_unlock(&m->lock);
}

void storm_metrics_set_histogram(storm_metrics *m, const char *name, const char *label_value, const uint64_t *counts,
                                 uint64_t count, double sum)
{
    pthread_mutex_lock(&m->lock);
    family *f = NULL;
    series *s = find_series(m, name, label_value, &f);
    if (s && f->type == STORM_METRIC_HISTOGRAM) {
        for (size_t i = 0; i < f->n_bounds; i++)
            s->buckets[i] = counts[i];
        s->count = count;
        s->value = sum;
    }
    pthread_mutex_unlock(&m->lock);
}

/* A label value as the format wants it: \, " and newline escaped. */
static storm_rc put_label_value(storm_buf *b, const char *v)
{
    storm_rc rc = STORM_OK;
    for (; *v && rc == STORM_OK; v++) {
        if (*v == '\\')
            rc = storm_buf_puts(b, "\\\\");
        else if (*v == '"')
            rc = storm_buf_puts(b, "\\\"");
        else if (*v == '\n')
            rc = storm_buf_puts(b, "\\n");
        else
            rc = storm_buf_putc(b, *v);
    }
    return rc;
}

/* HELP text: \ and newline escaped. */
static storm_rc put_help(storm_buf *b, const char *v)
{
    storm_rc rc = STORM_OK;
    for (; *v && rc == STORM_OK; v++) {
        if (*v == '\\')
            rc = storm_buf_puts(b, "\\\\");
        else if (*v == '\n')
            rc = storm_buf_puts(b, "\\n");
        else
            rc = storm_buf_putc(b, *v);
    }
    return rc;
}

static storm_rc put_number(storm_buf *b, double v)
{
    if (isnan(v))
        return storm_buf_puts(b, "NaN");
    if (isinf(v))
        return storm_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
    if (v == floor(v) && fabs(v) < 1e15)
        return storm_buf_printf(b, "%.0f", v);
    return storm_buf_printf(b, "%.9g", v);
}

/* name{label="value"[,le="bound"]} */
static storm_rc put_sample_name(storm_buf *b, const family *f, const series *s, const char *suffix, const char *le)
{
    storm_rc rc = storm_buf_printf(b, "%s%s", f->name, suffix);
    if (rc != STORM_OK || (!f->label[0] && !le))
        return rc;
    rc = storm_buf_putc(b, '{');
    /* names "a,b" and values "x<SEP>y" pair up in order */
    const char *ln = f->label, *lv = s->label_value;
    while (rc == STORM_OK && *ln) {
        size_t nn = strcspn(ln, ","), vn = strcspn(lv, STORM_METRICS_SEP);
        char v[LABEL_MAX_LEN];
        snprintf(v, sizeof v, "%.*s", (int)vn, lv);
        rc = storm_buf_printf(b, "%s%.*s=\"", ln == f->label ? "" : ",", (int)nn, ln);
        if (rc == STORM_OK)
            rc = put_label_value(b, v);
        if (rc == STORM_OK)
            rc = storm_buf_putc(b, '"');
        ln += nn + (ln[nn] == ',');
        lv += vn + (lv[vn] != '\0');
    }
    if (rc == STORM_OK && le)
        rc = storm_buf_printf(b, "%sle=\"%s\"", f->label[0] ? "," : "", le);
    if (rc == STORM_OK)
        rc = storm_buf_putc(b, '}');
    return rc;
}

static storm_rc render_family(storm_buf *b, const family *f)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    storm_rc rc = storm_buf_printf(b, "# HELP %s ", f->name);
    if (rc == STORM_OK)
        rc = put_help(b, f->help);
    if (rc == STORM_OK)
        rc = storm_buf_printf(b, "\n# TYPE %s %s\n", f->name, types[f->type]);
    for (size_t i = 0; rc == STORM_OK && i < f->n; i++) {
        const series *s = &f->s[i];
        if (f->type != STORM_METRIC_HISTOGRAM) {
            rc = put_sample_name(b, f, s, "", NULL);
            if (rc == STORM_OK)
                rc = storm_buf_putc(b, ' ');
            if (rc == STORM_OK)
                rc = put_number(b, s->value);
            if (rc == STORM_OK)
                rc = storm_buf_putc(b, '\n');
            continue;
        }
        for (size_t k = 0; rc == STORM_OK && k <= f->n_bounds; k++) {
            char le[64];
            if (k == f->n_bounds)
                strcpy(le, "+Inf");
            else
                snprintf(le, sizeof le, "%.9g", f->bounds[k]);
            rc = put_sample_name(b, f, s, "_bucket", le);
            if (rc == STORM_OK)
                rc = storm_buf_printf(b, " %llu\n", (unsigned long long)(k == f->n_bounds ? s->count : s->buckets[k]));
        }
        if (rc == STORM_OK)
            rc = put_sample_name(b, f, s, "_sum", NULL);
        if (rc == STORM_OK)
            rc = storm_buf_putc(b, ' ');
        if (rc == STORM_OK)
            rc = put_number(b, s->value);
        if (rc == STORM_OK)
            rc = storm_buf_putc(b, '\n');
        if (rc == STORM_OK)
            rc = put_sample_name(b, f, s, "_count", NULL);
        if (rc == STORM_OK)
            rc = storm_buf_printf(b, " %llu\n", (unsigned long long)s->count);
    }
    return rc;
}

storm_rc storm_metrics_render(storm_metrics *m, storm_buf *out)
{
    pthread_mutex_lock(&m->lock);
    storm_rc rc = STORM_OK;
    for (size_t i = 0; rc == STORM_OK && i < m->n; i++)
        rc = render_family(out, m->f[i]);
    pthread_mutex_unlock(&m->lock);
    return rc;
}
