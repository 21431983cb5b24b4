/* SPDX-License-Identifier: Apache-2.0 */
/* The alert queue and its sender thread. The pipeline's thread formats an
 * alert and puts it in a bounded ring (never waiting: a full ring drops and
 * counts); the sender POSTs each with libcurl, retrying failures (no answer,
 * 5xx, 429) after an exponential backoff; a 4xx other than 429 is final.
 * At close, the queue gets drain_ms to empty; what is left is counted as
 * dropped. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* curl.h's type-checking macros would wrap the calls below, which go
 * through libcurl's table rather than name the functions */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include <storm/alert.h>
#include <storm/lazy_lib.h>

#include "storm_config.h"

/* The libcurl functions this file calls, loaded by the first storm_alert_new. */
#define CURL_FUNCTIONS(X)                                                                                              \
    X(curl_global_init)                                                                                                \
    X(curl_easy_init)                                                                                                  \
    X(curl_easy_reset)                                                                                                 \
    X(curl_easy_setopt)                                                                                                \
    X(curl_easy_perform)                                                                                               \
    X(curl_easy_getinfo)                                                                                               \
    X(curl_easy_strerror)                                                                                              \
    X(curl_easy_cleanup)                                                                                               \
    X(curl_slist_append)                                                                                               \
    X(curl_slist_free_all)
typedef struct curl_api {
    CURL_FUNCTIONS(STORM_LAZY_FIELD)
} curl_api;
static curl_api libcurl;
#define CURL_SYM(fn) STORM_LAZY_SYM(curl_api, fn)
static const storm_lazy_sym curl_syms[] = {CURL_FUNCTIONS(CURL_SYM)};
static storm_lazy_lib curl_lib = STORM_LAZY_LIB(STORM_SONAME_CURL, STORM_PACKAGE_CURL, curl_syms, &libcurl);

#define DEFAULT_QUEUE 1024
#define DEFAULT_ATTEMPTS 4
#define DEFAULT_BACKOFF_MS 250
#define MAX_BACKOFF_MS 8000
#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_DRAIN_MS 5000
#define ALERT_BODY_CAP ((size_t)1 << 20) /* one alert's JSON */

typedef struct alert_item {
    char *body; /* owned (malloc) */
    size_t len;
} alert_item;

struct storm_alert {
    storm_alert_opts opts;
    char url[2048];
    char hostname[256];
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    alert_item *ring; /* queue_cap slots */
    size_t head, n;
    bool closing; /* close was called: send what is queued until the deadline */
    struct timespec deadline;
    storm_alert_stats st;
};

bool storm_alert_available(void)
{
    return true;
}

static struct timespec after_ms(unsigned ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static bool past(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static const struct timespec *earlier(const struct timespec *x, const struct timespec *y)
{
    return x->tv_sec < y->tv_sec || (x->tv_sec == y->tv_sec && x->tv_nsec <= y->tv_nsec) ? x : y;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

/* 1: delivered; 0: failed, worth retrying; -1: refused for good (4xx). */
static int post(storm_alert *a, CURL *c, const alert_item *it)
{
    /* no "Expect: 100-continue": a second's wait per body with receivers that ignore it */
    struct curl_slist *hdr =
        libcurl.curl_slist_append(libcurl.curl_slist_append(NULL, "Content-Type: application/json"), "Expect:");
    libcurl.curl_easy_reset(c);
    libcurl.curl_easy_setopt(c, CURLOPT_URL, a->url);
    libcurl.curl_easy_setopt(c, CURLOPT_POST, 1L);
    libcurl.curl_easy_setopt(c, CURLOPT_POSTFIELDS, it->body);
    libcurl.curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)it->len);
    libcurl.curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    libcurl.curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)a->opts.timeout_ms);
    libcurl.curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)a->opts.timeout_ms);
    libcurl.curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    libcurl.curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    libcurl.curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = libcurl.curl_easy_perform(c);
    long status = 0;
    libcurl.curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    libcurl.curl_slist_free_all(hdr);
    if (rc != CURLE_OK) {
        if (getenv("STORM_ALERT_DEBUG"))
            fprintf(stderr, "alert: %s\n", libcurl.curl_easy_strerror(rc));
        return 0;
    }
    if (status >= 200 && status < 300)
        return 1;
    return status >= 400 && status < 500 && status != 429 ? -1 : 0;
}

