/* SPDX-License-Identifier: Apache-2.0 */
/* Entry-point logs: OpenSSH authentication lines (syslog text lifted by
 * storm_decode_text_line, journald JSON records) and HTTP access log lines
 * (common, combined, nginx JSON names) decoded to typed events. The lines
 * are our own, written in the formats OpenSSH, journald, Apache and nginx
 * write (tests/data/NOTICE.md, entry/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/decode.h>
#include <storm/json.h>

#include "test.h"

static storm_arena *arena;
/* 2026-12-07T12:00:00Z: the reference time for stamps without a year */
#define REF ((storm_time_ns)1796644800 * 1000000000LL)

/* The event of one text line; NULL when the line is no log line or does
 * not decode (err then says why). */
static const storm_event *line_event(const char *line, storm_err *err)
{
    const storm_value *rec = NULL;
    storm_err_clear(err);
    if (storm_decode_text_line(arena, line, strlen(line), REF, &rec) != STORM_OK)
        return NULL;
    const storm_decoder *d = storm_decoder_detect(rec);
    if (!d)
        return NULL;
    storm_event_list list = {0};
    const char *skip = NULL;
    if (d->decode(arena, rec, &list, &skip, err) != STORM_OK || list.n != 1)
        return NULL;
    return &list.items[0];
}

static const storm_event *json_event(const char *text, storm_err *err)
{
    storm_value *v = NULL;
    storm_err_clear(err);
    if (storm_json_parse(arena, text, strlen(text), 0, &v, NULL, err) != STORM_OK)
        return NULL;
    const storm_decoder *d = storm_decoder_detect(v);
    if (!d)
        return NULL;
    storm_event_list list = {0};
    const char *skip = NULL;
    if (d->decode(arena, v, &list, &skip, err) != STORM_OK || list.n != 1)
        return NULL;
    return &list.items[0];
}

static void test_sshd_failed_password(void)
{
    storm_err err;
    const storm_event *ev = line_event(
        "Dec  7 08:01:04 jumpbox sshd[4242]: Failed password for invalid user admin from 203.0.113.7 port 51234 ssh2",
        &err);
    CHECK(ev != NULL);
    if (!ev)
        return;
    CHECK(ev->sensor == STORM_SENSOR_SSHD);
    CHECK(ev->kind == STORM_EV_NETWORK);
    CHECK_STR(ev->type, "failed");
    CHECK_STR(ev->app.auth_result, "failed");
    CHECK_STR(ev->app.auth_method, "password");
    CHECK_STR(ev->app.auth_user, "admin");
    CHECK_STR(ev->app.program, "sshd");
    CHECK_STR(ev->net.src_ip, "203.0.113.7");
    CHECK(ev->net.has_src_port && ev->net.src_port == 51234);
    CHECK_STR(ev->k8s.node, "jumpbox");
    /* no year in the stamp: the reference time's */
    CHECK(ev->has_time && ev->time == REF - (int64_t)(3 * 3600 + 58 * 60 + 56) * 1000000000LL);
}

