/* SPDX-License-Identifier: Apache-2.0 */
/* Text log lines that are not JSON (storm_decode_text_line): an OpenSSH
 * syslog line becomes the journald record decode_sshd.c reads, an HTTP
 * access log line the nginx-named record decode_http_access.c reads, so that
 * each format has one decoder whether it arrives as text or as JSON. The
 * grammars are strict on purpose: a line that only looks a bit like a log
 * line stays a reject with its position, as any non-JSON line is. */
#include <storm/decode.h>

#include <stdio.h>
#include <string.h>

#include "decoders.h"

static const char *const MONTHS[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int month_of(const char *s)
{
    for (int m = 0; m < 12; m++)
        if (memcmp(s, MONTHS[m], 3) == 0)
            return m + 1;
    return 0;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* n decimal digits at s; -1 when any is not a digit */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static bool civil_time(int64_t y, int mo, int d, int h, int mi, int s, storm_time_ns *out)
{
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || y < 1678 || y > 2261)
        return false;
    int64_t days = storm_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out = ((days * 86400 + h * 3600 + mi * 60 + s) * (int64_t)1000000000);
    return true;
}

/* "Dec  7 08:00:01" (RFC 3164: no year). The year is ref's, or the one
 * before when that would put the stamp more than a day after ref (a file
 * read in January holding December's lines). */
static size_t bsd_stamp(const char *s, size_t len, storm_time_ns ref, storm_time_ns *out)
{
    if (len < 16 || s[3] != ' ' || s[6] != ' ' || s[9] != ':' || s[12] != ':' || s[15] != ' ')
        return 0;
    int mo = month_of(s);
    int d = s[4] == ' ' ? digits(s + 5, 1) : digits(s + 4, 2);
    int h = digits(s + 7, 2), mi = digits(s + 10, 2), sec = digits(s + 13, 2);
    if (!mo || d < 0 || h < 0 || mi < 0 || sec < 0)
        return 0;
    int64_t y;
    unsigned rm, rd;
    storm_civil_from_days((ref >= 0 ? ref : ref - 86399999999999LL) / 86400000000000LL, &y, &rm, &rd);
    if (!civil_time(y, mo, d, h, mi, sec, out))
        return 0;
    if (*out > ref + 86400000000000LL && !civil_time(y - 1, mo, d, h, mi, sec, out))
        return 0;
    return 15;
}

/* "2026-12-07T08:00:01.123456+00:00" (rsyslog's RFC 3339 stamps) */
static size_t iso_stamp(const char *s, size_t len, storm_time_ns *out)
{
    size_t n = 0;
    while (n < len && s[n] != ' ')
        n++;
    if (n < 20 || n >= len || !is_digit(s[0]) || s[4] != '-' || s[10] != 'T')
        return 0;
    return storm_time_parse(s, n, STORM_TIME_LENIENT, out) ? n : 0;
}

static bool sshd_program(const char *s, size_t n)
{
    return (n == 4 && memcmp(s, "sshd", 4) == 0) || (n == 12 && memcmp(s, "sshd-session", 12) == 0) ||
           (n == 9 && memcmp(s, "sshd-auth", 9) == 0);
}

static storm_value *str_or_null(storm_arena *a, const char *s, size_t n)
{
    return storm_v_strn(a, s, n);
}

/* [<PRI>]STAMP HOST PROGRAM[PID]: MESSAGE with PROGRAM an OpenSSH server */
static storm_rc lift_sshd(storm_arena *a, const char *t, size_t len, storm_time_ns ref, const storm_value **rec)
{
    size_t p = 0;
    if (len && t[0] == '<') { /* a syslog priority, as on the wire */
        size_t q = 1;
        while (q < len && q < 5 && is_digit(t[q]))
            q++;
        if (q == 1 || q >= len || t[q] != '>')
            return STORM_ERR_NOTFOUND;
        p = q + 1;
    }
    storm_time_ns when;
    size_t sl = bsd_stamp(t + p, len - p, ref, &when);
    if (!sl)
        sl = iso_stamp(t + p, len - p, &when);
    if (!sl)
        return STORM_ERR_NOTFOUND;
    p += sl;
    while (p < len && t[p] == ' ')
        p++;
    size_t host = p;
    while (p < len && t[p] != ' ')
        p++;
    size_t host_len = p - host;
    if (!host_len || p >= len)
        return STORM_ERR_NOTFOUND;
    p++;
    size_t prog = p;
    while (p < len && t[p] != '[' && t[p] != ':' && t[p] != ' ')
        p++;
    size_t prog_len = p - prog;
    if (!sshd_program(t + prog, prog_len))
        return STORM_ERR_NOTFOUND;
    size_t pid = 0, pid_len = 0;
    if (p < len && t[p] == '[') {
        pid = ++p;
        while (p < len && is_digit(t[p]))
            p++;
        pid_len = p - pid;
        if (!pid_len || p >= len || t[p] != ']')
            return STORM_ERR_NOTFOUND;
        p++;
    }
    if (p + 1 >= len || t[p] != ':' || t[p + 1] != ' ')
        return STORM_ERR_NOTFOUND;
    p += 2;
    storm_value *o = storm_v_object(a);
    char us[24];
    int un = snprintf(us, sizeof us, "%lld", (long long)(when / 1000));
    if (!o || storm_v_set(a, o, "MESSAGE", str_or_null(a, t + p, len - p)) ||
        storm_v_set(a, o, "SYSLOG_IDENTIFIER", storm_v_strn(a, t + prog, prog_len)) ||
        storm_v_set(a, o, "_HOSTNAME", storm_v_strn(a, t + host, host_len)) ||
        storm_v_set(a, o, "__REALTIME_TIMESTAMP", storm_v_strn(a, us, (size_t)un)) ||
        (pid_len && storm_v_set(a, o, "_PID", storm_v_strn(a, t + pid, pid_len))))
        return STORM_ERR_NOMEM;
    *rec = o;
    return STORM_OK;
}

/* A space-free token at t[*p]; false when empty. */
static bool token(const char *t, size_t len, size_t *p, size_t *start, size_t *n)
{
    *start = *p;
    while (*p < len && t[*p] != ' ' && t[*p] != '"' && t[*p] != '[')
        (*p)++;
    *n = *p - *start;
    if (!*n || *p >= len || t[*p] != ' ')
        return false;
    (*p)++;
    return true;
}

/* A quoted field at t[*p] (Apache writes \" and \\ inside, nginx \x22):
 * its text with \" and \\ undone (arena). NULL when not one. */
static storm_value *quoted(storm_arena *a, const char *t, size_t len, size_t *p)
{
    if (*p >= len || t[*p] != '"')
        return NULL;
    size_t q = *p + 1;
    char *buf = storm_arena_alloc(a, len - q + 1);
    if (!buf)
        return NULL;
    size_t n = 0;
    for (; q < len && t[q] != '"'; q++) {
        if (t[q] == '\\' && q + 1 < len && (t[q + 1] == '"' || t[q + 1] == '\\'))
            q++;
        buf[n++] = t[q];
    }
    if (q >= len)
        return NULL;
    *p = q + 1;
    buf[n] = '\0';
    return storm_v_str_borrow(a, buf, n);
}

/* "10/Oct/2000:13:55:36 -0700" exactly */
static bool clf_time_ok(const char *s, size_t n)
{
    return n == 26 && digits(s, 2) >= 0 && s[2] == '/' && month_of(s + 3) && s[6] == '/' && digits(s + 7, 4) >= 0 &&
           s[11] == ':' && digits(s + 12, 2) >= 0 && s[14] == ':' && digits(s + 15, 2) >= 0 && s[17] == ':' &&
           digits(s + 18, 2) >= 0 && s[20] == ' ' && (s[21] == '+' || s[21] == '-') && digits(s + 22, 4) >= 0;
}

/* HOST IDENT USER [TIME] "REQUEST" STATUS BYTES ["REFERER" "USER-AGENT"] ... */
static storm_rc lift_access(storm_arena *a, const char *t, size_t len, const storm_value **rec)
{
    size_t p = 0, host, host_n, ident, ident_n, user, user_n;
    if (!token(t, len, &p, &host, &host_n) || !token(t, len, &p, &ident, &ident_n) ||
        !token(t, len, &p, &user, &user_n))
        return STORM_ERR_NOTFOUND;
    if (p >= len || t[p] != '[')
        return STORM_ERR_NOTFOUND;
    const char *close = memchr(t + p, ']', len - p);
    if (!close || !clf_time_ok(t + p + 1, (size_t)(close - t - p - 1)))
        return STORM_ERR_NOTFOUND;
    size_t time_at = p + 1;
    p = (size_t)(close - t) + 1;
    if (p >= len || t[p] != ' ')
        return STORM_ERR_NOTFOUND;
    p++;
    storm_value *request = quoted(a, t, len, &p);
    if (!request || p >= len || t[p] != ' ')
        return STORM_ERR_NOTFOUND;
    p++;
    int status = len - p >= 3 ? digits(t + p, 3) : -1;
    if (status < 100 || (p + 3 < len && t[p + 3] != ' '))
        return STORM_ERR_NOTFOUND;
    p += 3;
    int64_t bytes = -1;
    if (p < len) {
        p++;
        if (p < len && t[p] == '-') {
            p++;
        } else {
            size_t b0 = p;
            bytes = 0;
            while (p < len && is_digit(t[p]) && p - b0 < 18)
                bytes = bytes * 10 + (t[p++] - '0');
            if (p == b0)
                return STORM_ERR_NOTFOUND;
        }
        if (p < len && t[p] != ' ')
            return STORM_ERR_NOTFOUND;
    }
    storm_value *referer = NULL, *agent = NULL;
    if (p + 1 < len && t[p + 1] == '"') { /* combined */
        p++;
        referer = quoted(a, t, len, &p);
        if (referer && p + 1 < len && t[p] == ' ' && t[p + 1] == '"') {
            p++;
            agent = quoted(a, t, len, &p);
        }
    }
    storm_value *o = storm_v_object(a);
    if (!o || storm_v_set(a, o, "remote_addr", storm_v_strn(a, t + host, host_n)) ||
        storm_v_set(a, o, "remote_user", storm_v_strn(a, t + user, user_n)) ||
        storm_v_set(a, o, "time_local", storm_v_strn(a, t + time_at, 26)) || storm_v_set(a, o, "request", request) ||
        storm_v_set_int(a, o, "status", status) || (bytes >= 0 && storm_v_set_int(a, o, "body_bytes_sent", bytes)) ||
        (referer && storm_v_set(a, o, "http_referer", referer)) ||
        (agent && storm_v_set(a, o, "http_user_agent", agent)))
        return STORM_ERR_NOMEM;
    *rec = o;
    return STORM_OK;
}

storm_rc storm_decode_text_line(storm_arena *a, const char *text, size_t len, storm_time_ns ref_time,
                                const storm_value **rec)
{
    *rec = NULL;
    if (!text || !len || text[0] == '{' || text[0] == '[')
        return STORM_ERR_NOTFOUND; /* JSON, or meant to be */
    storm_rc rc = lift_sshd(a, text, len, ref_time, rec);
    if (rc == STORM_ERR_NOTFOUND)
        rc = lift_access(a, text, len, rec);
    return rc;
}

bool ingest_clf_time_parse(const char *s, size_t n, storm_time_ns *out)
{
    if (!clf_time_ok(s, n))
        return false;
    storm_time_ns t;
    if (!civil_time(digits(s + 7, 4), month_of(s + 3), digits(s, 2), digits(s + 12, 2), digits(s + 15, 2),
                    digits(s + 18, 2), &t))
        return false;
    int64_t off = (int64_t)digits(s + 22, 2) * 3600 + (int64_t)digits(s + 24, 2) * 60;
    *out = s[21] == '+' ? t - off * 1000000000LL : t + off * 1000000000LL;
    return true;
}
