/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSH server decoder: journald export records (`journalctl -o json`:
 * MESSAGE, SYSLOG_IDENTIFIER or _COMM "sshd"/"sshd-session"/"sshd-auth",
 * _HOSTNAME, _PID, __REALTIME_TIMESTAMP), and syslog text lines, which
 * storm_decode_text_line lifts to that shape. Each record becomes one
 * STORM_EV_NETWORK event (STORM_EV_OTHER without a client address) whose
 * app.* say what the message says: who tried to log in, how, from where,
 * and whether it worked (docs/mapping/sshd.md). */
#include <stdlib.h>
#include <string.h>

#include "decoders.h"

static bool is_sshd(const char *s)
{
    return s && (strcmp(s, "sshd") == 0 || strcmp(s, "sshd-session") == 0 || strcmp(s, "sshd-auth") == 0);
}

static bool detect(const storm_value *root)
{
    if (!root || root->type != STORM_V_OBJECT || !storm_v_get(root, "MESSAGE"))
        return false;
    return is_sshd(storm_v_get_str(root, "SYSLOG_IDENTIFIER")) || is_sshd(storm_v_get_str(root, "_COMM"));
}

static bool starts(const char *s, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);
    if (strncmp(s, prefix, n) != 0)
        return false;
    *rest = s + n;
    return true;
}

/* The client of a message: the last "ADDR port N" in it (OpenSSH puts the
 * user name, which may hold anything, before the address). *head_end is
 * where ADDR starts (with a "from " before it skipped back over). */
typedef struct ssh_peer {
    const char *ip;
    bool has_port;
    int64_t port;
    size_t head_end;
} ssh_peer;

static void find_peer(storm_arena *a, const char *m, ssh_peer *peer)
{
    memset(peer, 0, sizeof *peer);
    peer->head_end = strlen(m);
    const char *hit = NULL;
    for (const char *s = strstr(m, " port "); s; s = strstr(s + 1, " port "))
        if (s[6] >= '0' && s[6] <= '9')
            hit = s;
    if (!hit || hit == m)
        return;
    const char *ip_end = hit, *ip = hit;
    while (ip > m && ip[-1] != ' ')
        ip--;
    if (ip == ip_end)
        return;
    peer->ip = storm_arena_strndup(a, ip, (size_t)(ip_end - ip));
    char *end;
    long port = strtol(hit + 6, &end, 10);
    if (port >= 0 && port <= 65535) {
        peer->has_port = true;
        peer->port = port;
    }
    size_t h = (size_t)(ip - m);
    if (h >= 6 && memcmp(m + h - 6, " from ", 6) == 0)
        h -= 5;
    peer->head_end = h ? h - 1 : 0; /* the space before */
}

/* The user named in m[from..to) after the optional qualifiers OpenSSH puts
 * there ("invalid user ", "authenticating user ", "user "). */
static const char *user_between(storm_arena *a, const char *m, size_t from, size_t to)
{
    static const char *const quals[] = {"for invalid user ", "for ", "invalid user ", "authenticating user ", "user "};
    if (from >= to)
        return NULL;
    for (size_t q = 0; q < sizeof quals / sizeof quals[0]; q++) {
        size_t n = strlen(quals[q]);
        if (to - from > n && strncmp(m + from, quals[q], n) == 0) {
            from += n;
            break;
        }
    }
    return from < to ? storm_arena_strndup(a, m + from, to - from) : NULL;
}

