/* SPDX-License-Identifier: Apache-2.0 */
/* The shared HTTP listener (see storm/httpd.h). libmicrohttpd's own timeout
 * only measures idleness, so a client sending one byte every few seconds
 * keeps its connection for ever, and a few hundred such clients hold every
 * slot. Here each connection has a phase (head, request, idle) with a
 * deadline that a watchdog thread enforces, and the accept policy makes room
 * for a new connection by closing one that is not in a request (still
 * without its head, idle between requests, or sending its body slower than
 * MIN_RATE): at the per-client limit the
 * client's own oldest, at the total limit the oldest of the client holding
 * the most connections. Age alone cannot pick the victim: slow clients that
 * reconnect at once keep every slot young. A legitimate client sends its
 * head with its first packet, so it is in a request before anyone could
 * displace it. Closing is a shutdown() of the socket: libmicrohttpd then
 * sees the end of the stream and cleans up in its own thread. */
#include <storm/httpd.h>

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <storm/lazy_lib.h>

#include "storm_config.h"

/* The libmicrohttpd functions this file calls, loaded by the first
 * storm_httpd_start (its callers have loaded it already, for their own
 * calls, and said which command needed it when it is missing). */
#define MHD_FUNCTIONS(X)                                                                                               \
    X(MHD_start_daemon)                                                                                                \
    X(MHD_stop_daemon)                                                                                                 \
    X(MHD_get_connection_info)
typedef struct mhd_api {
    MHD_FUNCTIONS(STORM_LAZY_FIELD)
} mhd_api;
static mhd_api libmicrohttpd;
#define MHD_SYM(fn) STORM_LAZY_SYM(mhd_api, fn)
static const storm_lazy_sym mhd_syms[] = {MHD_FUNCTIONS(MHD_SYM)};
static storm_lazy_lib mhd_lib =
    STORM_LAZY_LIB(STORM_SONAME_MICROHTTPD, STORM_PACKAGE_MICROHTTPD, mhd_syms, &libmicrohttpd);

#define DEFAULT_MAX_CONNECTIONS 64
#define DEFAULT_HEAD_TIMEOUT 10
#define DEFAULT_REQUEST_TIMEOUT 120
#define DEFAULT_IDLE_TIMEOUT 30
/* A body may take BODY_BASE_S, plus a second for every MIN_RATE bytes
 * received (up to the request timeout): a steady upload, however slow its
 * link, keeps going; one that drips is closed. Under pressure a body that
 * has not reached MIN_RATE bytes plus MIN_RATE a second can be displaced
 * like a slow head (by the same rule: the greediest client's first). */
#define BODY_BASE_S 20
#define MIN_RATE 500
#define WATCH_EVERY_MS 250
#define EXTRA_OPTIONS_MAX 16

/* Head: request line and headers arriving. Body: after the head, until
 * the handler has the whole body. Answer: the handler's answer being sent.
 * Idle: a kept-alive connection between requests. */
typedef enum phase { PHASE_HEAD, PHASE_BODY, PHASE_ANSWER, PHASE_IDLE } phase;

/* One client address and its connections. */
typedef struct client {
    struct client *next;
    struct sockaddr_storage addr;
    unsigned open; /* connections not cut */
    unsigned refs; /* conns pointing here (cut ones included) */
} client;

/* One open connection (libmicrohttpd's socket context). */
typedef struct conn {
    struct conn *prev, *next;
    int fd;
    client *cl;
    phase phase;
    uint64_t since, deadline; /* ms, monotonic */
    uint64_t body_bytes;      /* received in PHASE_BODY */
    bool cut;                 /* shut down; gone once libmicrohttpd reports it closed */
    bool target_nul;          /* the current request's target holds %00 */
} conn;