static void test_sshd_messages(void)
{
    static const struct {
        const char *msg, *result, *user, *method, *ip;
        int port;
    } cases[] = {
        {"Accepted publickey for deploy from 2001:db8::17 port 50122 ssh2: ED25519 SHA256:abc", "accepted", "deploy",
         "publickey", "2001:db8::17", 50122},
        {"Accepted keyboard-interactive/pam for ops-backup from 198.51.100.23 port 52000 ssh2", "accepted",
         "ops-backup", "keyboard-interactive/pam", "198.51.100.23", 52000},
        {"Invalid user oracle from 203.0.113.7 port 51252", "invalid_user", "oracle", NULL, "203.0.113.7", 51252},
        /* a user name with a space and the word "from" in it: the address is found from the end */
        {"Invalid user from x from 203.0.113.7 port 1", "invalid_user", "from x", NULL, "203.0.113.7", 1},
        {"Connection closed by authenticating user root 203.0.113.7 port 51242 [preauth]", "connection_closed", "root",
         NULL, "203.0.113.7", 51242},
        {"Connection closed by 203.0.113.7 port 5 [preauth]", "connection_closed", NULL, NULL, "203.0.113.7", 5},
        {"Disconnected from user ops-backup 198.51.100.23 port 40022", "disconnected", "ops-backup", NULL,
         "198.51.100.23", 40022},
        {"Received disconnect from 203.0.113.7 port 51254:11: Bye Bye [preauth]", "disconnected", NULL, NULL,
         "203.0.113.7", 51254},
        {"error: maximum authentication attempts exceeded for root from 203.0.113.7 port 51242 ssh2 [preauth]",
         "max_auth_tries", "root", NULL, "203.0.113.7", 51242},
        {"Disconnecting invalid user test 203.0.113.7 port 9: Too many authentication failures [preauth]",
         "max_auth_tries", "test", NULL, "203.0.113.7", 9},
        {"Did not receive identification string from 192.0.2.44 port 60110", "no_identification", NULL, NULL,
         "192.0.2.44", 60110},
        {"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  "
         "user=root",
         "pam_failure", "root", NULL, "203.0.113.7", -1},
        {"Server listening on 0.0.0.0 port 22.", "listening", NULL, NULL, NULL, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char line[512];
        snprintf(line, sizeof line, "2026-12-07T08:00:00+00:00 node-1 sshd[1]: %s", cases[i].msg);
        storm_err err;
        const storm_event *ev = line_event(line, &err);
        CHECK(ev != NULL);
        if (!ev)
            continue;
        CHECK_STR(ev->app.auth_result, cases[i].result);
        CHECK(cases[i].user ? ev->app.auth_user && strcmp(ev->app.auth_user, cases[i].user) == 0
                            : ev->app.auth_user == NULL);
        CHECK(cases[i].method ? ev->app.auth_method && strcmp(ev->app.auth_method, cases[i].method) == 0
                              : ev->app.auth_method == NULL);
        CHECK(cases[i].ip ? ev->net.present && ev->net.src_ip && strcmp(ev->net.src_ip, cases[i].ip) == 0
                          : !ev->net.present);
        if (cases[i].port >= 0)
            CHECK(ev->net.has_src_port && ev->net.src_port == cases[i].port);
        if (test_failed)
            fprintf(stderr, "  case %zu: %s\n", i, cases[i].msg);
    }
}

static void test_sshd_connection_from(void)
{
    storm_err err;
    const storm_event *ev = line_event(
        "<38>Dec  7 08:01:02 jumpbox sshd[4242]: Connection from 203.0.113.7 port 51234 on 10.244.1.15 port 2222 "
        "rdomain \"\"",
        &err);
    CHECK(ev != NULL);
    if (!ev)
        return;
    CHECK_STR(ev->net.src_ip, "203.0.113.7");
    CHECK(ev->net.src_port == 51234);
    CHECK_STR(ev->net.dst_ip, "10.244.1.15");
    CHECK(ev->net.has_dst_port && ev->net.dst_port == 2222);
}

static void test_sshd_year_before(void)
{
    /* read on 7 December: a 31 December stamp is last year's */
    storm_err err;
    const storm_event *ev = line_event("Dec 31 23:59:59 h sshd[1]: Invalid user a from 192.0.2.1 port 2", &err);
    CHECK(ev && ev->has_time && ev->time < REF && ev->time > REF - (int64_t)345 * 86400 * 1000000000LL);
}

static void test_not_log_lines(void)
{
    static const char *const lines[] = {
        "Dec  7 08:42:00 jumpbox CRON[4600]: pam_unix(cron:session): session opened for user root",
        "Dec  7 08:42:00 jumpbox sshdx[1]: Accepted password for a from 192.0.2.1 port 2 ssh2",
        "Dec 77 08:42:00 jumpbox sshd[1]: Invalid user a from 192.0.2.1 port 2",
        "not a log line",
        "192.0.2.79 - - [07/Dec/2026:08:24:00 +0000] \"GET / HTTP/1.1\" two 612",
        "192.0.2.79 - - [07/Dec/2026 08:24:00] \"GET / HTTP/1.1\" 200 612",
        "192.0.2.79 - - [07/Dec/2026:08:24:00 +0000] \"GET / HTTP/1.1 200 612",
        "{\"a\": 1}",
        "",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        const storm_value *rec = (const storm_value *)1;
        CHECK(storm_decode_text_line(arena, lines[i], strlen(lines[i]), REF, &rec) == STORM_ERR_NOTFOUND);
        CHECK(rec == NULL);
    }
}

static void test_access_combined(void)
{
    storm_err err;
    const storm_event *ev =
        line_event("198.51.100.4 - ops-backup [07/Dec/2026:09:15:22 +0100] \"GET /wp-login.php?x=\\\"1\\\" HTTP/1.1\" "
                   "404 153 \"https://a.example/\" \"Mozilla/5.0 zgrab/0.x\"",
                   &err);
    CHECK(ev != NULL);
    if (!ev)
        return;
    CHECK(ev->sensor == STORM_SENSOR_HTTP_ACCESS);
    CHECK_STR(ev->net.src_ip, "198.51.100.4");
    CHECK_STR(ev->app.auth_user, "ops-backup");
    CHECK_STR(ev->app.http_method, "GET");
    CHECK_STR(ev->app.http_target, "/wp-login.php?x=\"1\"");
    CHECK_STR(ev->app.http_version, "HTTP/1.1");
    CHECK(ev->app.has_http_status && ev->app.http_status == 404);
    CHECK(ev->app.has_http_bytes && ev->app.http_bytes == 153);
    CHECK_STR(ev->app.http_referer, "https://a.example/");
    CHECK_STR(ev->app.http_user_agent, "Mozilla/5.0 zgrab/0.x");
    /* +0100: an hour ahead of UTC */
    CHECK(ev->has_time && ev->time == REF - (int64_t)(3 * 3600 + 44 * 60 + 38) * 1000000000LL);
}

static void test_access_common_and_odd(void)
{
    storm_err err;
    const storm_event *ev = line_event("192.0.2.77 - - [07/Dec/2026:08:21:00 +0000] \"GET / HTTP/1.0\" 200 -", &err);
    CHECK(ev && ev->app.has_http_status && !ev->app.has_http_bytes && !ev->app.http_user_agent);
    /* TLS bytes on a plain port: no method, the request kept as the message */
    ev = line_event("2001:db8::99 - - [07/Dec/2026:08:20:00 +0000] \"\\x16\\x03\\x01\" 400 157 \"-\" \"-\"", &err);
    CHECK(ev && !ev->app.http_method && ev->app.message && strcmp(ev->app.message, "\\x16\\x03\\x01") == 0);
    CHECK(ev && ev->net.src_ip && strcmp(ev->net.src_ip, "2001:db8::99") == 0);
}

static void test_access_json(void)
{
    storm_err err;
    const storm_event *ev = json_event(
        "{\"remote_addr\":\"192.0.2.80\",\"remote_user\":\"-\",\"time_iso8601\":\"2026-12-07T08:23:00+00:00\","
        "\"request\":\"GET /.aws/credentials HTTP/1.1\",\"status\":\"404\",\"body_bytes_sent\":\"153\","
        "\"http_referer\":\"\",\"http_user_agent\":\"python-requests/2.31\"}",
        &err);
    CHECK(ev != NULL);
    CHECK(ev && ev->app.http_status == 404 && !ev->app.auth_user && !ev->app.http_referer);
    CHECK(ev && ev->app.http_target && strcmp(ev->app.http_target, "/.aws/credentials") == 0);
    /* a status that is no number: an error at its position */
    ev = json_event("{\"remote_addr\":\"192.0.2.80\",\"request\":\"GET / HTTP/1.1\",\"status\":\"ok\"}", &err);
    CHECK(ev == NULL && err.rc == STORM_ERR_VALUE && strstr(err.msg, "status") && err.offset > 0);
}

static void test_journald(void)
{
    storm_err err;
    const storm_event *ev =
        json_event("{\"__REALTIME_TIMESTAMP\":\"1796630462000123\",\"_HOSTNAME\":\"node-1\",\"SYSLOG_IDENTIFIER\":"
                   "\"sshd\",\"_PID\":\"7001\",\"_COMM\":\"sshd\",\"MESSAGE\":\"Failed password for root from "
                   "203.0.113.50 port 41000 ssh2\"}",
                   &err);
    CHECK(ev != NULL);
    if (!ev)
        return;
    CHECK(ev->sensor == STORM_SENSOR_SSHD);
    CHECK(ev->has_time && ev->time == 1796630462000123000LL);
    CHECK_STR(ev->k8s.node, "node-1");
    CHECK_STR(ev->app.auth_user, "root");
    /* _COMM alone identifies sshd (sshd-session since OpenSSH 9.8) */
    ev = json_event("{\"_COMM\":\"sshd-session\",\"MESSAGE\":\"Accepted password for a from 192.0.2.1 port 2 ssh2\"}",
                    &err);
    CHECK(ev && ev->app.auth_result && strcmp(ev->app.auth_result, "accepted") == 0);
    /* another program's journal record is not sshd's */
    storm_value *v = NULL;
    const char *cron = "{\"_COMM\":\"cron\",\"MESSAGE\":\"x\"}";
    CHECK(storm_json_parse(arena, cron, strlen(cron), 0, &v, NULL, &err) == STORM_OK && !storm_decoder_detect(v));
    /* journald's byte-array MESSAGE (not UTF-8): an error at its position */
    ev = json_event("{\"SYSLOG_IDENTIFIER\":\"sshd\",\"MESSAGE\":[70,97,255]}", &err);
    CHECK(ev == NULL && err.rc == STORM_ERR_VALUE && strstr(err.msg, "MESSAGE") && err.offset > 0);
    ev = json_event("{\"SYSLOG_IDENTIFIER\":\"sshd\",\"__REALTIME_TIMESTAMP\":\"soon\",\"MESSAGE\":\"x\"}", &err);
    CHECK(ev == NULL && err.rc == STORM_ERR_VALUE && strstr(err.msg, "__REALTIME_TIMESTAMP"));
}

int main(void)
{
    arena = storm_arena_new(1 << 16, 1 << 26);
    RUN(test_sshd_failed_password);
    RUN(test_sshd_messages);
    RUN(test_sshd_connection_from);
    RUN(test_sshd_year_before);
    RUN(test_not_log_lines);
    RUN(test_access_combined);
    RUN(test_access_common_and_odd);
    RUN(test_access_json);
    RUN(test_journald);
    storm_arena_free(arena);
    return test_report("test_entry_logs");
}