static void *sender(void *arg)
{
    storm_alert *a = arg;
    CURL *c = libcurl.curl_easy_init();
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->n && !a->closing)
            pthread_cond_wait(&a->cv, &a->mu);
        if (!a->n || (a->closing && past(&a->deadline)))
            break;
        alert_item it = a->ring[a->head]; /* stays queued (counted) until done */
        pthread_mutex_unlock(&a->mu);
        int r = c ? post(a, c, &it) : 0;
        unsigned wait = a->opts.backoff_ms;
        for (unsigned k = 1; r == 0 && k < a->opts.attempts; k++) {
            pthread_mutex_lock(&a->mu);
            struct timespec until = after_ms(wait);
            bool give_up = false;
            while (!give_up && !past(&until)) {
                if (a->closing && past(&a->deadline))
                    give_up = true;
                else
                    pthread_cond_timedwait(&a->cv, &a->mu, earlier(&until, a->closing ? &a->deadline : &until));
            }
            if (!give_up)
                a->st.retries++;
            pthread_mutex_unlock(&a->mu);
            if (give_up)
                break;
            r = post(a, c, &it);
            wait = wait * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : wait * 2;
        }
        pthread_mutex_lock(&a->mu);
        if (r == 1)
            a->st.sent++;
        else
            a->st.dropped_failed++;
        free(it.body);
        a->head = (a->head + 1) % a->opts.queue_cap;
        a->n--;
        pthread_cond_broadcast(&a->cv);
    }
    /* past the deadline: what is left is dropped, and said so */
    while (a->n) {
        free(a->ring[a->head].body);
        a->head = (a->head + 1) % a->opts.queue_cap;
        a->n--;
        a->st.dropped_failed++;
    }
    pthread_mutex_unlock(&a->mu);
    if (c)
        libcurl.curl_easy_cleanup(c);
    return NULL;
}

storm_rc storm_alert_new(const storm_alert_opts *opts, storm_alert **out, storm_err *err)
{
    *out = NULL;
    if (!opts->url || (strncmp(opts->url, "http://", 7) != 0 && strncmp(opts->url, "https://", 8) != 0))
        return storm_err_set(err, STORM_ERR_VALUE, 0, "--alert-webhook: '%s' is not an http:// or https:// URL",
                             opts->url ? opts->url : "");
    if (strlen(opts->url) >= sizeof((storm_alert *)0)->url)
        return storm_err_set(err, STORM_ERR_LIMIT, 0, "--alert-webhook: the URL is longer than 2047 bytes");
    storm_rc rc = storm_lazy_lib_load(&curl_lib, "--alert-webhook", err);
    if (rc)
        return rc;
    storm_alert *a = calloc(1, sizeof *a);
    if (!a)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    a->opts = *opts;
    if (!a->opts.queue_cap)
        a->opts.queue_cap = DEFAULT_QUEUE;
    if (!a->opts.attempts)
        a->opts.attempts = DEFAULT_ATTEMPTS;
    if (!a->opts.backoff_ms)
        a->opts.backoff_ms = DEFAULT_BACKOFF_MS;
    if (!a->opts.timeout_ms)
        a->opts.timeout_ms = DEFAULT_TIMEOUT_MS;
    if (!a->opts.drain_ms)
        a->opts.drain_ms = DEFAULT_DRAIN_MS;
    snprintf(a->url, sizeof a->url, "%s", opts->url);
    if (opts->hostname)
        snprintf(a->hostname, sizeof a->hostname, "%s", opts->hostname);
    else if (gethostname(a->hostname, sizeof a->hostname - 1) != 0)
        snprintf(a->hostname, sizeof a->hostname, "storm");
    a->ring = calloc(a->opts.queue_cap, sizeof *a->ring);
    if (!a->ring) {
        free(a);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    }
    libcurl.curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    int e = pthread_create(&a->thread, NULL, sender, a);
    if (e) {
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->cv);
        free(a->ring);
        free(a);
        return storm_err_set(err, STORM_ERR_IO, 0, "alerts: cannot start the sender thread: %s", strerror(e));
    }
    *out = a;
    return STORM_OK;
}

void storm_alert_on_session(void *ctx, const storm_session_event *ev)
{
    storm_alert *a = ctx;
    if (ev->kind != STORM_SESSION_OPENED && ev->kind != STORM_SESSION_STEP_ADDED)
        return;
    storm_buf b;
    storm_buf_init(&b, ALERT_BODY_CAP);
    bool ok = storm_alert_format_event(&b, a->opts.format, a->hostname, ev) == STORM_OK;
    size_t len = 0;
    char *body = ok ? storm_buf_take(&b, &len) : NULL;
    storm_buf_free(&b);
    pthread_mutex_lock(&a->mu);
    if (!body || a->n == a->opts.queue_cap || a->closing) {
        a->st.dropped_full++;
        free(body);
    } else {
        a->ring[(a->head + a->n) % a->opts.queue_cap] = (alert_item){body, len};
        a->n++;
        a->st.queued++;
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
}

void storm_alert_get_stats(storm_alert *a, storm_alert_stats *out)
{
    pthread_mutex_lock(&a->mu);
    *out = a->st;
    pthread_mutex_unlock(&a->mu);
}

void storm_alert_close(storm_alert *a, storm_alert_stats *out)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->mu);
    a->closing = true;
    a->deadline = after_ms(a->opts.drain_ms);
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    if (out)
        *out = a->st;
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    free(a->ring);
    free(a);
}