struct storm_httpd {
    struct MHD_Daemon *daemon;
    storm_httpd_limits lim;
    MHD_AccessHandlerCallback handler;
    void *handler_cls;
    MHD_RequestCompletedCallback completed;
    void *completed_cls;
    unsigned port;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t wake;
    conn *conns;
    client *clients;
    unsigned open; /* connections not cut */
    bool stopping;
    pthread_t watchdog;
    bool watchdog_running;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void set_phase(const storm_httpd *h, conn *c, phase p)
{
    unsigned s = p == PHASE_HEAD ? h->lim.head_timeout : p == PHASE_IDLE ? h->lim.idle_timeout : h->lim.request_timeout;
    if (p == PHASE_BODY && s > BODY_BASE_S)
        s = BODY_BASE_S;
    c->phase = p;
    c->since = now_ms();
    c->body_bytes = 0;
    c->deadline = c->since + (uint64_t)s * 1000u;
}

/* Under h->lock: n more body bytes arrived. */
static void body_progress(const storm_httpd *h, conn *c, size_t n)
{
    c->body_bytes += n;
    uint64_t s = BODY_BASE_S + c->body_bytes / MIN_RATE;
    if (s > h->lim.request_timeout)
        s = h->lim.request_timeout;
    c->deadline = c->since + s * 1000u;
}

/* Under h->lock: may c make room for a newcomer? Not when it is in a
 * request, unless its body crawls. */
static bool displaceable(const conn *c, uint64_t now)
{
    if (c->cut || c->phase == PHASE_ANSWER)
        return false;
    if (c->phase != PHASE_BODY)
        return true;
    return c->body_bytes * 1000u < (now - c->since + 1000u) * MIN_RATE;
}

/* Under h->lock. The fd stays open (libmicrohttpd closes it after telling
 * on_connection, which needs the lock), so it cannot name another socket. */
static void cut(storm_httpd *h, conn *c)
{
    c->cut = true;
    c->cl->open--;
    h->open--;
    shutdown(c->fd, SHUT_RDWR);
}

static bool same_client(const struct sockaddr_storage *a, const struct sockaddr *b)
{
    if (a->ss_family != b->sa_family)
        return false;
    if (b->sa_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    if (b->sa_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
                      sizeof(struct in6_addr)) == 0;
    return false;
}

/* Under h->lock. */
static client *find_client(storm_httpd *h, const struct sockaddr *addr)
{
    for (client *k = h->clients; k; k = k->next)
        if (same_client(&k->addr, addr))
            return k;
    return NULL;
}

/* Under h->lock: the connection to close for a newcomer, NULL when every
 * one is in a request. Of client `only` when not NULL, else of the client
 * holding the most connections; the oldest of them. */
static conn *victim(storm_httpd *h, const client *only)
{
    conn *best = NULL;
    uint64_t now = now_ms();
    for (conn *c = h->conns; c; c = c->next) {
        if (!displaceable(c, now) || (only && c->cl != only))
            continue;
        if (!best || c->cl->open > best->cl->open || (c->cl->open == best->cl->open && c->since < best->since))
            best = c;
    }
    return best;
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addrlen;
    storm_httpd *h = cls;
    pthread_mutex_lock(&h->lock);
    const client *k = find_client(h, addr);
    bool ok = true;
    if (k && k->open >= h->lim.per_client) {
        conn *v = victim(h, k);
        if (v)
            cut(h, v);
        else
            ok = false;
    }
    if (ok && h->open >= h->lim.max_connections) {
        conn *v = victim(h, NULL);
        if (v)
            cut(h, v);
        else
            ok = false;
    }
    pthread_mutex_unlock(&h->lock);
    return ok ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    storm_httpd *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            libmicrohttpd.MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ad =
            libmicrohttpd.MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        conn *c = calloc(1, sizeof *c);
        pthread_mutex_lock(&h->lock);
        client *k = c && ad && ad->client_addr ? find_client(h, ad->client_addr) : NULL;
        if (c && ad && ad->client_addr && !k && (k = calloc(1, sizeof *k)) != NULL) {
            memcpy(&k->addr, ad->client_addr,
                   ad->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
            k->next = h->clients;
            h->clients = k;
        }
        if (!k || !fd) {
            pthread_mutex_unlock(&h->lock);
            free(c); /* an unwatched connection is not served: end it */
            if (fd)
                shutdown(fd->connect_fd, SHUT_RDWR);
            *socket_context = NULL;
            return;
        }
        c->fd = fd->connect_fd;
        c->cl = k;
        k->open++;
        k->refs++;
        h->open++;
        set_phase(h, c, PHASE_HEAD);
        c->next = h->conns;
        if (h->conns)
            h->conns->prev = c;
        h->conns = c;
        pthread_mutex_unlock(&h->lock);
        *socket_context = c;
        return;
    }
    conn *c = *socket_context;
    if (!c)
        return;
    pthread_mutex_lock(&h->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        h->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (!c->cut) {
        c->cl->open--;
        h->open--;
    }
    if (--c->cl->refs == 0) {
        client **p = &h->clients;
        while (*p != c->cl)
            p = &(*p)->next;
        *p = c->cl->next;
        free(c->cl);
    }
    pthread_mutex_unlock(&h->lock);
    free(c);
    *socket_context = NULL;
}

static conn *conn_of(struct MHD_Connection *mc)
{
    const union MHD_ConnectionInfo *ci = libmicrohttpd.MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* Called with the raw request target once the request line is in: a new
 * request on a kept-alive connection starts its head's deadline here. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *mc)
{
    storm_httpd *h = cls;
    conn *c = conn_of(mc);
    if (c) {
        c->target_nul = uri && strstr(uri, "%00") != NULL;
        pthread_mutex_lock(&h->lock);
        if (c->phase == PHASE_IDLE)
            set_phase(h, c, PHASE_HEAD);
        pthread_mutex_unlock(&h->lock);
    }
    return NULL; /* the handler's *con_cls starts as NULL */
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
                                 const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    storm_httpd *h = cls;
    conn *c = conn_of(mc);
    /* Only this connection's thread changes its phase: reading it is safe. */
    bool first = c && c->phase == PHASE_HEAD;
    bool last = c && c->phase == PHASE_BODY && *upload_size == 0; /* the body is in: the handler answers now */
    size_t offered = *upload_size;
    if (first) {
        pthread_mutex_lock(&h->lock);
        set_phase(h, c, PHASE_BODY);
        pthread_mutex_unlock(&h->lock);
    }
    enum MHD_Result r = h->handler(h->handler_cls, mc, url, method, version, upload, upload_size, con_cls);
    if (c && !first && offered > *upload_size) {
        pthread_mutex_lock(&h->lock);
        body_progress(h, c, offered - *upload_size);
        pthread_mutex_unlock(&h->lock);
    }
    if (last) {
        /* The time the handler took (a large POST into the store) is not
         * the client's: the answer gets the full time to be sent. */
        pthread_mutex_lock(&h->lock);
        set_phase(h, c, PHASE_ANSWER);
        pthread_mutex_unlock(&h->lock);
    }
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    storm_httpd *h = cls;
    conn *c = conn_of(mc);
    if (c) {
        pthread_mutex_lock(&h->lock);
        set_phase(h, c, PHASE_IDLE);
        pthread_mutex_unlock(&h->lock);
    }
    if (h->completed)
        h->completed(h->completed_cls, mc, con_cls, toe);
}

static void *watch(void *arg)
{
    storm_httpd *h = arg;
    pthread_mutex_lock(&h->lock);
    while (!h->stopping) {
        uint64_t now = now_ms();
        for (conn *c = h->conns; c; c = c->next)
            if (!c->cut && now >= c->deadline)
                cut(h, c);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += WATCH_EVERY_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&h->wake, &h->lock, &ts);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

/* The listening socket, bound here so that a failure has its real reason. */
static storm_rc bind_listen(const storm_httpd_config *cfg, int *out, unsigned *port, storm_err *err)
{
    int fd = socket(cfg->addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return storm_err_set(err, STORM_ERR_IO, 0, "cannot listen on %s: %s", cfg->listen, strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); /* restart at once after a stop */
    if (cfg->addr->sa_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one); /* exactly the address asked for */
    if (bind(fd, cfg->addr, cfg->addr_len) != 0 || listen(fd, SOMAXCONN) != 0) {
        int e = errno;
        close(fd);
        const char *why = e == EADDRINUSE      ? "the port is in use (another process listens there: stop it or "
                                                 "choose another port)"
                          : e == EADDRNOTAVAIL ? "no network interface of this host has that address"
                          : e == EACCES        ? "permission denied (ports below 1024 need privileges)"
                                               : strerror(e);
        return storm_err_set(err, STORM_ERR_IO, 0, "cannot listen on %s: %s", cfg->listen, why);
    }
    struct sockaddr_storage bound;
    socklen_t bl = sizeof bound;
    *port = 0;
    if (getsockname(fd, (struct sockaddr *)&bound, &bl) == 0)
        *port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                  : ((struct sockaddr_in *)&bound)->sin_port);
    *out = fd;
    return STORM_OK;
}

storm_rc storm_httpd_start(const storm_httpd_config *cfg, storm_httpd **out, storm_err *err)
{
    *out = NULL;
    storm_rc lrc = storm_lazy_lib_load(&mhd_lib, "the HTTP listener", err);
    if (lrc)
        return lrc;
    size_t n_extra = 0;
    while (cfg->options && cfg->options[n_extra].option != MHD_OPTION_END)
        if (++n_extra > EXTRA_OPTIONS_MAX)
            return storm_err_set(err, STORM_ERR_STATE, 0, "httpd: more than %d options", EXTRA_OPTIONS_MAX);
    storm_httpd *h = calloc(1, sizeof *h);
    if (!h)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    h->lim = cfg->limits;
    if (!h->lim.max_connections)
        h->lim.max_connections = DEFAULT_MAX_CONNECTIONS;
    if (!h->lim.per_client)
        h->lim.per_client = h->lim.max_connections / 4 ? h->lim.max_connections / 4 : 1;
    if (!h->lim.head_timeout)
        h->lim.head_timeout = DEFAULT_HEAD_TIMEOUT;
    if (!h->lim.request_timeout)
        h->lim.request_timeout = DEFAULT_REQUEST_TIMEOUT;
    if (!h->lim.idle_timeout)
        h->lim.idle_timeout = DEFAULT_IDLE_TIMEOUT;
    h->handler = cfg->handler;
    h->handler_cls = cfg->handler_cls;
    h->completed = cfg->completed;
    h->completed_cls = cfg->completed_cls;
    pthread_mutex_init(&h->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->wake, &ca);
    pthread_condattr_destroy(&ca);

    int fd = -1;
    storm_rc rc = bind_listen(cfg, &fd, &h->port, err);
    if (rc) {
        storm_httpd_stop(h);
        return rc;
    }
    struct MHD_OptionItem opts[EXTRA_OPTIONS_MAX + 8];
    size_t no = 0;
    for (size_t i = 0; i < n_extra; i++)
        opts[no++] = cfg->options[i]; /* the caller's logger stays first */
    /* libmicrohttpd's own cap sits above ours: displaced connections count
     * there until its thread has closed them. */
    unsigned hard = h->lim.max_connections + h->lim.max_connections / 2 + 1;
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, fd, NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, hard, NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, h->lim.idle_timeout, NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, h};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_request_line, h};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, h};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    h->daemon = libmicrohttpd.MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | cfg->flags, 0,
                                               on_accept, h, on_access, h, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!h->daemon) {
        close(fd); /* libmicrohttpd owns it only once started */
        storm_httpd_stop(h);
        return storm_err_set(err, STORM_ERR_IO, 0,
                             "cannot serve on %s: libmicrohttpd did not start (its message is above)", cfg->listen);
    }
    if (pthread_create(&h->watchdog, NULL, watch, h) != 0) {
        storm_httpd_stop(h);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "cannot start a thread");
    }
    h->watchdog_running = true;
    *out = h;
    return STORM_OK;
}

unsigned storm_httpd_port(const storm_httpd *h)
{
    return h ? h->port : 0;
}

bool storm_httpd_target_has_nul(struct MHD_Connection *mc)
{
    conn *c = conn_of(mc);
    return c && c->target_nul;
}

void storm_httpd_stop(storm_httpd *h)
{
    if (!h)
        return;
    if (h->watchdog_running) {
        pthread_mutex_lock(&h->lock);
        h->stopping = true;
        pthread_cond_signal(&h->wake);
        pthread_mutex_unlock(&h->lock);
        pthread_join(h->watchdog, NULL);
    }
    if (h->daemon)
        libmicrohttpd.MHD_stop_daemon(
            h->daemon); /* closes every connection (on_connection frees them) and the socket */
    pthread_cond_destroy(&h->wake);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
