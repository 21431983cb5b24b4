/* SPDX-License-Identifier: Apache-2.0 */
/* The bodies of alerts: Storm's own shape, and Falco's JSON output shape so
 * that falcosidekick (and through it Slack, Teams, PagerDuty...) takes them
 * as if Falco had sent them. */
#include <stdio.h>
#include <string.h>

#include <storm/alert.h>
#include <storm/json.h>
#include <storm/time.h>

static void put_str(storm_buf *b, const char *key, const char *v)
{
    storm_json_write_string(b, key, strlen(key));
    storm_buf_putc(b, ':');
    if (v)
        storm_json_write_string(b, v, strlen(v));
    else
        storm_buf_puts(b, "null");
}

static void put_time(storm_buf *b, const char *key, storm_time_ns t)
{
    char s[48];
    storm_time_format(t, 9, s);
    put_str(b, key, s);
}

static const char *kind_name(storm_session_event_kind k)
{
    return k == STORM_SESSION_OPENED ? "session_opened" : "step_added";
}

static void storm_shape(storm_buf *b, const storm_session_event *ev)
{
    const storm_session *s = ev->session;
    const storm_session_step *st = ev->step;
    storm_buf_putc(b, '{');
    put_str(b, "kind", kind_name(ev->kind));
    storm_buf_putc(b, ',');
    put_str(b, "replaces", ev->replaces); /* the session's former id, when this step renamed it */
    storm_buf_puts(b, ",\"session\":{");
    put_str(b, "id", s->id);
    storm_buf_putc(b, ',');
    put_time(b, "first_seen", s->first_seen);
    storm_buf_putc(b, ',');
    put_time(b, "last_seen", s->last_seen);
    storm_buf_printf(b, ",\"steps\":%zu,\"size\":%llu}", s->n_steps, (unsigned long long)s->size);
    if (st) {
        storm_buf_puts(b, ",\"step\":{");
        put_str(b, "sighting", st->sighting_id);
        storm_buf_putc(b, ',');
        put_str(b, "indicator", st->indicator_id);
        storm_buf_putc(b, ',');
        put_str(b, "indicator_name", st->indicator_name);
        storm_buf_putc(b, ',');
        put_str(b, "attack_pattern", st->step_id);
        storm_buf_putc(b, ',');
        put_str(b, "step", st->step_name);
        storm_buf_putc(b, ',');
        put_str(b, "tactic", st->tactic);
        storm_buf_putc(b, ',');
        put_str(b, "pod", st->pod);
        storm_buf_putc(b, ',');
        put_str(b, "node", st->node);
        storm_buf_putc(b, ',');
        put_str(b, "evidence", st->evidence);
        storm_buf_putc(b, ',');
        put_str(b, "link", st->link);
        storm_buf_putc(b, ',');
        put_time(b, "first_seen", st->first_seen);
        storm_buf_putc(b, ',');
        put_time(b, "last_seen", st->last_seen);
        storm_buf_printf(b, ",\"count\":%llu,\"anomaly\":%s}", (unsigned long long)st->count,
                         st->anomaly ? "true" : "false");
    }
    storm_buf_putc(b, '}');
}

/* Falco's JSON output: falcosidekick reads output, priority (one of Falco's
 * priority names), rule, time (RFC 3339), output_fields, source, tags and
 * hostname. A session's first step is Critical, a later one Warning (the
 * session already alerted), an anomaly Notice. */
static void falco_shape(storm_buf *b, const char *hostname, const storm_session_event *ev)
{
    const storm_session *s = ev->session;
    const storm_session_step *st = ev->step;
    const char *what = st ? (st->step_name ? st->step_name : st->indicator_name) : NULL;
    const char *priority = st && st->anomaly ? "Notice" : ev->kind == STORM_SESSION_OPENED ? "Critical" : "Warning";
    storm_time_ns t = st ? st->first_seen : s->first_seen;
    char when[48];
    storm_time_format(t, 9, when);
    char where[300];
    snprintf(where, sizeof where, "%s%s",
             st && st->pod    ? "pod "
             : st && st->node ? "node "
                              : "",
             st && st->pod    ? st->pod
             : st && st->node ? st->node
                              : "the cluster");
    storm_buf t_out;
    storm_buf_init(&t_out, 1 << 16);
    storm_buf_printf(&t_out, "%s: %s %s in %s (attack session %s, step %zu; %s)", when, priority,
                     what ? what : "attack step", where, s->id, s->n_steps,
                     st && st->evidence ? st->evidence : "no evidence line");
    char rule[300];
    snprintf(rule, sizeof rule, "Storm: %s", what ? what : "attack step");
    storm_buf_putc(b, '{');
    put_str(b, "output", t_out.data ? t_out.data : "");
    storm_buf_putc(b, ',');
    put_str(b, "priority", priority);
    storm_buf_putc(b, ',');
    put_str(b, "rule", rule);
    storm_buf_putc(b, ',');
    put_str(b, "time", when);
    storm_buf_puts(b, ",\"output_fields\":{");
    put_str(b, "storm.event", kind_name(ev->kind));
    storm_buf_putc(b, ',');
    put_str(b, "storm.session", s->id);
    storm_buf_printf(b, ",\"storm.session.steps\":%zu", s->n_steps);
    if (ev->replaces) {
        storm_buf_putc(b, ',');
        put_str(b, "storm.session.replaces", ev->replaces);
    }
    if (st) {
        storm_buf_putc(b, ',');
        put_str(b, "storm.sighting", st->sighting_id);
        storm_buf_putc(b, ',');
        put_str(b, "storm.indicator", st->indicator_name);
        storm_buf_putc(b, ',');
        put_str(b, "storm.step", st->step_name);
        storm_buf_putc(b, ',');
        put_str(b, "storm.tactic", st->tactic);
        storm_buf_putc(b, ',');
        put_str(b, "storm.link", st->link);
        storm_buf_putc(b, ',');
        put_str(b, "storm.evidence", st->evidence);
        storm_buf_putc(b, ',');
        put_str(b, "k8s.pod.name", st->pod);
        storm_buf_putc(b, ',');
        put_str(b, "k8s.node.name", st->node);
        storm_buf_printf(b, ",\"storm.count\":%llu", (unsigned long long)st->count);
    }
    storm_buf_puts(b, "},\"source\":\"storm\",\"tags\":[\"storm\",\"attack-session\"");
    if (st && st->tactic) {
        storm_buf_putc(b, ',');
        storm_json_write_string(b, st->tactic, strlen(st->tactic));
    }
    storm_buf_puts(b, "],");
    put_str(b, "hostname", hostname ? hostname : "");
    storm_buf_putc(b, '}');
    storm_buf_free(&t_out);
}

storm_rc storm_alert_format_event(storm_buf *out, storm_alert_format format, const char *hostname,
                                  const storm_session_event *ev)
{
    if (format == STORM_ALERT_FALCO)
        falco_shape(out, hostname, ev);
    else
        storm_shape(out, ev);
    return out->len && out->data[out->len - 1] == '}' ? STORM_OK : STORM_ERR_LIMIT;
}
