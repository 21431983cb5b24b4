/* SPDX-License-Identifier: Apache-2.0 */
#include "client_http.h"

/* curl.h's type-checking macros would wrap the calls below, which go
 * through libcurl's table rather than name the functions */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <storm/json.h>
#include <storm/lazy_lib.h>
#include <storm/taxii.h>

#include "storm_config.h"

/* The libcurl functions this file calls, loaded at the first request. */
#define CURL_FUNCTIONS(X)                                                                                              \
    X(curl_global_init)                                                                                                \
    X(curl_easy_init)                                                                                                  \
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

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    libcurl.curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    client_response *r = ud;
    /* returning less than given makes curl fail the transfer: the cap holds */
    return storm_buf_append(&r->body, p, size * n) == STORM_OK ? size * n : 0;
}

static void copy_header_value(const char *p, size_t len, char *out, size_t cap)
{
    while (len && (*p == ' ' || *p == '\t')) {
        p++;
        len--;
    }
    while (len && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' '))
        len--;
    if (len >= cap)
        len = cap - 1;
    memcpy(out, p, len);
    out[len] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    client_response *r = ud;
    size_t len = size * n;
    static const struct {
        const char *name;
        size_t off, cap;
    } wanted[] = {
        {"X-TAXII-Date-Added-First:", offsetof(client_response, date_added_first), 40},
        {"X-TAXII-Date-Added-Last:", offsetof(client_response, date_added_last), 40},
        {"Content-Type:", offsetof(client_response, content_type), 128},
    };
    for (size_t i = 0; i < sizeof wanted / sizeof *wanted; i++) {
        size_t nl = strlen(wanted[i].name);
        if (len > nl && strncasecmp(p, wanted[i].name, nl) == 0)
            copy_header_value(p + nl, len - nl, (char *)r + wanted[i].off, wanted[i].cap);
    }
    return len;
}

storm_rc client_http(const storm_taxii_client_opts *opts, const char *method, const char *url, const char *body,
                     size_t body_len, client_response *resp, storm_err *err)
{
    storm_rc rc = storm_lazy_lib_load(&curl_lib, "the TAXII client", err);
    if (rc)
        return rc;
    pthread_once(&curl_once, curl_init_once);
    storm_buf_reset(&resp->body);
    resp->status = 0;
    resp->date_added_first[0] = resp->date_added_last[0] = resp->content_type[0] = '\0';
    CURL *h = libcurl.curl_easy_init();
    if (!h)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "cannot create an HTTP handle");
    struct curl_slist *hdr = NULL;
    hdr = libcurl.curl_slist_append(hdr, "Accept: " STORM_TAXII_MEDIA_TYPE);
    if (body)
        hdr = libcurl.curl_slist_append(hdr, "Content-Type: " STORM_TAXII_MEDIA_TYPE);
    hdr = libcurl.curl_slist_append(hdr, "Expect:"); /* no 100-continue round trip */
    libcurl.curl_easy_setopt(h, CURLOPT_URL, url);
    libcurl.curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    libcurl.curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    libcurl.curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    libcurl.curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    libcurl.curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
    libcurl.curl_easy_setopt(h, CURLOPT_TIMEOUT, opts && opts->timeout_seconds ? opts->timeout_seconds : 120L);
    libcurl.curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    libcurl.curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    libcurl.curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    libcurl.curl_easy_setopt(h, CURLOPT_USERAGENT, "storm-taxii-client/1");
    libcurl.curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)STORM_TAXII_CLIENT_MAX_RESPONSE);
    if (opts && opts->ca_file)
        libcurl.curl_easy_setopt(h, CURLOPT_CAINFO, opts->ca_file);
    if (opts && opts->user) {
        libcurl.curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        libcurl.curl_easy_setopt(h, CURLOPT_USERNAME, opts->user);
        libcurl.curl_easy_setopt(h, CURLOPT_PASSWORD, opts->password ? opts->password : "");
    }
    if (body) {
        libcurl.curl_easy_setopt(h, CURLOPT_POST, 1L);
        libcurl.curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        libcurl.curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    } else if (strcmp(method, "GET") != 0) {
        libcurl.curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    /* curl's detail names the cause (which certificate check failed, the refused
     * address) where curl_easy_strerror only names the class. */
    char detail[CURL_ERROR_SIZE] = "";
    libcurl.curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
    CURLcode cc = libcurl.curl_easy_perform(h);
    if (cc != CURLE_OK) {
        const char *hint = cc == CURLE_WRITE_ERROR ? " (response larger than the client's cap)"
                           : cc == CURLE_COULDNT_CONNECT
                               ? " (is the server running and listening there? storm serve prints its address)"
                           : cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE
                               ? " (for a self-signed server give its certificate with --ca-file; its names must "
                                 "include the URL's host)"
                               : "";
        rc = storm_err_set(err, cc == CURLE_WRITE_ERROR ? STORM_ERR_LIMIT : STORM_ERR_IO, 0, "%s %s: %s%s%s%s", method,
                           url, libcurl.curl_easy_strerror(cc), detail[0] ? ": " : "", detail, hint);
    } else
        libcurl.curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    libcurl.curl_slist_free_all(hdr);
    libcurl.curl_easy_cleanup(h);
    return rc;
}

const char *client_error_text(const client_response *resp, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (!resp->body.data || !resp->body.len)
        return buf;
    storm_arena *a = storm_arena_new(0, 8u << 20);
    storm_value *v = NULL;
    if (a && storm_json_parse(a, resp->body.data, resp->body.len, 0, &v, NULL, NULL) == STORM_OK) {
        const char *t = storm_v_get_str(v, "title"), *d = storm_v_get_str(v, "description");
        snprintf(buf, cap, "%s%s%s", t ? t : "", t && d ? ": " : "", d ? d : "");
    } else {
        snprintf(buf, cap, "%.200s", resp->body.data);
    }
    storm_arena_free(a);
    return buf;
}