/* "Accepted publickey for bait from 1.2.3.4 port 2222 ssh2: ..." and kin */
static void read_message(storm_arena *a, const char *m, storm_event *ev)
{
    storm_app_info *ap = &ev->app;
    ssh_peer peer;
    find_peer(a, m, &peer);
    const char *rest;
    const char *result = "other";
    if (starts(m, "Server listening on ", &rest)) {
        /* the daemon's own address, not a client's */
        ap->auth_result = "listening";
        return;
    }
    if (starts(m, "Accepted ", &rest) || starts(m, "Failed ", &rest)) {
        result = m[0] == 'A' ? "accepted" : "failed";
        const char *sp = strchr(rest, ' ');
        if (sp) {
            ap->auth_method = storm_arena_strndup(a, rest, (size_t)(sp - rest));
            ap->auth_user = user_between(a, m, (size_t)(sp - m) + 1, peer.head_end);
        }
    } else if (starts(m, "Invalid user ", &rest)) {
        result = "invalid_user";
        ap->auth_user = user_between(a, m, (size_t)(rest - m), peer.head_end);
    } else if (starts(m, "Connection closed by ", &rest)) {
        result = "connection_closed";
        ap->auth_user = user_between(a, m, (size_t)(rest - m), peer.head_end);
    } else if (starts(m, "Disconnected from ", &rest) || starts(m, "Received disconnect from ", &rest)) {
        result = "disconnected";
        ap->auth_user = user_between(a, m, (size_t)(rest - m), peer.head_end);
    } else if (starts(m, "error: maximum authentication attempts exceeded ", &rest) ||
               starts(m, "Disconnecting authenticating user ", &rest) ||
               starts(m, "Disconnecting invalid user ", &rest)) {
        result = "max_auth_tries";
        if (m[0] == 'D')
            rest = m + 14; /* "authenticating user ..." / "invalid user ..." */
        ap->auth_user = user_between(a, m, (size_t)(rest - m), peer.head_end);
    } else if (starts(m, "Connection from ", &rest)) {
        result = "connection";
        /* "Connection from C port P on S port Q": the client is the first */
        const char *on = strstr(rest, " on ");
        if (on) {
            ssh_peer server = peer;
            char *client = storm_arena_strndup(a, m, (size_t)(on - m));
            if (client)
                find_peer(a, client, &peer);
            ev->net.dst_ip = server.ip;
            ev->net.has_dst_port = server.has_port;
            ev->net.dst_port = server.port;
        }
    } else if (starts(m, "Did not receive identification string", &rest) || starts(m, "banner exchange: ", &rest) ||
               starts(m, "kex_exchange_identification: ", &rest)) {
        result = "no_identification";
    } else if (starts(m, "Unable to negotiate with ", &rest)) {
        result = "negotiation_failed";
    } else if (strstr(m, "authentication failure;")) {
        /* pam_unix(sshd:auth): authentication failure; ... rhost=ADDR  user=NAME:
         * the same attempt as sshd's own "Failed password" line, so not
         * "failed" (a brute-force count would see each attempt twice) */
        result = "pam_failure";
        const char *rh = strstr(m, " rhost="), *us = strstr(m, " user=");
        if (rh) {
            rh += 7;
            size_t n = strcspn(rh, " ");
            peer.ip = n ? storm_arena_strndup(a, rh, n) : NULL;
        }
        if (us && us[6])
            ap->auth_user = storm_arena_strndup(a, us + 6, strcspn(us + 6, " "));
    } else if (strstr(m, "session opened for user ")) {
        result = "session_opened";
        const char *u = strstr(m, "session opened for user ") + 24;
        ap->auth_user = storm_arena_strndup(a, u, strcspn(u, "( "));
    }
    ap->auth_result = result;
    if (peer.ip) {
        ev->net.present = true;
        ev->net.src_ip = peer.ip;
        ev->net.has_src_port = peer.has_port;
        ev->net.src_port = peer.port;
        ev->net.protocol = "tcp";
        ev->net.direction = "ingress";
    }
}

static storm_rc wrong_type(storm_err *err, const char *key, const storm_value *v, const char *want)
{
    return storm_err_set(err, STORM_ERR_VALUE, ingest_pos_of(v), "%s: expected %s, got %s", key, want,
                         ingest_value_name(v));
}

/* journald writes every field as a string; a number is taken too */
static storm_rc int_field(const storm_value *root, const char *key, bool *has, int64_t *out, storm_err *err)
{
    const storm_value *v = storm_v_get(root, key);
    if (!v || v->type == STORM_V_NULL)
        return STORM_OK;
    if (v->type == STORM_V_INT) {
        *out = v->u.i;
        *has = true;
        return STORM_OK;
    }
    if (v->type != STORM_V_STRING)
        return wrong_type(err, key, v, "a decimal string");
    char *end;
    long long n = strtoll(v->u.s.ptr, &end, 10);
    if (end == v->u.s.ptr || *end)
        return storm_err_set(err, STORM_ERR_VALUE, ingest_pos_of(v), "%s: \"%.30s\" is not a decimal number", key,
                             v->u.s.ptr);
    *out = n;
    *has = true;
    return STORM_OK;
}

static storm_rc decode(storm_arena *a, const storm_value *root, storm_event_list *out, const char **skip_type,
                       storm_err *err)
{
    (void)skip_type;
    const storm_value *msg = storm_v_get(root, "MESSAGE");
    if (!msg || msg->type != STORM_V_STRING) /* journald writes a byte array for a message that is not UTF-8 */
        return wrong_type(err, "MESSAGE", msg, "a string");
    storm_event *ev = storm_event_list_add(a, out);
    if (!ev)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    ev->sensor = STORM_SENSOR_SSHD;
    ev->raw = root;
    int64_t us = 0;
    bool has_us = false;
    storm_rc rc = int_field(root, "__REALTIME_TIMESTAMP", &has_us, &us, err);
    if (rc != STORM_OK) {
        out->n--; /* a rejected record leaves no event behind */
        return rc;
    }
    if (has_us && !__builtin_mul_overflow(us, 1000, &ev->time))
        ev->has_time = true;
    ev->k8s.node = storm_v_get_str(root, "_HOSTNAME");
    ev->app.present = true;
    ev->app.program = storm_v_get_str(root, "SYSLOG_IDENTIFIER");
    if (!ev->app.program)
        ev->app.program = storm_v_get_str(root, "_COMM");
    ev->app.message = msg->u.s.ptr;
    read_message(a, msg->u.s.ptr, ev);
    ev->type = ev->app.auth_result;
    ev->kind = ev->net.present ? STORM_EV_NETWORK : STORM_EV_OTHER;
    return STORM_OK;
}

const storm_decoder storm_decoder_sshd = {"sshd", STORM_SENSOR_SSHD, detect, decode};
