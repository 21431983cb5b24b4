/* SPDX-License-Identifier: Apache-2.0 */
/* The metrics registry: declarations checked, the exposition text exact
 * (HELP/TYPE, escapes, several labels, histograms), the series cap. */
#include <stdio.h>
#include <string.h>

#include <storm/metrics.h>

#include "test.h"

static char *render(storm_metrics *m, storm_buf *b)
{
    storm_buf_reset(b);
    CHECK(storm_metrics_render(m, b) == STORM_OK);
    CHECK(storm_buf_putc(b, '\0') == STORM_OK);
    return b->data;
}

static void test_declare(void)
{
    storm_metrics *m = storm_metrics_new();
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_metrics_declare(m, "ok_total", STORM_METRIC_COUNTER, "h", NULL, NULL, 0, &err) == STORM_OK);
    CHECK(storm_metrics_declare(m, "ok_total", STORM_METRIC_COUNTER, "h", NULL, NULL, 0, &err) == STORM_OK);
    CHECK(storm_metrics_declare(m, "ok_total", STORM_METRIC_GAUGE, "h", NULL, NULL, 0, &err) == STORM_ERR_VALUE);
    CHECK(storm_metrics_declare(m, "1bad", STORM_METRIC_GAUGE, "h", NULL, NULL, 0, &err) == STORM_ERR_VALUE);
    CHECK(storm_metrics_declare(m, "x", STORM_METRIC_GAUGE, "h", "a:b", NULL, 0, &err) == STORM_ERR_VALUE);
    CHECK(storm_metrics_declare(m, "x", STORM_METRIC_GAUGE, "h", "a,,b", NULL, 0, &err) == STORM_ERR_VALUE);
    double down[] = {1, 0.5};
    CHECK(storm_metrics_declare(m, "h", STORM_METRIC_HISTOGRAM, "h", NULL, down, 2, &err) == STORM_ERR_VALUE);
    storm_metrics_free(m);
}

static void test_render(void)
{
    storm_metrics *m = storm_metrics_new();
    storm_err err;
    storm_err_clear(&err);
    double bounds[] = {0.01, 0.1};
    CHECK(storm_metrics_declare(m, "ev_total", STORM_METRIC_COUNTER, "Events\\read\nnow", "sensor", NULL, 0, &err) ==
          STORM_OK);
    CHECK(storm_metrics_declare(m, "req_total", STORM_METRIC_COUNTER, "R", "endpoint,status", NULL, 0, &err) ==
          STORM_OK);
    CHECK(storm_metrics_declare(m, "lag", STORM_METRIC_GAUGE, "L", NULL, NULL, 0, &err) == STORM_OK);
    CHECK(storm_metrics_declare(m, "t_seconds", STORM_METRIC_HISTOGRAM, "T", NULL, bounds, 2, &err) == STORM_OK);
    storm_metrics_set(m, "ev_total", "tetragon", 12);
    storm_metrics_set(m, "ev_total", "a\"b\\c\nd", 1);
    storm_metrics_add(m, "req_total", "objects" STORM_METRICS_SEP "200", 1);
    storm_metrics_add(m, "req_total", "objects" STORM_METRICS_SEP "200", 2);
    storm_metrics_set(m, "lag", NULL, -1);
    storm_metrics_set(m, "unknown", NULL, 5); /* ignored */
    uint64_t le[] = {3, 4};
    storm_metrics_set_histogram(m, "t_seconds", NULL, le, 5, 0.25);
    storm_buf b;
    storm_buf_init(&b, 1 << 20);
    CHECK_STR(render(m, &b), "# HELP ev_total Events\\\\read\\nnow\n"
                             "# TYPE ev_total counter\n"
                             "ev_total{sensor=\"tetragon\"} 12\n"
                             "ev_total{sensor=\"a\\\"b\\\\c\\nd\"} 1\n"
                             "# HELP req_total R\n"
                             "# TYPE req_total counter\n"
                             "req_total{endpoint=\"objects\",status=\"200\"} 3\n"
                             "# HELP lag L\n"
                             "# TYPE lag gauge\n"
                             "lag -1\n"
                             "# HELP t_seconds T\n"
                             "# TYPE t_seconds histogram\n"
                             "t_seconds_bucket{le=\"0.01\"} 3\n"
                             "t_seconds_bucket{le=\"0.1\"} 4\n"
                             "t_seconds_bucket{le=\"+Inf\"} 5\n"
                             "t_seconds_sum 0.25\n"
                             "t_seconds_count 5\n");
    storm_buf_free(&b);
    storm_metrics_free(m);
}

static void test_cap(void)
{
    storm_metrics *m = storm_metrics_new();
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_metrics_declare(m, "s_total", STORM_METRIC_COUNTER, "S", "sensor", NULL, 0, &err) == STORM_OK);
    for (int i = 0; i < 1000; i++) {
        char v[32];
        snprintf(v, sizeof v, "s%d", i);
        storm_metrics_add(m, "s_total", v, 1);
    }
    storm_buf b;
    storm_buf_init(&b, 1 << 20);
    const char *text = render(m, &b);
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    CHECK(lines == 2 + STORM_METRICS_MAX_SERIES);
    char want[64];
    snprintf(want, sizeof want, "s_total{sensor=\"other\"} %d\n", 1000 - (STORM_METRICS_MAX_SERIES - 1));
    CHECK(strstr(text, want) != NULL);
    storm_buf_free(&b);
    storm_metrics_free(m);
}

int main(void)
{
    RUN(test_declare);
    RUN(test_render);
    RUN(test_cap);
    return test_report("test_metrics_registry");
}
